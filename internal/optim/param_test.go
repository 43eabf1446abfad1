package optim

import (
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// buildGraph is loss = Σ w⊙x for a learnable w and a constant x, so that
// dloss/dw = x exactly.
func buildGraph(t *testing.T) (g *G.ExprGraph, w, loss, grad *G.Node, x []float32) {
	t.Helper()
	g = G.NewGraph()
	x = []float32{1, -2, 0.5}
	w = G.NewVector(g, tensor.Float32, G.WithName("w"), G.WithShape(3),
		G.WithValue(tensor.New(tensor.WithShape(3), tensor.WithBacking([]float32{0.3, 0.2, -0.1}))))
	xn := G.NewConstant(tensor.New(tensor.WithShape(3), tensor.WithBacking(append([]float32(nil), x...))), G.WithName("x"))
	loss = G.Must(G.Sum(G.Must(G.HadamardProd(w, xn))))
	grads, err := G.Grad(loss, w)
	if err != nil {
		t.Fatal(err)
	}
	return g, w, loss, grads[0], x
}

func TestNodeParamTrainsGraph(t *testing.T) {
	g, w, loss, _, x := buildGraph(t)
	var lossV G.Value
	G.Read(loss, &lossV)
	m := G.NewTapeMachine(g)
	defer m.Close()
	p := NewNode[float32]("", w)
	if p.Name() != "w" {
		t.Fatalf("Name() = %q, want the node name %q", p.Name(), "w")
	}
	o, err := NewSGD[float32](SGDConfig{LR: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{0.3, 0.2, -0.1}
	for step := 0; step < 3; step++ {
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		var wantLoss float32
		for i := range x {
			wantLoss += want[i] * x[i]
		}
		if got := lossV.Data().(float32); abs32(got-wantLoss) > 1e-6 {
			t.Fatalf("step %d: loss %v, want %v (the machine did not see the in-place update?)", step, got, wantLoss)
		}
		gr, err := p.Grad()
		if err != nil {
			t.Fatal(err)
		}
		allClose(t, "grad", gr, f64(x), 0, 0)
		if err := o.Step([]Param[float32]{p}); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			want[i] -= float32(0.1) * x[i]
		}
		v, _ := p.Data()
		allClose(t, "w", v, f64(want), 1e-7, 0)
	}
}

func TestReadParamTrainsGraph(t *testing.T) {
	g, w, _, grad, x := buildGraph(t)
	var gv G.Value
	G.Read(grad, &gv)
	m := G.NewTapeMachine(g)
	defer m.Close()
	p := NewRead[float32]("layer.weight", w, &gv)
	if _, err := p.Grad(); err == nil || !strings.Contains(err.Error(), "not read") {
		t.Fatalf("Grad before a run: error %v, want one saying it was not read", err)
	}
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	gr, err := p.Grad()
	if err != nil {
		t.Fatal(err)
	}
	allClose(t, "grad", gr, f64(x), 0, 0)
	o, _ := NewAdam[float32](AdamConfig{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
	if err := o.Step([]Param[float32]{p}); err != nil {
		t.Fatal(err)
	}
	// First Adam step: m̂ = g, v̂ = g², so p -= lr·g/(|g|+eps) = lr·sign(g).
	v, _ := p.Data()
	allClose(t, "w", v, []float64{0.3 - 0.01, 0.2 + 0.01, -0.1 - 0.01}, 1e-7, 0)
}

func TestParamErrors(t *testing.T) {
	g := G.NewGraph()
	w64 := G.NewVector(g, tensor.Float64, G.WithName("w64"), G.WithShape(2), G.WithInit(G.Zeroes()))
	if _, err := NewNode[float32]("", w64).Data(); err == nil || !strings.Contains(err.Error(), "dtype") {
		t.Errorf("float64 node as float32 param: error %v, want a dtype error", err)
	}
	if _, err := NewNode[float64]("", w64).Grad(); err == nil || !strings.Contains(err.Error(), "G.Grad") {
		t.Errorf("node without gradient: error %v, want a hint to call G.Grad", err)
	}
	o, _ := NewSGD[float64](SGDConfig{LR: 0.1, Momentum: 0.9})
	a := NewSlice("a", []float64{1, 2}, []float64{1, 1})
	if err := o.Step([]Param[float64]{a, NewSlice("a", []float64{1}, []float64{1})}); err == nil || !strings.Contains(err.Error(), `both named "a"`) {
		t.Errorf("duplicate names: error %v", err)
	}
	if err := o.Step([]Param[float64]{NewSlice("b", []float64{1, 2}, []float64{1})}); err == nil || !strings.Contains(err.Error(), "gradient has 1 elements, value has 2") {
		t.Errorf("length mismatch: error %v", err)
	}
	if err := o.Step([]Param[float64]{a}); err != nil {
		t.Fatal(err)
	}
	// State loaded from another model: the buffer length no longer fits.
	if err := o.LoadStateDict(map[string][]float64{"a.momentum_buffer": {1, 2, 3}}); err != nil {
		t.Fatal(err)
	}
	if err := o.Step([]Param[float64]{a}); err == nil || !strings.Contains(err.Error(), "different model") {
		t.Errorf("state length mismatch: error %v", err)
	}
	if err := o.LoadStateDict(map[string][]float64{"a.exp_avg": {1}}); err == nil {
		t.Error("SGD accepted an Adam state key")
	}
	ad, _ := NewAdam[float64](AdamConfig{LR: 0.1, Beta1: 0.9, Beta2: 0.999})
	for _, sd := range []map[string][]float64{
		{"a.exp_avg": {1}}, // incomplete
		{"a.step": {1.5}, "a.exp_avg": {1}, "a.exp_avg_sq": {1}}, // fractional step
		{"a.momentum_buffer": {1}},                               // SGD key
	} {
		if err := ad.LoadStateDict(sd); err == nil {
			t.Errorf("Adam.LoadStateDict(%v) = nil error", sd)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	if err := (SGDConfig{LR: -1, Momentum: -0.5, Nesterov: true}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "lr: got -1") || !strings.Contains(err.Error(), "momentum: got -0.5") ||
		!strings.Contains(err.Error(), "nesterov") {
		t.Errorf("SGDConfig.Validate = %v, want all three problems", err)
	}
	if _, err := NewAdamW[float32](AdamConfig{LR: 1e-3, Beta1: 1, Beta2: 0.999}); err == nil ||
		!strings.Contains(err.Error(), "optim: adamw: betas[0]: got 1, want in [0, 1)") {
		t.Errorf("NewAdamW(beta1 = 1) error = %v", err)
	}
	for _, v := range []interface{ Validate() error }{
		Cosine{Base: 0.1, TMax: 0}, StepDecay{Base: 0.1, StepSize: 0, Gamma: 0.1},
		Linear{Base: 0.1, Start: 0, End: 1, Iters: 5}, LinearDecay{Base: 0.1, Epochs: 5},
		Warmup{Epochs: 5, Base: 0.1}, Noam{LRMul: 0.1, DModel: 0, Warmup: 10},
	} {
		if err := v.Validate(); err == nil {
			t.Errorf("%T%+v.Validate() = nil", v, v)
		}
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

func f64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}
