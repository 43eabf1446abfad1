package op

import (
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/numtest"
)

// The clamp range of gen_act.py (LO, HI).
const actLo, actHi = -0.5, 0.75

// From testdata/gen_act.py: torch.relu, F.hardtanh(x, -0.5, 0.75) and torch.clamp(x, -0.5, 0.75) on inputs
// with exact zeros and exact boundary values, so the boundary conventions of the gradients are pinned.
func TestActivationGolden(t *testing.T) {
	for _, tc := range []struct {
		cas string
		fn  func(*G.Node) (*G.Node, error)
	}{
		{"relu", ReLU},
		{"hardtanh", func(x *G.Node) (*G.Node, error) { return Hardtanh(x, actLo, actHi) }},
		{"clamp", func(x *G.Node) (*G.Node, error) { return Clamp(x, actLo, actHi) }},
	} {
		t.Run(tc.cas, func(t *testing.T) {
			fx := func(n string) *tensor.Dense { return opsFixture(t, "act", tc.cas, n) }
			y, grads := goldenRun(t, []*tensor.Dense{fx("x")}, fx("R"), []int{0},
				func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return tc.fn(in[0]) })
			numtest.AllClose(t, y, fx("y").Float32s(), 0, 0) // exact: no arithmetic
			numtest.AllClose(t, grads[0], fx("dx").Float32s(), 0, 0)
		})
	}
}

// The hardtanh and clamp goldens differ exactly at the boundaries; this guards against a fixture that would
// not exercise them.
func TestActivationGoldenHitsBoundaries(t *testing.T) {
	x := opsFixture(t, "act", "clamp", "x").Float32s()
	dh, dc := opsFixture(t, "act", "hardtanh", "dx").Float32s(), opsFixture(t, "act", "clamp", "dx").Float32s()
	xh := opsFixture(t, "act", "hardtanh", "x").Float32s()
	var hits int
	for i, v := range x {
		if (v == actLo || v == actHi) && dc[i] != 0 {
			hits++
		}
	}
	var onBoundary int
	for i, v := range xh {
		if v == actLo || v == actHi {
			onBoundary++
			if dh[i] != 0 {
				t.Errorf("hardtanh golden passes a gradient at the boundary x[%d] = %v", i, v)
			}
		}
	}
	if onBoundary < 2 {
		t.Errorf("hardtanh golden has %d inputs on the boundaries, want >= 2", onBoundary)
	}
	if hits < 2 {
		t.Errorf("clamp golden has %d boundary inputs with a gradient, want >= 2", hits)
	}
}

func TestActivationGradFD(t *testing.T) {
	// FD is undefined at kinks, so the inputs avoid 0 and the clamp boundaries by at least 1e-3 ≫ h = 1e-6.
	x := tensor.New(tensor.WithShape(2, 3, 4), tensor.WithBacking([]float64{
		-1.2, -0.6, -0.4, -0.1, 0.1, 0.3, 0.6, 0.8, 1.5, -2, 2, 0.05,
		0.7, -0.45, 0.2, -0.7, 0.74, -0.49, 0.01, -0.01, 1.1, -1.1, 0.5, -0.3}))
	for name, fn := range map[string]func(*G.Node) (*G.Node, error){
		"relu":     ReLU,
		"hardtanh": func(x *G.Node) (*G.Node, error) { return Hardtanh(x, actLo, actHi) },
		"clamp":    func(x *G.Node) (*G.Node, error) { return Clamp(x, actLo, actHi) },
	} {
		t.Run(name, func(t *testing.T) {
			numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node { return mustNode(t)(fn(in[0])) },
				[]*tensor.Dense{x}, fdTol)
		})
	}
}

func TestClampRejectsEmptyRange(t *testing.T) {
	g := G.NewGraph()
	x := G.NewVector(g, tensor.Float32, G.WithShape(3))
	if _, err := Clamp(x, 1, 0); err == nil || !strings.Contains(err.Error(), "must not exceed") {
		t.Errorf("Clamp(x, 1, 0) error = %v", err)
	}
	a, _ := Hardtanh(x, 0, 1)
	b, _ := Clamp(x, 0, 1)
	c, _ := Hardtanh(x, 0, 2)
	if a == b || a == c {
		t.Error("Hardtanh and Clamp nodes with different semantics or ranges merged")
	}
}

// From testdata/gen_act.py: torch.nn.Linear(5, 4) on x (2, 3, 5).
func TestLinearGolden(t *testing.T) {
	fx := func(n string) *tensor.Dense { return opsFixture(t, "act", "linear", n) }
	y, grads := goldenRun(t, []*tensor.Dense{fx("x"), fx("weight"), fx("bias")}, fx("R"), []int{0, 1, 2},
		func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return Linear(in[0], in[1], in[2]) })
	numtest.AllClose(t, y, fx("y").Float32s(), goldenAtol, goldenRtol)
	numtest.AllClose(t, grads[0], fx("dx").Float32s(), goldenAtol, goldenRtol)
	numtest.AllClose(t, grads[1], fx("dweight").Float32s(), goldenAtol, goldenRtol)
	numtest.AllClose(t, grads[2], fx("dbias").Float32s(), goldenAtol, goldenRtol)
}

func TestLinearGradFD(t *testing.T) {
	fx := func(n string) *tensor.Dense { return opsFixture(t, "act", "linear", n) }
	numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node { return mustNode(t)(Linear(in[0], in[1], in[2])) },
		float64Inputs(fx("x"), fx("weight"), fx("bias")), fdTol)
	numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node { return mustNode(t)(Linear(in[0], in[1], nil)) },
		float64Inputs(fx("x"), fx("weight")), fdTol)
}

func TestLinearShapeErrors(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 2, G.WithShape(3, 5))
	w := G.NewMatrix(g, tensor.Float32, G.WithShape(4, 6))
	if _, err := Linear(x, w, nil); err == nil || !strings.Contains(err.Error(), "last dimension 6") {
		t.Errorf("Linear with in=5 vs weight (4,6): %v", err)
	}
	w2 := G.NewMatrix(g, tensor.Float32, G.WithShape(4, 5))
	b := G.NewVector(g, tensor.Float32, G.WithShape(3))
	if _, err := Linear(x, w2, b); err == nil || !strings.Contains(err.Error(), "bias has shape") {
		t.Errorf("Linear with bias (3) for 4 outputs: %v", err)
	}
}

// From testdata/gen_act.py: w = softmax(α) over 8 ops, terms at indices 1, 3 and 6.
func TestWeightedSumGolden(t *testing.T) {
	fx := func(n string) *tensor.Dense { return opsFixture(t, "act", "wsum", n) }
	build := func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
		return WeightedSum(in[0], Term{1, in[1]}, Term{3, in[2]}, Term{6, in[3]})
	}
	y, grads := goldenRun(t, []*tensor.Dense{fx("w"), fx("x0"), fx("x1"), fx("x2")}, fx("R"), []int{0, 1, 2, 3}, build)
	numtest.AllClose(t, y, fx("y").Float32s(), goldenAtol, goldenRtol)
	numtest.AllClose(t, grads[0], fx("dw").Float32s(), goldenAtol, goldenRtol)
	for j, n := range []string{"dx0", "dx1", "dx2"} {
		t.Logf("term %d", j)
		numtest.AllClose(t, grads[j+1], fx(n).Float32s(), goldenAtol, goldenRtol)
	}
	numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node { return mustNode(t)(build(g, in)) },
		float64Inputs(fx("w"), fx("x0"), fx("x1"), fx("x2")), fdTol)
}

// The α index of each term is part of the op: the same inputs at other indices give another node.
func TestWeightedSumIndicesMatter(t *testing.T) {
	g := G.NewGraph()
	w := G.NewVector(g, tensor.Float32, G.WithShape(4))
	x := G.NewVector(g, tensor.Float32, G.WithShape(3))
	y := G.NewVector(g, tensor.Float32, G.WithShape(3))
	a := mustNode(t)(WeightedSum(w, Term{0, x}, Term{1, y}))
	b := mustNode(t)(WeightedSum(w, Term{2, x}, Term{1, y}))
	if a == b {
		t.Error("weighted sums with different α indices merged")
	}
	for _, tc := range []struct {
		terms []Term
		want  string
	}{
		{nil, "no terms"},
		{[]Term{{4, x}}, "out of range"},
		{[]Term{{1, x}, {1, y}}, "used twice"},
	} {
		if _, err := WeightedSum(w, tc.terms...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("WeightedSum(%v) error = %v, want %q", tc.terms, err, tc.want)
		}
	}
}
