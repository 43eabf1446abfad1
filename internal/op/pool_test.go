package op

import (
	"errors"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/numtest"
)

type poolCase struct {
	Name            string `json:"name"`
	Kind            string `json:"kind"` // max, avg or global
	Kernel          [2]int `json:"kernel"`
	Stride          [2]int `json:"stride"`
	Padding         [2]int `json:"padding"`
	CountIncludePad bool   `json:"count_include_pad"`
}

func (c poolCase) build(t testing.TB) func(g *G.ExprGraph, in G.Nodes) *G.Node {
	return func(g *G.ExprGraph, in G.Nodes) *G.Node {
		p := PoolParams{Kernel: c.Kernel, Stride: c.Stride, Padding: c.Padding}
		var y *G.Node
		var err error
		switch c.Kind {
		case "max":
			y, err = MaxPool2d(in[0], p)
		case "avg":
			y, err = AvgPool2d(in[0], p, c.CountIncludePad)
		case "global":
			y, err = GlobalAvgPool2d(in[0])
		default:
			t.Fatalf("%s: unknown kind %q", c.Name, c.Kind)
		}
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		return y
	}
}

// TestPoolGolden compares the pools, forward and backward, with PyTorch float32 results from
// testdata/gen_pool.py.
func TestPoolGolden(t *testing.T) {
	var cases []poolCase
	readCases(t, "testdata/pool/cases.json", &cases)
	if len(cases) < 11 {
		t.Fatalf("testdata/pool/cases.json has %d cases, want 11", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			x := fixture(t, "pool", c.Name, "x", false)
			y, grads := numtest.ForwardBackward(t, c.build(t), []*tensor.Dense{x}, fixture(t, "pool", c.Name, "r", false))
			numtest.AllClose(t, y.Float32s(), fixture(t, "pool", c.Name, "y", false).Float32s(), goldenAtol, goldenRtol)
			numtest.AllClose(t, grads[0].Float32s(), fixture(t, "pool", c.Name, "dx", false).Float32s(), goldenAtol, goldenRtol)
		})
	}
}

// TestPoolGradFD checks the pool gradients against finite differences in float64 on the golden inputs (their
// random values have no ties, so max pooling is differentiable there).
func TestPoolGradFD(t *testing.T) {
	var cases []poolCase
	readCases(t, "testdata/pool/cases.json", &cases)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			numtest.CheckGrad(t, c.build(t), []*tensor.Dense{to64(fixture(t, "pool", c.Name, "x", false))}, fdTol)
		})
	}
}

// TestMaxPoolPadding checks that padding acts as −∞: on an all-negative input every output is an input value,
// never the 0 a zero padding would give.
func TestMaxPoolPadding(t *testing.T) {
	x := tensor.New(tensor.WithShape(1, 1, 2, 2), tensor.WithBacking([]float32{-4, -3, -2, -1}))
	r := tensor.New(tensor.WithShape(1, 1, 2, 2), tensor.WithBacking([]float32{1, 1, 1, 1}))
	y, grads := numtest.ForwardBackward(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
		return G.Must(MaxPool2d(in[0], PoolParams{Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}}))
	}, []*tensor.Dense{x}, r)
	numtest.AllClose(t, y.Float32s(), []float32{-1, -1, -1, -1}, 0, 0)
	numtest.AllClose(t, grads[0].Float32s(), []float32{0, 0, 0, 4}, 0, 0)
	if math.IsInf(float64(y.Float32s()[0]), 0) {
		t.Error("max pool returned -Inf")
	}
}

// TestPoolNoMerge proves that pools differing in kind or any parameter, count_include_pad included, stay
// separate nodes on the same input.
func TestPoolNoMerge(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(2, 3, 8, 8), G.WithName("x"))
	p := PoolParams{Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}}
	nodes := []*G.Node{
		G.Must(AvgPool2d(x, p, true)),
		G.Must(AvgPool2d(x, p, false)),
		G.Must(MaxPool2d(x, p)),
		G.Must(MaxPool2d(x, PoolParams{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}})),
		G.Must(MaxPool2d(x, PoolParams{Kernel: [2]int{3, 3}})),
		G.Must(GlobalAvgPool2d(x)),
	}
	for i := range nodes {
		for j := i + 1; j < len(nodes); j++ {
			if nodes[i] == nodes[j] {
				t.Errorf("pool nodes %d (%v) and %d (%v) merged", i, nodes[i].Op(), j, nodes[j].Op())
			}
		}
	}
	if G.Must(MaxPool2d(x, p)) != nodes[2] {
		t.Error("identical MaxPool2d nodes were not shared")
	}
}

func TestPoolShapeErrors(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(2, 3, 4, 4), G.WithName("x"))
	x2 := G.NewTensor(g, tensor.Float32, 2, G.WithShape(2, 3), G.WithName("x2"))
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"padding over half", second(MaxPool2d(x, PoolParams{Kernel: [2]int{3, 3}, Padding: [2]int{2, 2}}))},
		{"kernel too big", second(AvgPool2d(x, PoolParams{Kernel: [2]int{5, 5}}, true))},
		{"rank", second(MaxPool2d(x2, PoolParams{Kernel: [2]int{2, 2}}))},
		{"global rank", second(GlobalAvgPool2d(x2))},
	} {
		if !errors.Is(tc.err, ErrShape) {
			t.Errorf("%s: error %v, want one wrapping ErrShape", tc.name, tc.err)
		}
	}
}

func second(_ *G.Node, err error) error { return err }
