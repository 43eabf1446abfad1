package kernel

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// TestDeterministicAcrossCores checks that every kernel gives bitwise the same float32 results on one core
// and on several: work is split so that each output element has one writer and sums run in a fixed order.
func TestDeterministicAcrossCores(t *testing.T) {
	big := ConvGeom{N: 20, C: 6, H: 9, W: 9, K: 6, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1, Groups: 1}
	cases := append(append([]ConvGeom{big}, convCases...), withReLU(convCases)...)
	run := func(procs int) [][]float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		rng := rand.New(rand.NewPCG(9, 9))
		var out [][]float32
		for _, g := range cases {
			x := randF32(rng, g.N*g.C*g.H*g.W)
			w := randF32(rng, g.WeightLen())
			dy := randF32(rng, g.N*g.K*g.OutH()*g.OutW())
			y, dx, dw := make([]float32, len(dy)), make([]float32, len(x)), make([]float32, len(w))
			Conv2dForward(g, x, w, nil, y)
			Conv2dBackwardData(g, x, w, dy, dx)
			Conv2dBackwardFilter(g, x, dy, dw)
			out = append(out, y, dx, dw)
		}
		for _, g := range poolCases {
			x := randF32(rng, g.N*g.C*g.H*g.W)
			dy := randF32(rng, g.N*g.C*g.OutH()*g.OutW())
			y, dx := make([]float32, len(dy)), make([]float32, len(x))
			MaxPool2dForward(g, x, y)
			MaxPool2dBackward(g, x, y, dy, dx)
			out = append(out, y, dx)
			y, dx = make([]float32, len(dy)), make([]float32, len(x))
			AvgPool2dForward(g, false, x, y)
			AvgPool2dBackward(g, false, dy, dx)
			out = append(out, y, dx)
		}
		return out
	}
	one, many := run(1), run(3)
	for i := range one {
		if !slices.Equal(one[i], many[i]) {
			t.Errorf("result %d differs between GOMAXPROCS=1 and 3", i)
		}
	}
}
