package op

import (
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/numtest"
)

// From testdata/gen_attn.py: a @ b with every combination of transposed operands, shapes (2, 3, ·, ·), and
// with leading dimensions of size 1 broadcast (bc_*).
func TestBatchedMatMulGolden(t *testing.T) {
	for _, tc := range []struct {
		cas            string
		transA, transB bool
	}{{"nn", false, false}, {"nt", false, true}, {"tn", true, false}, {"tt", true, true},
		{"bc_nt", false, true}, {"bc_mixed", false, false}} {
		t.Run(tc.cas, func(t *testing.T) {
			fx := func(n string) *tensor.Dense { return opsFixture(t, "attn", tc.cas, n) }
			build := func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
				return BatchedMatMul(in[0], in[1], tc.transA, tc.transB)
			}
			y, grads := goldenRun(t, []*tensor.Dense{fx("a"), fx("b")}, fx("R"), []int{0, 1}, build)
			numtest.AllClose(t, y, fx("y").Float32s(), goldenAtol, goldenRtol)
			numtest.AllClose(t, grads[0], fx("da").Float32s(), goldenAtol, goldenRtol)
			numtest.AllClose(t, grads[1], fx("db").Float32s(), goldenAtol, goldenRtol)
			numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node { return mustNode(t)(build(g, in)) },
				float64Inputs(fx("a"), fx("b")), fdTol)
		})
	}
}

// Plain matrices (rank 2, batch 1) and the same node on both sides (x·xᵀ, whose gradients add up).
func TestBatchedMatMulRank2AndSharedInput(t *testing.T) {
	x := opsFixture(t, "attn", "nn", "a") // (2, 3, 4, 5)
	flat := float64Inputs(x)[0]
	m := tensor.New(tensor.WithShape(8, 15), tensor.WithBacking(flat.Float64s()))
	numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
		return mustNode(t)(BatchedMatMul(in[0], in[0], false, true))
	}, []*tensor.Dense{m}, fdTol)
	numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
		return mustNode(t)(BatchedMatMul(in[0], in[0], true, false))
	}, []*tensor.Dense{float64Inputs(x)[0]}, fdTol)
}

// An attention head end to end: softmax(Q·Kᵀ/√d)·V, checked by finite differences w.r.t. Q, K and V.
func TestAttentionComposition(t *testing.T) {
	q := float64Inputs(opsFixture(t, "attn", "nt", "a"))[0] // (2, 3, 4, 5)
	k := float64Inputs(opsFixture(t, "attn", "nt", "b"))[0] // (2, 3, 6, 5)
	v := float64Inputs(opsFixture(t, "attn", "nn", "b"))[0] // (2, 3, 5, 6) → used as (2, 3, 6, 5) values
	if err := v.Reshape(2, 3, 6, 5); err != nil {
		t.Fatal(err)
	}
	numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
		s := mustNode(t)(BatchedMatMul(in[0], in[1], false, true))
		s = mustNode(t)(G.Mul(s, G.NewConstant(1/math.Sqrt(5))))
		p := mustNode(t)(Softmax(s))
		return mustNode(t)(BatchedMatMul(p, in[2], false, false))
	}, []*tensor.Dense{q, k, v}, fdTol)
}

func TestBatchedMatMulShapeErrors(t *testing.T) {
	g := G.NewGraph()
	a := G.NewTensor(g, tensor.Float32, 3, G.WithShape(2, 4, 5))
	for _, tc := range []struct {
		b    tensor.Shape
		tb   bool
		want string
	}{
		{tensor.Shape{2, 6, 5}, false, "inner dimensions 5 and 6 differ"},
		{tensor.Shape{3, 5, 6}, false, "leading dimension 0 differs (2 vs 3; only size 1 broadcasts)"},
		{tensor.Shape{2, 5, 6}, true, "inner dimensions 5 and 6 differ"},
	} {
		b := G.NewTensor(g, tensor.Float32, 3, G.WithShape(tc.b...))
		if _, err := BatchedMatMul(a, b, false, tc.tb); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("a (2,4,5) × b %v (transB %v): error %v, want %q", tc.b, tc.tb, err, tc.want)
		}
	}
}
