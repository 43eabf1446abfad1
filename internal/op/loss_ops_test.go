package op

import (
	"math"
	"strings"
	"testing"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/numtest"
)

// From testdata/gen_loss.py: torch.softmax / torch.log_softmax over the last axis of x (2, 3, 7).
func TestSoftmaxGolden(t *testing.T) {
	for _, tc := range []struct {
		cas string
		fn  func(*G.Node) (*G.Node, error)
	}{{"softmax", Softmax}, {"logsoftmax", LogSoftmax}} {
		t.Run(tc.cas, func(t *testing.T) {
			fx := func(n string) *tensor.Dense { return opsFixture(t, "loss", tc.cas, n) }
			y, grads := goldenRun(t, []*tensor.Dense{fx("x")}, fx("R"), []int{0},
				func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return tc.fn(in[0]) })
			numtest.AllClose(t, y, fx("y").Float32s(), goldenAtol, goldenRtol)
			numtest.AllClose(t, grads[0], fx("dx").Float32s(), goldenAtol, goldenRtol)
			numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node { return mustNode(t)(tc.fn(in[0])) },
				float64Inputs(fx("x")), fdTol)
		})
	}
}

// Softmax and LogSoftmax of one node must stay two nodes (gorgonia's own pair merges: notes §2.1).
func TestSoftmaxAndLogSoftmaxDoNotMerge(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(1, 3), G.WithValue(tensor.New(tensor.WithShape(1, 3), tensor.WithBacking([]float64{1, 2, 3}))))
	s, l := mustNode(t)(Softmax(x)), mustNode(t)(LogSoftmax(x))
	if s == l {
		t.Fatal("Softmax and LogSoftmax of one node merged")
	}
	var sv, lv G.Value
	G.Read(s, &sv)
	G.Read(l, &lv)
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	ps, ls := sv.(*tensor.Dense).Float64s(), lv.(*tensor.Dense).Float64s()
	var sum float64
	for i := range ps {
		sum += ps[i]
		if math.Abs(math.Log(ps[i])-ls[i]) > 1e-12 {
			t.Errorf("log(softmax)[%d] = %v, log_softmax = %v", i, math.Log(ps[i]), ls[i])
		}
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("softmax sums to %v, want 1", sum)
	}
}

// From testdata/gen_loss.py: F.cross_entropy with integer targets, label_smoothing 0 and 0.1; gradients of
// 0.7·loss.
func TestCrossEntropyGolden(t *testing.T) {
	for _, tc := range []struct {
		cas string
		eps float64
	}{{"ce", 0}, {"ce_ls", 0.1}} {
		t.Run(tc.cas, func(t *testing.T) {
			fx := func(n string) *tensor.Dense { return opsFixture(t, "loss", tc.cas, n) }
			build := func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return CrossEntropy(in[0], in[1], tc.eps) }
			y, grads := goldenRun(t, []*tensor.Dense{fx("x"), fx("target")}, nil, []int{0}, build)
			numtest.AllClose(t, y, fx("loss").Float32s(), goldenAtol, goldenRtol)
			numtest.AllClose(t, grads[0], fx("dx").Float32s(), goldenAtol, goldenRtol)
			// FD w.r.t. the logits only: the targets are constants of the check.
			target := fx("target")
			numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
				tn := G.NewConstant(float64Inputs(target)[0])
				return mustNode(t)(CrossEntropy(in[0], tn, tc.eps))
			}, float64Inputs(fx("x")), fdTol)
		})
	}
}

func TestCrossEntropyRejectsBadTargets(t *testing.T) {
	for _, tc := range []struct {
		target []float32
		want   string
	}{{[]float32{0, 3}, "target[1] = 3"}, {[]float32{0.5, 1}, "target[0] = 0.5"}, {[]float32{-1, 0}, "target[0] = -1"}} {
		g := G.NewGraph()
		x := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithInit(G.Zeroes()))
		tn := G.NewVector(g, tensor.Float32, G.WithShape(2), G.WithValue(tensor.New(tensor.WithShape(2), tensor.WithBacking(tc.target))))
		if _, err := CrossEntropy(x, tn, 0); err != nil {
			t.Fatal(err)
		}
		m := G.NewTapeMachine(g)
		err := m.RunAll()
		m.Close()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "[0, 3)") {
			t.Errorf("targets %v: error %v, want %q", tc.target, err, tc.want)
		}
	}
}

// From testdata/gen_loss.py: F.cross_entropy with probability targets, label_smoothing 0 and 0.2.
func TestSoftCrossEntropyGolden(t *testing.T) {
	for _, tc := range []struct {
		cas string
		eps float64
	}{{"softce", 0}, {"softce_ls", 0.2}} {
		t.Run(tc.cas, func(t *testing.T) {
			fx := func(n string) *tensor.Dense { return opsFixture(t, "loss", tc.cas, n) }
			build := func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return SoftCrossEntropy(in[0], in[1], tc.eps) }
			y, grads := goldenRun(t, []*tensor.Dense{fx("x"), fx("q")}, nil, []int{0, 1}, build)
			numtest.AllClose(t, y, fx("loss").Float32s(), goldenAtol, goldenRtol)
			numtest.AllClose(t, grads[0], fx("dx").Float32s(), goldenAtol, goldenRtol)
			numtest.AllClose(t, grads[1], fx("dq").Float32s(), goldenAtol, goldenRtol)
			numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node { return mustNode(t)(build(g, in)) },
				float64Inputs(fx("x"), fx("q")), fdTol)
		})
	}
}

// From testdata/gen_loss.py: α-DARTS utils.MaskMSE on (2, 4, 6) with a (2, 4) mask.
func TestMaskedMSEGolden(t *testing.T) {
	fx := func(n string) *tensor.Dense { return opsFixture(t, "loss", "mmse", n) }
	build := func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return MaskedMSE(in[0], in[1], in[2]) }
	y, grads := goldenRun(t, []*tensor.Dense{fx("pred"), fx("target"), fx("mask")}, nil, []int{0, 1}, build)
	numtest.AllClose(t, y, fx("loss").Float32s(), goldenAtol, goldenRtol)
	numtest.AllClose(t, grads[0], fx("dpred").Float32s(), goldenAtol, goldenRtol)
	numtest.AllClose(t, grads[1], fx("dtarget").Float32s(), goldenAtol, goldenRtol)
	mask := fx("mask")
	numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
		return mustNode(t)(MaskedMSE(in[0], in[1], G.NewConstant(float64Inputs(mask)[0])))
	}, float64Inputs(fx("pred"), fx("target")), fdTol)
}

func TestMaskedMSEErrors(t *testing.T) {
	g := G.NewGraph()
	p := G.NewTensor(g, tensor.Float32, 3, G.WithShape(2, 4, 6), G.WithInit(G.Zeroes()))
	bad := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 5), G.WithInit(G.Zeroes()))
	if _, err := MaskedMSE(p, p, bad); err == nil || !strings.Contains(err.Error(), "mask (2, 5)") {
		t.Errorf("mask of the wrong shape: %v", err)
	}
	g = G.NewGraph()
	p = G.NewTensor(g, tensor.Float32, 3, G.WithShape(2, 4, 6), G.WithInit(G.Zeroes()))
	q := G.NewTensor(g, tensor.Float32, 3, G.WithShape(2, 4, 6), G.WithInit(G.Zeroes()))
	zero := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 4), G.WithInit(G.Zeroes()))
	if _, err := MaskedMSE(p, q, zero); err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err == nil || !strings.Contains(err.Error(), "no masked patch") {
		t.Errorf("all-zero mask: %v", err)
	}
}

// The softmax backward reads the forward output; downstream built-in ops that may work in place (scalar
// multiply, elementwise add, square) must not clobber it before the backward runs.
func TestSoftmaxOutputSurvivesInPlaceConsumers(t *testing.T) {
	x := float64Inputs(opsFixture(t, "loss", "softmax", "x"))[0]
	for name, fn := range map[string]func(*G.Node) (*G.Node, error){"softmax": Softmax, "log_softmax": LogSoftmax} {
		t.Run(name, func(t *testing.T) {
			numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
				y := mustNode(t)(fn(in[0]))
				a := mustNode(t)(G.Mul(y, G.NewConstant(3.0)))
				b := mustNode(t)(G.Square(y))
				return mustNode(t)(G.Add(a, b))
			}, []*tensor.Dense{x}, fdTol)
		})
	}
}

// From testdata/gen_loss.py: NAR's RankLoss on 7 scores with one tie among the targets.
func TestRankLossGolden(t *testing.T) {
	fx := func(n string) *tensor.Dense { return opsFixture(t, "loss", "rank", n) }
	y, grads := goldenRun(t, []*tensor.Dense{fx("s"), fx("y")}, nil, []int{0},
		func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return RankLoss(in[0], in[1]) })
	numtest.AllClose(t, y, fx("loss").Float32s(), goldenAtol, goldenRtol)
	numtest.AllClose(t, grads[0], fx("ds").Float32s(), goldenAtol, goldenRtol)
	target := fx("y")
	numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
		return mustNode(t)(RankLoss(in[0], G.NewConstant(float64Inputs(target)[0])))
	}, float64Inputs(fx("s")), fdTol)
	g := G.NewGraph()
	one := G.NewVector(g, tensor.Float32, G.WithShape(1))
	if _, err := RankLoss(one, one); err == nil || !strings.Contains(err.Error(), "B >= 2") {
		t.Errorf("RankLoss of one score: %v", err)
	}
}

// Integer target tensors (int, int64, int32) give the same loss and gradient as float-coded ones.
func TestCrossEntropyIntegerTargets(t *testing.T) {
	x := opsFixture(t, "loss", "ce_ls", "x")
	tf := opsFixture(t, "loss", "ce_ls", "target").Float32s()
	wantLoss := opsFixture(t, "loss", "ce_ls", "loss").Float32s()
	wantDx := opsFixture(t, "loss", "ce_ls", "dx").Float32s()
	ints, i64s, i32s := make([]int, len(tf)), make([]int64, len(tf)), make([]int32, len(tf))
	for i, v := range tf {
		ints[i], i64s[i], i32s[i] = int(v), int64(v), int32(v)
	}
	for name, tgt := range map[string]*tensor.Dense{
		"int":   tensor.New(tensor.WithShape(len(tf)), tensor.WithBacking(ints)),
		"int64": tensor.New(tensor.WithShape(len(tf)), tensor.WithBacking(i64s)),
		"int32": tensor.New(tensor.WithShape(len(tf)), tensor.WithBacking(i32s)),
	} {
		t.Run(name, func(t *testing.T) {
			g := G.NewGraph()
			xn := G.NewMatrix(g, tensor.Float32, G.WithShape(x.Shape()...), G.WithValue(x.Clone()))
			tn := G.NewVector(g, tgt.Dtype(), G.WithShape(len(tf)), G.WithValue(tgt))
			loss := mustNode(t)(CrossEntropy(xn, tn, 0.1))
			scaled := mustNode(t)(G.Mul(loss, G.NewConstant(float32(lossScale))))
			grads, err := G.Grad(scaled, xn)
			if err != nil {
				t.Fatal(err)
			}
			var lv, gv G.Value
			G.Read(loss, &lv)
			G.Read(grads[0], &gv)
			m := G.NewTapeMachine(g)
			defer m.Close()
			if err := m.RunAll(); err != nil {
				t.Fatal(err)
			}
			numtest.AllClose(t, float32sOf(t, lv), wantLoss, goldenAtol, goldenRtol)
			numtest.AllClose(t, float32sOf(t, gv), wantDx, goldenAtol, goldenRtol)
		})
	}
	g := G.NewGraph()
	xn := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithInit(G.Zeroes()))
	tn := G.NewVector(g, tensor.Int64, G.WithShape(2), G.WithValue(tensor.New(tensor.WithBacking([]int64{1, 3}))))
	mustNode(t)(CrossEntropy(xn, tn, 0))
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err == nil || !strings.Contains(err.Error(), "target[1] = 3, want a class index in [0, 3)") {
		t.Errorf("int64 target out of range: %v", err)
	}
}

// gorgonia returns the value of Op.Type to hm's pool, which clears it, after each type inference; an op's
// Type must therefore survive that (a cached type read "<nil> → <nil>" afterwards).
func TestFuncOpTypeSurvivesPoolReturn(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3))
	y := mustNode(t)(ReLU(x))
	want := y.Op().Type().String()
	ft, ok := y.Op().Type().(*hm.FunctionType)
	if !ok {
		t.Fatalf("Type() = %T, want *hm.FunctionType", y.Op().Type())
	}
	hm.ReturnFnType(ft)
	if got := y.Op().Type().String(); got != want || strings.Contains(got, "<nil>") {
		t.Errorf("Type() after a pool return = %q, want %q", got, want)
	}
}
