package op

import (
	"fmt"
	"path/filepath"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/numtest"
)

// goldenAtol, goldenRtol (float32 vs PyTorch float32, engine brief) and fdTol (float64 finite differences) are
// shared with the conv tests (golden_test.go).

// lossScale is the G of gen_loss.py: scalar losses are differentiated as G·loss.
const lossScale = 0.7

// opsFixture reads testdata/<family>/<case>_<name>.npy (written by testdata/gen_<family>.py).
func opsFixture(t testing.TB, family, cas, name string) *tensor.Dense {
	t.Helper()
	return numtest.MustReadNpy(t, filepath.Join("testdata", family, cas+"_"+name+".npy"))
}

// goldenRun builds a float32 graph with one node per input fixture, applies build, forms the loss
// (sum(out ⊙ R) with R from the fixtures, or lossScale·out for a scalar output), and returns the output and
// the gradients of the loss w.r.t. the inputs listed in diff (indices into inputs), read through G.Read.
func goldenRun(t testing.TB, inputs []*tensor.Dense, R *tensor.Dense, diff []int,
	build func(g *G.ExprGraph, in G.Nodes) (*G.Node, error)) (out []float32, grads [][]float32) {
	t.Helper()
	return goldenRunOpts(t, inputs, R, diff, build)
}

// goldenRunOpts is goldenRun with options for the TapeMachine (e.g. G.EvalMode()).
func goldenRunOpts(t testing.TB, inputs []*tensor.Dense, R *tensor.Dense, diff []int,
	build func(g *G.ExprGraph, in G.Nodes) (*G.Node, error), opts ...G.VMOpt) (out []float32, grads [][]float32) {
	t.Helper()
	g := G.NewGraph()
	nodes := make(G.Nodes, len(inputs))
	for i, v := range inputs {
		c := v.Clone().(*tensor.Dense)
		nodes[i] = G.NewTensor(g, tensor.Float32, c.Dims(), G.WithShape(c.Shape().Clone()...), G.WithValue(c),
			G.WithName(fmt.Sprintf("in%d", i)))
	}
	y, err := build(g, nodes)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	var loss *G.Node
	if R != nil {
		size := y.Shape().TotalSize()
		flat := G.Must(G.Reshape(y, tensor.Shape{size}))
		r := R.Clone().(*tensor.Dense)
		if err := r.Reshape(size); err != nil {
			t.Fatal(err)
		}
		loss = G.Must(G.Sum(G.Must(G.HadamardProd(flat, G.NewConstant(r)))))
	} else {
		loss = G.Must(G.Mul(y, G.NewConstant(float32(lossScale))))
	}
	wrt := make(G.Nodes, len(diff))
	for i, d := range diff {
		wrt[i] = nodes[d]
	}
	gs, err := G.Grad(loss, wrt...)
	if err != nil {
		t.Fatalf("Grad: %v", err)
	}
	var yv G.Value
	G.Read(y, &yv)
	gv := make([]G.Value, len(gs))
	for i := range gs {
		G.Read(gs[i], &gv[i])
	}
	m := G.NewTapeMachine(g, opts...)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatalf("run: %v", err)
	}
	out = float32sOf(t, yv)
	for _, v := range gv {
		grads = append(grads, float32sOf(t, v))
	}
	return out, grads
}

// float32sOf copies a float32 value (tensor or scalar) into a slice.
func float32sOf(t testing.TB, v G.Value) []float32 {
	t.Helper()
	switch s := v.(type) {
	case *G.F32:
		return []float32{float32(*s)}
	case *tensor.Dense:
		return append([]float32(nil), s.Float32s()...)
	}
	t.Fatalf("value %T, want float32", v)
	return nil
}

// float64Inputs converts float32 fixtures to float64 copies for the finite-difference checks.
func float64Inputs(ts ...*tensor.Dense) []*tensor.Dense {
	out := make([]*tensor.Dense, len(ts))
	for i, x := range ts {
		f := x.Float32s()
		d := make([]float64, len(f))
		for j, v := range f {
			d[j] = float64(v)
		}
		out[i] = tensor.New(tensor.WithShape(x.Shape().Clone()...), tensor.WithBacking(d))
	}
	return out
}

// mustNode fails the test when an op constructor fails; for CheckGrad's build functions.
func mustNode(t testing.TB) func(*G.Node, error) *G.Node {
	return func(n *G.Node, err error) *G.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
}
