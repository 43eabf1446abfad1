package op

import (
	"errors"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/numtest"
)

type convCase struct {
	Name          string `json:"name"`
	Transposed    bool   `json:"transposed"`
	Stride        [2]int `json:"stride"`
	Padding       [2]int `json:"padding"`
	Dilation      [2]int `json:"dilation"`
	Groups        int    `json:"groups"`
	Bias          bool   `json:"bias"`
	OutputPadding [2]int `json:"output_padding"`
	ReLU          bool   `json:"relu"`
}

// build returns the graph builder for the case: inputs are (x, w) or (x, w, b).
func (c convCase) build(t testing.TB) func(g *G.ExprGraph, in G.Nodes) *G.Node {
	return func(g *G.ExprGraph, in G.Nodes) *G.Node {
		var b *G.Node
		if c.Bias {
			b = in[2]
		}
		var y *G.Node
		var err error
		if c.Transposed {
			y, err = ConvTranspose2d(in[0], in[1], b, ConvTransposeParams{Stride: c.Stride, Padding: c.Padding,
				OutputPadding: c.OutputPadding, Dilation: c.Dilation, Groups: c.Groups})
		} else {
			y, err = Conv2d(in[0], in[1], b, ConvParams{Stride: c.Stride, Padding: c.Padding, Dilation: c.Dilation,
				Groups: c.Groups, ReLU: c.ReLU})
		}
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		return y
	}
}

func (c convCase) inputs(t *testing.T) []*tensor.Dense {
	in := []*tensor.Dense{fixture(t, "conv", c.Name, "x", false), fixture(t, "conv", c.Name, "w", false)}
	if c.Bias {
		in = append(in, fixture(t, "conv", c.Name, "b", false))
	}
	return in
}

// TestConvGolden compares Conv2d and ConvTranspose2d, forward and backward, with PyTorch float32 results
// from testdata/gen_conv.py.
func TestConvGolden(t *testing.T) {
	var cases []convCase
	readCases(t, "testdata/conv/cases.json", &cases)
	if len(cases) < 19 {
		t.Fatalf("testdata/conv/cases.json has %d cases, want 19", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			in := c.inputs(t)
			y, grads := numtest.ForwardBackward(t, c.build(t), in, fixture(t, "conv", c.Name, "r", false))
			numtest.AllClose(t, y.Float32s(), fixture(t, "conv", c.Name, "y", false).Float32s(), goldenAtol, goldenRtol)
			for i, key := range []string{"dx", "dw", "db"}[:len(in)] {
				want := fixture(t, "conv", c.Name, key, false)
				if !grads[i].Shape().Eq(want.Shape()) {
					t.Fatalf("%s shape %v, want %v", key, grads[i].Shape(), want.Shape())
				}
				t.Run(key, func(t *testing.T) {
					numtest.AllClose(t, grads[i].Float32s(), want.Float32s(), goldenAtol, goldenRtol)
				})
			}
		})
	}
}

// TestConvGradFD checks every convolution case's gradients (x, w and b) against finite differences in
// float64, on the golden inputs.
func TestConvGradFD(t *testing.T) {
	var cases []convCase
	readCases(t, "testdata/conv/cases.json", &cases)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			in := c.inputs(t)
			for i := range in {
				in[i] = to64(in[i])
			}
			numtest.CheckGrad(t, c.build(t), in, fdTol)
		})
	}
}

// TestConvNoMerge proves that convolutions differing in any parameter stay separate nodes, while an identical
// one is shared (gorgonia hash-conses equal ops on equal children).
func TestConvNoMerge(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 4, 8, 8), G.WithName("x"))
	w := G.NewTensor(g, tensor.Float32, 4, G.WithShape(4, 1, 3, 3), G.WithName("w"))
	w4 := G.NewTensor(g, tensor.Float32, 4, G.WithShape(4, 4, 3, 3), G.WithName("w4"))
	base := ConvParams{Padding: [2]int{1, 1}, Groups: 4}
	variants := []ConvParams{
		base,
		{Padding: [2]int{1, 1}, Groups: 4, Stride: [2]int{2, 2}},
		{Padding: [2]int{2, 2}, Groups: 4, Dilation: [2]int{2, 2}},
		{Padding: [2]int{1, 0}, Groups: 4},
		{Padding: [2]int{1, 1}, Groups: 4, Stride: [2]int{1, 2}},
		{Padding: [2]int{1, 1}, Groups: 4, ReLU: true},
	}
	seen := map[*G.Node]int{}
	for i, p := range variants {
		y := G.Must(Conv2d(x, w, nil, p))
		if j, ok := seen[y]; ok {
			t.Errorf("Conv2d variants %d (%v) and %d (%v) merged into one node", j, variants[j], i, p)
		}
		seen[y] = i
	}
	dense := G.Must(Conv2d(x, w4, nil, ConvParams{Padding: [2]int{1, 1}}))
	tr := G.Must(ConvTranspose2d(x, w4, nil, ConvTransposeParams{Padding: [2]int{1, 1}}))
	if dense == tr {
		t.Error("Conv2d and ConvTranspose2d with the same inputs merged into one node")
	}
	if again := G.Must(Conv2d(x, w, nil, base)); again != G.Must(Conv2d(x, w, nil, base)) {
		t.Error("two identical Conv2d nodes were not shared")
	}
}

func TestConvShapeErrors(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(2, 4, 8, 8), G.WithName("x"))
	w := G.NewTensor(g, tensor.Float32, 4, G.WithShape(6, 4, 3, 3), G.WithName("w"))
	b5 := G.NewTensor(g, tensor.Float32, 1, G.WithShape(5), G.WithName("b"))
	w3 := G.NewTensor(g, tensor.Float32, 4, G.WithShape(6, 3, 3, 3), G.WithName("w3"))
	x2 := G.NewTensor(g, tensor.Float32, 2, G.WithShape(2, 4), G.WithName("x2"))
	for _, tc := range []struct {
		name string
		err  func() error
	}{
		{"bias size", func() error { _, err := Conv2d(x, w, b5, ConvParams{}); return err }},
		{"channels", func() error { _, err := Conv2d(x, w3, nil, ConvParams{}); return err }},
		{"groups", func() error { _, err := Conv2d(x, w, nil, ConvParams{Groups: 3}); return err }},
		{"kernel too big", func() error {
			_, err := Conv2d(x, w, nil, ConvParams{Dilation: [2]int{5, 5}})
			return err
		}},
		{"rank", func() error { _, err := Conv2d(x2, w, nil, ConvParams{}); return err }},
		{"transpose channels", func() error { _, err := ConvTranspose2d(x, w, nil, ConvTransposeParams{}); return err }},
		{"output padding", func() error {
			_, err := ConvTranspose2d(x, G.NewTensor(g, tensor.Float32, 4, G.WithShape(4, 2, 3, 3)), nil,
				ConvTransposeParams{Stride: [2]int{2, 2}, OutputPadding: [2]int{2, 0}})
			return err
		}},
	} {
		if err := tc.err(); !errors.Is(err, ErrShape) {
			t.Errorf("%s: error %v, want one wrapping ErrShape", tc.name, err)
		}
	}
}
