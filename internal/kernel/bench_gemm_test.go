package kernel

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nasx/nasx/internal/numtest"
)

// gemmBenchCases are the float32 GEMMs the engine runs most. The conv cases are one sample's 1×1 convolution
// of a DARTS network: Y (K×P) = W (K×C)·X (C×P) forward ("nn"), dX = Wᵀ·dY ("tn") and dW += dY·Xᵀ ("nt"),
// at the cell sizes of the search supernet (C = 8 on 32×32, 16 on 16×16, 32 on 8×8) and a preprocessing conv
// of the reference net (64 → 16 on 16×16). "linear" is a NAR transformer layer's Linear (31 tokens × 128
// samples, d_model 128 → d_ffn 512), x·Wᵀ.
var gemmBenchCases = []struct {
	name    string
	ta, tb  bool
	m, n, k int
}{
	{"nn/K8C8P1024", false, false, 8, 1024, 8},
	{"tn/K8C8P1024", true, false, 8, 1024, 8},
	{"nt/K8C8P1024", false, true, 8, 8, 1024},
	{"nn/K16C16P256", false, false, 16, 256, 16},
	{"tn/K16C16P256", true, false, 16, 256, 16},
	{"nt/K16C16P256", false, true, 16, 16, 256},
	{"nn/K32C32P64", false, false, 32, 64, 32},
	{"nt/K32C32P64", false, true, 32, 32, 64},
	{"nn/K16C64P256", false, false, 16, 256, 64},
	{"tn/K16C64P256", true, false, 64, 256, 16},
	{"nt/K16C64P256", false, true, 16, 64, 256},
	{"linear/3968x512x128", false, true, 3968, 512, 128},
	{"linearNN/3968x512x128", false, false, 3968, 512, 128},
	{"linearNN/3968x128x512", false, false, 3968, 128, 512},
	{"linearTN/512x128x3968", true, false, 512, 128, 3968},
}

// BenchmarkGemm32 times one float32 gemm call per iteration (c overwritten; "nt" accumulates, as the filter
// gradient does). cpu-ms/op is the CPU time of all threads.
func BenchmarkGemm32(b *testing.B) {
	for _, bc := range gemmBenchCases {
		b.Run(bc.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			a, bm := randF32(rng, bc.m*bc.k), randF32(rng, bc.k*bc.n)
			c := make([]float32, bc.m*bc.n)
			lda, ldb := bc.k, bc.n
			if bc.ta {
				lda = bc.m
			}
			if bc.tb {
				ldb = bc.k
			}
			var beta float32
			if bc.tb {
				beta = 1
			}
			b.SetBytes(int64(4 * (len(a) + len(bm) + len(c))))
			b.ReportMetric(float64(2*bc.m*bc.n*bc.k), "flop/op")
			defer numtest.ReportCPU(b, numtest.CPUTime())
			for b.Loop() {
				gemm(bc.ta, bc.tb, bc.m, bc.n, bc.k, 1, a, lda, bm, ldb, beta, c, bc.n, true)
			}
		})
	}
}

// BenchmarkPointwiseFwdBwd times a 1×1 convolution's forward, data and filter gradients over a whole batch, at
// the DARTS supernet's cell sizes (N·C·H·W: 16·8·32·32 for the small search net's first cells, 32·16·16·16 for
// the engine issue's mixed edge, 64·32·8·8 for the reference net's last cells) and a 4C → C preprocessing conv.
func BenchmarkPointwiseFwdBwd(b *testing.B) {
	for _, s := range []struct{ n, c, k, hw int }{{16, 8, 8, 32}, {32, 16, 16, 16}, {64, 32, 32, 8}, {32, 64, 16, 16}} {
		g := ConvGeom{N: s.n, C: s.c, H: s.hw, W: s.hw, K: s.k, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Groups: 1}
		b.Run(fmt.Sprintf("N%dC%dK%d_%dx%d", s.n, s.c, s.k, s.hw, s.hw), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			x := randF32(rng, g.N*g.C*g.H*g.W)
			w := randF32(rng, g.WeightLen())
			dy := randF32(rng, g.N*g.K*g.OutH()*g.OutW())
			y, dx, dw := make([]float32, len(dy)), make([]float32, len(x)), make([]float32, len(w))
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
