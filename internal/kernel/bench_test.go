package kernel

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nasx/nasx/internal/numtest"
)

// The benchmark sizes are the DARTS mixed edge of the engine issue: (N, C, H, W) = (32, 16, 16, 16), fp32.
// Each iteration runs the forward kernel and every backward kernel (data and weights), outputs preallocated.

func randF32(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(2*rng.Float64() - 1)
	}
	return v
}

var convBenchCases = []struct {
	name string
	g    ConvGeom
}{
	{"dw3x3", ConvGeom{N: 32, C: 16, H: 16, W: 16, K: 16, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1, Groups: 16}},
	{"relu_dw3x3", ConvGeom{N: 32, C: 16, H: 16, W: 16, K: 16, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1, Groups: 16, ReLU: true}},
	{"dw5x5_d2", ConvGeom{N: 32, C: 16, H: 16, W: 16, K: 16, KH: 5, KW: 5, SH: 1, SW: 1, PH: 4, PW: 4, DH: 2, DW: 2, Groups: 16}},
	{"pw1x1", ConvGeom{N: 32, C: 16, H: 16, W: 16, K: 16, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Groups: 1}},
	{"dense3x3", ConvGeom{N: 32, C: 16, H: 16, W: 16, K: 16, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1, Groups: 1}},
	// Reduction-cell variants (stride 2) and the MIM decoder's transposed conv k4 s2 p1, 16→16 on 8×8 → 16×16,
	// which runs as the data gradient of this conv (input 16×16, output 8×8).
	{"dw3x3_s2", ConvGeom{N: 32, C: 16, H: 16, W: 16, K: 16, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1, DH: 1, DW: 1, Groups: 16}},
	{"pw1x1_s2", ConvGeom{N: 32, C: 16, H: 16, W: 16, K: 16, KH: 1, KW: 1, SH: 2, SW: 2, DH: 1, DW: 1, Groups: 1}},
	{"tconv4x4_s2", ConvGeom{N: 32, C: 16, H: 16, W: 16, K: 16, KH: 4, KW: 4, SH: 2, SW: 2, PH: 1, PW: 1, DH: 1, DW: 1, Groups: 1}},
}

func BenchmarkConvFwdBwd(b *testing.B) {
	for _, bc := range convBenchCases {
		b.Run(bc.name, func(b *testing.B) {
			g := bc.g
			rng := rand.New(rand.NewPCG(1, 1))
			x := randF32(rng, g.N*g.C*g.H*g.W)
			w := randF32(rng, g.WeightLen())
			dy := randF32(rng, g.N*g.K*g.OutH()*g.OutW())
			y := make([]float32, len(dy))
			dx := make([]float32, len(x))
			dw := make([]float32, len(w))
			b.ReportAllocs()
			defer numtest.ReportCPU(b, numtest.CPUTime())
			for b.Loop() {
				Conv2dForward(g, x, w, nil, y)
				Conv2dBackwardData(g, x, w, dy, dx)
				Conv2dBackwardFilter(g, x, dy, dw)
			}
		})
	}
}

func BenchmarkPoolFwdBwd(b *testing.B) {
	for _, s := range []int{1, 2} {
		benchPool(b, PoolGeom{N: 32, C: 16, H: 16, W: 16, KH: 3, KW: 3, SH: s, SW: s, PH: 1, PW: 1}, fmt.Sprintf("_s%d", s))
	}
}

func benchPool(b *testing.B, g PoolGeom, suffix string) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := randF32(rng, g.N*g.C*g.H*g.W)
	dy := randF32(rng, g.N*g.C*g.OutH()*g.OutW())
	y := make([]float32, len(dy))
	dx := make([]float32, len(x))
	b.Run("max3x3"+suffix, func(b *testing.B) {
		b.ReportAllocs()
		defer numtest.ReportCPU(b, numtest.CPUTime())
		for b.Loop() {
			MaxPool2dForward(g, x, y)
			MaxPool2dBackward(g, x, y, dy, dx)
		}
	})
	b.Run("avg3x3_excl"+suffix, func(b *testing.B) {
		b.ReportAllocs()
		defer numtest.ReportCPU(b, numtest.CPUTime())
		for b.Loop() {
			AvgPool2dForward(g, false, x, y)
			AvgPool2dBackward(g, false, dy, dx)
		}
	})
}
