package op

import (
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/numtest"
)

func float64s(xs []float32) []float64 {
	out := make([]float64, len(xs))
	for i, v := range xs {
		out[i] = float64(v)
	}
	return out
}

// From testdata/gen_norm.py: torch.nn.BatchNorm2d in train mode (one step from running stats 0/1) and in eval
// mode with set running statistics.
func TestBatchNorm2dGolden(t *testing.T) {
	for _, tc := range []struct {
		cas    string
		affine bool
		eval   bool
	}{{"bn_affine", true, false}, {"bn_plain", false, false}, {"bn_eval", true, true}} {
		t.Run(tc.cas, func(t *testing.T) {
			fx := func(n string) *tensor.Dense { return opsFixture(t, "norm", tc.cas, n) }
			x := fx("x")
			bn, err := NewBatchNorm2d(x.Shape()[1], BatchNormConfig{Affine: tc.affine})
			if err != nil {
				t.Fatal(err)
			}
			inputs := []*tensor.Dense{x}
			diff := []int{0}
			if tc.affine {
				inputs = append(inputs, fx("weight"), fx("bias"))
				diff = []int{0, 1, 2}
			}
			if tc.eval {
				if err := bn.SetRunningStats(float64s(fx("running_mean").Float32s()), float64s(fx("running_var").Float32s()), 0); err != nil {
					t.Fatal(err)
				}
			}
			y, grads := goldenRunMode(t, inputs, fx("R"), diff, tc.eval, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
				if tc.affine {
					return bn.Apply(in[0], in[1], in[2])
				}
				return bn.Apply(in[0], nil, nil)
			})
			numtest.AllClose(t, y, fx("y").Float32s(), goldenAtol, goldenRtol)
			numtest.AllClose(t, grads[0], fx("dx").Float32s(), goldenAtol, goldenRtol)
			if tc.affine {
				numtest.AllClose(t, grads[1], fx("dweight").Float32s(), goldenAtol, goldenRtol)
				numtest.AllClose(t, grads[2], fx("dbias").Float32s(), goldenAtol, goldenRtol)
			}
			mean, variance, nb := bn.RunningStats()
			numtest.AllClose(t, mean, float64s(fx("running_mean").Float32s()), goldenAtol, goldenRtol)
			numtest.AllClose(t, variance, float64s(fx("running_var").Float32s()), goldenAtol, goldenRtol)
			if want := int64(1); !tc.eval && nb != want {
				t.Errorf("num_batches_tracked = %d, want %d", nb, want)
			}
			if tc.eval && nb != 0 {
				t.Errorf("eval mode changed num_batches_tracked to %d", nb)
			}
		})
	}
}

// goldenRunMode is goldenRun with the machine built in evaluation mode when eval is true.
func goldenRunMode(t *testing.T, inputs []*tensor.Dense, R *tensor.Dense, diff []int, eval bool,
	build func(g *G.ExprGraph, in G.Nodes) (*G.Node, error)) ([]float32, [][]float32) {
	t.Helper()
	if !eval {
		return goldenRun(t, inputs, R, diff, build)
	}
	return goldenRunOpts(t, inputs, R, diff, build, G.EvalMode())
}

func TestBatchNorm2dGradFD(t *testing.T) {
	x := opsFixture(t, "norm", "bn_affine", "x")
	w, b := opsFixture(t, "norm", "bn_affine", "weight"), opsFixture(t, "norm", "bn_affine", "bias")
	t.Run("affine", func(t *testing.T) {
		bn, _ := NewBatchNorm2d(3, BatchNormConfig{Affine: true})
		numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
			return mustNode(t)(bn.Apply(in[0], in[1], in[2]))
		}, float64Inputs(x, w, b), fdTol)
	})
	t.Run("plain", func(t *testing.T) {
		bn, _ := NewBatchNorm2d(3, BatchNormConfig{Eps: 1e-3})
		numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
			return mustNode(t)(bn.Apply(in[0], nil, nil))
		}, float64Inputs(x), fdTol)
	})
}

func TestBatchNorm2dEvalModeAndRunningUpdate(t *testing.T) {
	// Two training steps on the same batch: running_mean = 0.9·(0.1·μ) + 0.1·μ = 0.19·μ, and running_var =
	// 0.9·(0.9 + 0.1·v_u) + 0.1·v_u = 0.81 + 0.19·v_u with the unbiased variance v_u (torch's update rule).
	x := tensor.New(tensor.WithShape(2, 1, 1, 2), tensor.WithBacking([]float64{1, 2, 3, 6}))
	bn, _ := NewBatchNorm2d(1, BatchNormConfig{})
	g := G.NewGraph()
	xn := G.NewTensor(g, tensor.Float64, 4, G.WithShape(2, 1, 1, 2), G.WithValue(x))
	y := mustNode(t)(bn.Apply(xn, nil, nil))
	var yv G.Value
	G.Read(y, &yv)
	m := G.NewTapeMachine(g)
	defer m.Close()
	for i := 0; i < 2; i++ {
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
	}
	mu, vu := 3.0, (4.0+1+0+9)/3 // mean 3, Σ(x−μ)² = 14, unbiased /3
	mean, variance, nb := bn.RunningStats()
	if math.Abs(mean[0]-0.19*mu) > 1e-12 || math.Abs(variance[0]-(0.81+0.19*vu)) > 1e-12 || nb != 2 {
		t.Errorf("running stats %v %v %d, want %v %v 2", mean, variance, nb, 0.19*mu, 0.81+0.19*vu)
	}
	// Evaluation: (x − running_mean)/sqrt(running_var + eps), and no further update.
	bn.SetTraining(false)
	m.Reset()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	got := yv.(*tensor.Dense).Float64s()
	for i, v := range []float64{1, 2, 3, 6} {
		want := (v - mean[0]) / math.Sqrt(variance[0]+1e-5)
		if math.Abs(got[i]-want) > 1e-12 {
			t.Errorf("eval y[%d] = %v, want %v", i, got[i], want)
		}
	}
	if _, _, nb2 := bn.RunningStats(); nb2 != 2 {
		t.Errorf("eval step changed num_batches_tracked to %d", nb2)
	}
}

func TestBatchNorm2dInstancesDoNotMerge(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(2, 3, 2, 2), G.WithInit(G.RangedFrom(0)))
	a, _ := NewBatchNorm2d(3, BatchNormConfig{})
	b, _ := NewBatchNorm2d(3, BatchNormConfig{})
	ya, yb := mustNode(t)(a.Apply(x, nil, nil)), mustNode(t)(b.Apply(x, nil, nil))
	if ya == yb || ya.Hashcode() == yb.Hashcode() {
		t.Fatalf("two BatchNorm2d layers on one input merged into node %v", ya)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	if _, _, na := a.RunningStats(); na != 1 {
		t.Errorf("layer a saw %d batches, want 1", na)
	}
	if _, _, nb := b.RunningStats(); nb != 1 {
		t.Errorf("layer b saw %d batches, want 1", nb)
	}
}

func TestBatchNorm2dErrors(t *testing.T) {
	if _, err := NewBatchNorm2d(0, BatchNormConfig{}); err == nil {
		t.Error("NewBatchNorm2d(0) succeeded")
	}
	bn, _ := NewBatchNorm2d(3, BatchNormConfig{})
	if err := bn.SetRunningStats([]float64{0}, []float64{1}, 0); err == nil || !strings.Contains(err.Error(), "one per channel") {
		t.Errorf("SetRunningStats with 1 entry: %v", err)
	}
	if err := bn.SetRunningStats([]float64{0, 0, 0}, []float64{1, -1, 1}, 0); err == nil || !strings.Contains(err.Error(), "running_var[1]") {
		t.Errorf("SetRunningStats with a negative variance: %v", err)
	}
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(2, 4, 2, 2), G.WithInit(G.Zeroes()))
	if _, err := bn.Apply(x, nil, nil); err == nil || !strings.Contains(err.Error(), "4 channels") {
		t.Errorf("Apply on 4 channels: %v", err)
	}
	one := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 3, 1, 1), G.WithInit(G.Zeroes()))
	if _, err := bn.Apply(one, nil, nil); err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err == nil || !strings.Contains(err.Error(), "more than 1 value per channel") {
		t.Errorf("training on one value per channel: %v", err)
	}
}

// From testdata/gen_norm.py: torch.nn.LayerNorm(8, eps=1e-6) with set weight and bias.
func TestLayerNormGolden(t *testing.T) {
	fx := func(n string) *tensor.Dense { return opsFixture(t, "norm", "ln", n) }
	y, grads := goldenRun(t, []*tensor.Dense{fx("x"), fx("weight"), fx("bias")}, fx("R"), []int{0, 1, 2},
		func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return LayerNorm(in[0], in[1], in[2], 1e-6) })
	numtest.AllClose(t, y, fx("y").Float32s(), goldenAtol, goldenRtol)
	numtest.AllClose(t, grads[0], fx("dx").Float32s(), goldenAtol, goldenRtol)
	numtest.AllClose(t, grads[1], fx("dweight").Float32s(), goldenAtol, goldenRtol)
	numtest.AllClose(t, grads[2], fx("dbias").Float32s(), goldenAtol, goldenRtol)
}

func TestLayerNormGradFD(t *testing.T) {
	fx := func(n string) *tensor.Dense { return opsFixture(t, "norm", "ln", n) }
	numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
		return mustNode(t)(LayerNorm(in[0], in[1], in[2], 1e-6))
	}, float64Inputs(fx("x"), fx("weight"), fx("bias")), fdTol)
	numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
		return mustNode(t)(LayerNorm(in[0], nil, nil, 1e-5))
	}, float64Inputs(fx("x")), fdTol)
}

func TestBatchNorm2dBuffersRoundTrip(t *testing.T) {
	bn, _ := NewBatchNorm2d(2, BatchNormConfig{})
	if err := bn.SetRunningStats([]float64{0.5, -1}, []float64{2, 0.25}, 7); err != nil {
		t.Fatal(err)
	}
	m, v, nb, err := bn.Buffers(tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Float32s(); got[0] != 0.5 || got[1] != -1 {
		t.Errorf("running_mean = %v", got)
	}
	if got := nb.Data().(int64); got != 7 {
		t.Errorf("num_batches_tracked = %v, want 7", got)
	}
	other, _ := NewBatchNorm2d(2, BatchNormConfig{})
	if err := other.SetBuffers(m, v, nb); err != nil {
		t.Fatal(err)
	}
	mean, variance, n := other.RunningStats()
	if mean[1] != -1 || variance[0] != 2 || variance[1] != 0.25 || n != 7 {
		t.Errorf("round trip gave %v %v %d", mean, variance, n)
	}
	bad := tensor.New(tensor.WithShape(3), tensor.WithBacking([]float32{1, 2, 3}))
	if err := other.SetBuffers(bad, v, nb); err == nil || !strings.Contains(err.Error(), "running_mean has shape (3), want (2)") {
		t.Errorf("SetBuffers with 3 means: %v", err)
	}
	f := tensor.New(tensor.FromScalar(1.5))
	if err := other.SetBuffers(m, v, f); err == nil || !strings.Contains(err.Error(), "num_batches_tracked has dtype") {
		t.Errorf("SetBuffers with a float num_batches_tracked: %v", err)
	}
	if _, _, _, err := bn.Buffers(tensor.Int); err == nil {
		t.Error("Buffers(int) succeeded")
	}
}

func TestLayerNormErrors(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 4))
	w := G.NewVector(g, tensor.Float32, G.WithShape(3))
	if _, err := LayerNorm(x, w, w, 1e-6); err == nil || !strings.Contains(err.Error(), "want (4)") {
		t.Errorf("LayerNorm with a (3) weight on (2,4): %v", err)
	}
	if _, err := LayerNorm(x, w, nil, 1e-6); err == nil || !strings.Contains(err.Error(), "both") {
		t.Errorf("LayerNorm with weight but no bias: %v", err)
	}
	s := G.NewScalar(g, tensor.Float32)
	if _, err := LayerNorm(s, nil, nil, 1e-6); err == nil {
		t.Error("LayerNorm of a scalar succeeded")
	}
}

// One layer applied twice to one input gives two nodes and two running-stat updates per step, as torch.
func TestBatchNorm2dAppliedTwice(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float64, 4, G.WithShape(2, 1, 1, 2), G.WithValue(tensor.New(tensor.WithShape(2, 1, 1, 2), tensor.WithBacking([]float64{1, 2, 3, 6}))))
	bn, _ := NewBatchNorm2d(1, BatchNormConfig{})
	a, b := mustNode(t)(bn.Apply(x, nil, nil)), mustNode(t)(bn.Apply(x, nil, nil))
	if a == b {
		t.Fatal("two applications of one layer merged")
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	if _, _, nb := bn.RunningStats(); nb != 2 {
		t.Errorf("num_batches_tracked = %d after one step with two applications, want 2", nb)
	}
}
