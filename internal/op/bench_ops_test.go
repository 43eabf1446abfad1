package op

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/numtest"
)

// Forward+backward benchmarks of the ops on the sizes nasx trains: a DARTS mixed edge (N=32, C=16, 16×16)
// and the NAR transformer for NAS-Bench-201 (batch 128, 31 tokens, d_model 128, 4 heads of 32, FFN 512;
// algorithms.md B.3). Each step is Reset + RunAll of a TapeMachine that computes the op and the gradients of
// all its float inputs for a fixed upstream gradient R (G.Backpropagate, so no loss op is timed).
// testdata/bench_torch_ops.py times the same blocks in PyTorch. Besides wall time each benchmark reports
// cpu-ms/op (process CPU time, all threads): on a shared machine, compare it at GOMAXPROCS=1 with the
// script's cpu column at one thread.

var benchSink G.Value

func benchTensor(rng *rand.Rand, shape ...int) *tensor.Dense {
	n := tensor.Shape(shape).TotalSize()
	d := make([]float32, n)
	for i := range d {
		d[i] = float32(rng.NormFloat64())
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))
}

// benchOp times fwd+bwd of build on float32 inputs of the given shapes (all differentiated).
func benchOp(b *testing.B, shapes [][]int, build func(g *G.ExprGraph, in G.Nodes) (*G.Node, error)) {
	rng := rand.New(rand.NewPCG(1, 2))
	g := G.NewGraph()
	in := make(G.Nodes, len(shapes))
	for i, s := range shapes {
		in[i] = G.NewTensor(g, tensor.Float32, len(s), G.WithShape(s...), G.WithValue(benchTensor(rng, s...)))
	}
	y, err := build(g, in)
	if err != nil {
		b.Fatal(err)
	}
	r := G.NewTensor(g, tensor.Float32, y.Dims(), G.WithShape(y.Shape()...), G.WithValue(benchTensor(rng, y.Shape()...)), G.WithName("R"))
	grads, err := G.Backpropagate(G.Nodes{y}, G.Nodes{r}, in)
	if err != nil {
		b.Fatal(err)
	}
	var gv G.Value
	G.Read(grads[0], &gv)
	m := G.NewTapeMachine(g)
	defer m.Close()
	b.ReportAllocs()
	b.ResetTimer()
	start := numtest.CPUTime()
	for b.Loop() {
		m.Reset()
		if err := m.RunAll(); err != nil {
			b.Fatal(err)
		}
	}
	numtest.ReportCPU(b, start)
	benchSink = gv
}

func BenchmarkBatchNorm2d(b *testing.B) {
	b.Run("N32_C16_16x16/plain", func(b *testing.B) {
		bn, _ := NewBatchNorm2d(16, BatchNormConfig{})
		benchOp(b, [][]int{{32, 16, 16, 16}}, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return bn.Apply(in[0], nil, nil) })
	})
	b.Run("N32_C16_16x16/affine", func(b *testing.B) {
		bn, _ := NewBatchNorm2d(16, BatchNormConfig{Affine: true})
		benchOp(b, [][]int{{32, 16, 16, 16}, {16}, {16}}, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return bn.Apply(in[0], in[1], in[2]) })
	})
}

func BenchmarkReLU(b *testing.B) {
	benchOp(b, [][]int{{32, 16, 16, 16}}, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return ReLU(in[0]) })
}

func BenchmarkWeightedSum(b *testing.B) {
	// A DARTS mixed edge: 7 non-none ops of 8.
	shapes := [][]int{{8}}
	for range 7 {
		shapes = append(shapes, []int{32, 16, 16, 16})
	}
	benchOp(b, shapes, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
		terms := make([]Term, 7)
		for j := range terms {
			terms[j] = Term{j + 1, in[j+1]}
		}
		return WeightedSum(in[0], terms...)
	})
}

func BenchmarkLinear(b *testing.B) {
	b.Run("NAR_FFN_128x31x128to512", func(b *testing.B) {
		benchOp(b, [][]int{{128, 31, 128}, {512, 128}, {512}}, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			return Linear(in[0], in[1], in[2])
		})
	})
	b.Run("NAR_QKV_128x31x128to128_nobias", func(b *testing.B) {
		benchOp(b, [][]int{{128, 31, 128}, {128, 128}}, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			return Linear(in[0], in[1], nil)
		})
	})
}

func BenchmarkLayerNorm(b *testing.B) {
	benchOp(b, [][]int{{128, 31, 128}, {128}, {128}}, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
		return LayerNorm(in[0], in[1], in[2], 1e-6)
	})
}

func BenchmarkSoftmax(b *testing.B) {
	b.Run("NAR_scores_128x4x31x31", func(b *testing.B) {
		benchOp(b, [][]int{{128, 4, 31, 31}}, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return Softmax(in[0]) })
	})
}

func BenchmarkBatchedMatMul(b *testing.B) {
	b.Run("NAR_QKt_128x4x31x32", func(b *testing.B) {
		benchOp(b, [][]int{{128, 4, 31, 32}, {128, 4, 31, 32}}, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			return BatchedMatMul(in[0], in[1], false, true)
		})
	})
	b.Run("NAR_PV_128x4x31x31_31x32", func(b *testing.B) {
		benchOp(b, [][]int{{128, 4, 31, 31}, {128, 4, 31, 32}}, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			return BatchedMatMul(in[0], in[1], false, false)
		})
	})
}

func BenchmarkCrossEntropy(b *testing.B) {
	// CIFAR-10 logits of a batch of 64 (DARTS search batch size).
	rng := rand.New(rand.NewPCG(3, 4))
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(64, 10), G.WithValue(benchTensor(rng, 64, 10)))
	tg := make([]float32, 64)
	for i := range tg {
		tg[i] = float32(i % 10)
	}
	t := G.NewVector(g, tensor.Float32, G.WithShape(64), G.WithValue(tensor.New(tensor.WithShape(64), tensor.WithBacking(tg))))
	loss, err := CrossEntropy(x, t, 0.1)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := G.Grad(loss, x); err != nil {
		b.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	b.ReportAllocs()
	start := numtest.CPUTime()
	for b.Loop() {
		m.Reset()
		if err := m.RunAll(); err != nil {
			b.Fatal(err)
		}
	}
	numtest.ReportCPU(b, start)
}
