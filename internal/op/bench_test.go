package op

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/numtest"
)

// BenchmarkOpFwdBwd times one training step through gorgonia for each op on the DARTS mixed-edge input of
// the engine issue, x = (32, 16, 16, 16) float32: y = op(x), L = sum(y ⊙ r), gradients w.r.t. x and the
// weight, on a TapeMachine built once (each iteration is Reset + RunAll). It is the Go side of
// testdata/bench_torch.py; the "identity" case is the loss overhead shared by all rows.
func BenchmarkOpFwdBwd(b *testing.B) {
	const n, c, h, w = 32, 16, 16, 16
	p1 := [2]int{1, 1}
	cases := []struct {
		name   string
		wshape []int // nil: no weight
		build  func(x, w *G.Node) (*G.Node, error)
	}{
		{"identity", nil, func(x, _ *G.Node) (*G.Node, error) { return x, nil }},
		{"dw3x3", []int{c, 1, 3, 3}, func(x, w *G.Node) (*G.Node, error) {
			return Conv2d(x, w, nil, ConvParams{Padding: p1, Groups: c})
		}},
		{"relu_dw3x3_fused", []int{c, 1, 3, 3}, func(x, w *G.Node) (*G.Node, error) {
			return Conv2d(x, w, nil, ConvParams{Padding: p1, Groups: c, ReLU: true})
		}},
		{"relu_dw3x3_separate", []int{c, 1, 3, 3}, func(x, w *G.Node) (*G.Node, error) {
			r, err := G.Rectify(x)
			if err != nil {
				return nil, err
			}
			return Conv2d(r, w, nil, ConvParams{Padding: p1, Groups: c})
		}},
		{"dw5x5_d2", []int{c, 1, 5, 5}, func(x, w *G.Node) (*G.Node, error) {
			return Conv2d(x, w, nil, ConvParams{Padding: [2]int{4, 4}, Dilation: [2]int{2, 2}, Groups: c})
		}},
		{"pw1x1", []int{c, c, 1, 1}, func(x, w *G.Node) (*G.Node, error) { return Conv2d(x, w, nil, ConvParams{}) }},
		{"dense3x3", []int{c, c, 3, 3}, func(x, w *G.Node) (*G.Node, error) {
			return Conv2d(x, w, nil, ConvParams{Padding: p1})
		}},
		{"max3x3", nil, func(x, _ *G.Node) (*G.Node, error) {
			return MaxPool2d(x, PoolParams{Kernel: [2]int{3, 3}, Stride: p1, Padding: p1})
		}},
		{"avg3x3_excl", nil, func(x, _ *G.Node) (*G.Node, error) {
			return AvgPool2d(x, PoolParams{Kernel: [2]int{3, 3}, Stride: p1, Padding: p1}, false)
		}},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			g := G.NewGraph()
			x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(n, c, h, w), G.WithName("x"),
				G.WithValue(randDense(rng, n, c, h, w)))
			wrt := G.Nodes{x}
			var wn *G.Node
			if bc.wshape != nil {
				wn = G.NewTensor(g, tensor.Float32, 4, G.WithShape(bc.wshape...), G.WithName("w"),
					G.WithValue(randDense(rng, bc.wshape...)))
				wrt = append(wrt, wn)
			}
			y, err := bc.build(x, wn)
			if err != nil {
				b.Fatal(err)
			}
			size := n * c * h * w
			flat := G.Must(G.Reshape(y, tensor.Shape{size}))
			r := G.NewConstant(randDense(rng, size), G.WithName("r"))
			loss := G.Must(G.Sum(G.Must(G.HadamardProd(flat, r))))
			if _, err := G.Grad(loss, wrt...); err != nil {
				b.Fatal(err)
			}
			m := G.NewTapeMachine(g, G.BindDualValues(wrt...))
			defer m.Close()
			b.ReportAllocs()
			defer numtest.ReportCPU(b, numtest.CPUTime())
			for b.Loop() {
				m.Reset()
				if err := m.RunAll(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func randDense(rng *rand.Rand, shape ...int) *tensor.Dense {
	size := 1
	for _, s := range shape {
		size *= s
	}
	v := make([]float32, size)
	for i := range v {
		v[i] = float32(2*rng.Float64() - 1)
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}
