package op

import (
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// dropRun builds x → layer → sum(y ⊙ R) on a float64 x of the given shape (x_i = i+1, R_i = 1/(i+1)) and runs
// steps training steps, returning y and dL/dx of the last one. The machine is built in evaluation mode when
// eval is set.
func dropRun(t *testing.T, d *Dropout, shape tensor.Shape, steps int, eval bool) (y, dx []float64) {
	t.Helper()
	n := shape.TotalSize()
	xs, rs := make([]float64, n), make([]float64, n)
	for i := range xs {
		xs[i], rs[i] = float64(i+1), 1/float64(i+1)
	}
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float64, shape.Dims(), G.WithShape(shape...), G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(xs))))
	out := mustNode(t)(d.Apply(x))
	flat := mustNode(t)(G.Reshape(out, tensor.Shape{n}))
	loss := mustNode(t)(G.Sum(mustNode(t)(G.HadamardProd(flat, G.NewConstant(tensor.New(tensor.WithShape(n), tensor.WithBacking(rs)))))))
	grads, err := G.Grad(loss, x)
	if err != nil {
		t.Fatal(err)
	}
	var yv, gv G.Value
	G.Read(out, &yv)
	G.Read(grads[0], &gv)
	var opts []G.VMOpt
	if eval {
		opts = append(opts, G.EvalMode())
	}
	m := G.NewTapeMachine(g, opts...)
	defer m.Close()
	for i := 0; i < steps; i++ {
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
	}
	return yv.(*tensor.Dense).Float64s(), gv.(*tensor.Dense).Float64s()
}

// In training, y = x·mask and dL/dx = R·mask with the stored mask, whose entries are 0 or 1/(1−p); the kept
// fraction is near 1−p; the same seed gives the same masks, another seed other masks.
func TestDropoutTraining(t *testing.T) {
	const p = 0.3
	shape := tensor.Shape{40, 50}
	d, _ := NewDropout(p, 42)
	y, dx := dropRun(t, d, shape, 3, false)
	mask := d.Mask()
	if len(mask) != shape.TotalSize() {
		t.Fatalf("mask has %d entries, want %d", len(mask), shape.TotalSize())
	}
	kept := 0
	for i, m := range mask {
		if m != 0 && math.Abs(m-1/(1-p)) > 1e-15 {
			t.Fatalf("mask[%d] = %v, want 0 or %v", i, m, 1/(1-p))
		}
		if m != 0 {
			kept++
		}
		x, r := float64(i+1), 1/float64(i+1)
		if y[i] != x*m || dx[i] != r*m {
			t.Fatalf("element %d: y %v, dx %v; want x·mask %v, R·mask %v", i, y[i], dx[i], x*m, r*m)
		}
	}
	// 2000 Bernoulli(0.7) draws: standard deviation √(2000·0.21) ≈ 20.5, so ±100 is a ~5σ band.
	if kept < 1400-100 || kept > 1400+100 {
		t.Errorf("kept %d of 2000, want about 1400", kept)
	}
	d2, _ := NewDropout(p, 42)
	dropRun(t, d2, shape, 3, false)
	d3, _ := NewDropout(p, 43)
	dropRun(t, d3, shape, 3, false)
	if !equal(d2.Mask(), mask) {
		t.Error("same seed, same steps: masks differ")
	}
	if equal(d3.Mask(), mask) {
		t.Error("another seed gave the same mask")
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Drop-path keeps or drops whole samples: every element of a sample gets the sample's one mask value.
func TestDropPath(t *testing.T) {
	const p = 0.5
	shape := tensor.Shape{64, 2, 3}
	d, _ := NewDropPath(p, 7)
	y, dx := dropRun(t, d, shape, 1, false)
	mask := d.Mask()
	if len(mask) != 64 {
		t.Fatalf("drop-path mask has %d entries, want one per sample (64)", len(mask))
	}
	kept := 0
	for s, m := range mask {
		if m != 0 && m != 2 {
			t.Fatalf("mask[%d] = %v, want 0 or 1/keep = 2", s, m)
		}
		if m != 0 {
			kept++
		}
		for j := 0; j < 6; j++ {
			i := s*6 + j
			if y[i] != float64(i+1)*m || dx[i] != m/float64(i+1) {
				t.Fatalf("sample %d element %d: y %v dx %v with mask %v", s, j, y[i], dx[i], m)
			}
		}
	}
	if kept == 0 || kept == 64 {
		t.Errorf("drop-path kept %d of 64 samples at p = 0.5", kept)
	}
}

// In evaluation mode (and with p = 0) the layer is the identity, forward and backward.
func TestDropoutEvalIsIdentity(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    float64
		eval bool
		path bool
	}{{"eval", 0.5, true, false}, {"eval drop-path", 0.5, true, true}, {"p=0", 0, false, false}} {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := newDropout(tc.p, 1, tc.path)
			y, dx := dropRun(t, d, tensor.Shape{4, 5}, 2, tc.eval)
			for i := range y {
				if y[i] != float64(i+1) || dx[i] != 1/float64(i+1) {
					t.Fatalf("element %d: y %v dx %v, want identity", i, y[i], dx[i])
				}
			}
		})
	}
}

// p = 1 drops everything (torch returns zeros), without dividing by zero.
func TestDropoutAll(t *testing.T) {
	d, _ := NewDropout(1, 3)
	y, dx := dropRun(t, d, tensor.Shape{3, 3}, 1, false)
	for i := range y {
		if y[i] != 0 || dx[i] != 0 {
			t.Fatalf("p = 1: y[%d] = %v, dx = %v, want 0", i, y[i], dx[i])
		}
	}
}

func TestDropoutInstancesDoNotMergeAndPValidation(t *testing.T) {
	g := G.NewGraph()
	x := G.NewVector(g, tensor.Float32, G.WithShape(5))
	a, _ := NewDropout(0.5, 1)
	b, _ := NewDropout(0.5, 1)
	if mustNode(t)(a.Apply(x)) == mustNode(t)(b.Apply(x)) {
		t.Error("two dropout layers with equal seeds on one input merged")
	}
	if _, err := NewDropout(1.5, 0); err == nil || !strings.Contains(err.Error(), "want in [0, 1]") {
		t.Errorf("NewDropout(1.5): %v", err)
	}
	if err := a.SetP(-0.1); err == nil {
		t.Error("SetP(-0.1) succeeded")
	}
}

// One layer applied to two inputs keeps two masks: each node's backward uses its own forward's mask.
func TestDropoutTwoApplicationsKeepTheirMasks(t *testing.T) {
	d, _ := NewDropout(0.5, 9)
	g := G.NewGraph()
	ones := func(n int) *tensor.Dense {
		v := make([]float64, n)
		for i := range v {
			v[i] = 1
		}
		return tensor.New(tensor.WithShape(n), tensor.WithBacking(v))
	}
	x1 := G.NewVector(g, tensor.Float64, G.WithShape(200), G.WithValue(ones(200)), G.WithName("x1"))
	x2 := G.NewVector(g, tensor.Float64, G.WithShape(300), G.WithValue(ones(300)), G.WithName("x2"))
	y1, y2 := mustNode(t)(d.Apply(x1)), mustNode(t)(d.Apply(x2))
	loss := mustNode(t)(G.Add(mustNode(t)(G.Sum(y1)), mustNode(t)(G.Sum(y2))))
	grads, err := G.Grad(loss, x1, x2)
	if err != nil {
		t.Fatal(err)
	}
	var y1v, y2v, g1v, g2v G.Value
	G.Read(y1, &y1v)
	G.Read(y2, &y2v)
	G.Read(grads[0], &g1v)
	G.Read(grads[1], &g2v)
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	// With x = 1 the output is the mask itself, and so is d(Σy)/dx.
	if !equal(y1v.(*tensor.Dense).Float64s(), g1v.(*tensor.Dense).Float64s()) ||
		!equal(y2v.(*tensor.Dense).Float64s(), g2v.(*tensor.Dense).Float64s()) {
		t.Error("a backward pass used another application's mask")
	}
}

// A layer given another layer's RNGState draws the masks that layer draws from then on (what a resumed
// training run needs); a malformed state is an error naming the layer.
func TestDropoutRNGStateRoundTrip(t *testing.T) {
	shape := tensor.Shape{8, 9}
	a, _ := NewDropout(0.4, 7)
	dropRun(t, a, shape, 2, false) // advance a's stream by two steps
	st, err := a.RNGState()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewDropout(0.4, 99) // another seed: only the restored state can make it agree
	if err := b.SetRNGState(st); err != nil {
		t.Fatal(err)
	}
	dropRun(t, a, shape, 1, false)
	dropRun(t, b, shape, 1, false)
	if !equal(a.Mask(), b.Mask()) {
		t.Error("restored layer drew another mask than the original's next one")
	}
	c, _ := NewDropout(0.4, 7)
	dropRun(t, c, shape, 1, false)
	if equal(a.Mask(), c.Mask()) {
		t.Error("the third mask equals the first: the test cannot tell states apart")
	}
	if err := b.SetRNGState([]byte("junk")); err == nil || !strings.Contains(err.Error(), "random state") {
		t.Errorf("SetRNGState(junk) = %v, want an error about the random state", err)
	}
}
