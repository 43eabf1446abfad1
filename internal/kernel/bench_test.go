package kernel

import (
	"math/rand/v2"
	"testing"
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
	{"dw5x5_d2", ConvGeom{N: 32, C: 16, H: 16, W: 16, K: 16, KH: 5, KW: 5, SH: 1, SW: 1, PH: 4, PW: 4, DH: 2, DW: 2, Groups: 16}},
	{"pw1x1", ConvGeom{N: 32, C: 16, H: 16, W: 16, K: 16, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Groups: 1}},
	{"dense3x3", ConvGeom{N: 32, C: 16, H: 16, W: 16, K: 16, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1, Groups: 1}},
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
			for b.Loop() {
				Conv2dForward(g, x, w, nil, y)
				Conv2dBackwardData(g, w, dy, dx)
				Conv2dBackwardFilter(g, x, dy, dw)
			}
		})
	}
}

func BenchmarkPoolFwdBwd(b *testing.B) {
	g := PoolGeom{N: 32, C: 16, H: 16, W: 16, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1}
	rng := rand.New(rand.NewPCG(1, 1))
	x := randF32(rng, g.N*g.C*g.H*g.W)
	dy := randF32(rng, g.N*g.C*g.OutH()*g.OutW())
	y := make([]float32, len(dy))
	dx := make([]float32, len(x))
	b.Run("max3x3", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			MaxPool2dForward(g, x, y)
			MaxPool2dBackward(g, x, y, dy, dx)
		}
	})
	b.Run("avg3x3_excl", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			AvgPool2dForward(g, false, x, y)
			AvgPool2dBackward(g, false, dy, dx)
		}
	})
}
