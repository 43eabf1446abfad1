package optim

import (
	"testing"

	G "gorgonia.org/gorgonia"
)

// TestNodeParamWithBindDualValues covers the other way a TapeMachine exposes
// gradients: G.BindDualValues, where node.Grad() reads the dual value and
// the machine accumulates into it across runs unless ZeroGrad clears it.
func TestNodeParamWithBindDualValues(t *testing.T) {
	g, w, loss, _, x := buildGraph(t)
	var lossV G.Value
	G.Read(loss, &lossV)
	m := G.NewTapeMachine(g, G.BindDualValues(w))
	defer m.Close()
	p := NewNode[float32]("w", w)
	o, _ := NewSGD[float32](SGDConfig{LR: 0.5})
	want := []float32{0.3, 0.2, -0.1}
	for step := 0; step < 2; step++ {
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		var wantLoss float32
		for i := range x {
			wantLoss += want[i] * x[i]
		}
		if got := lossV.Data().(float32); abs32(got-wantLoss) > 1e-6 {
			t.Fatalf("step %d: loss %v, want %v", step, got, wantLoss)
		}
		gr, err := p.Grad()
		if err != nil {
			t.Fatal(err)
		}
		allClose(t, "grad", gr, f64(x), 0, 0)
		if err := o.Step([]Param[float32]{p}); err != nil {
			t.Fatal(err)
		}
		if err := ZeroGrad([]Param[float32]{p}); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			want[i] -= 0.5 * x[i]
		}
	}
}

// TestBindDualValuesAccumulates documents why ZeroGrad exists: without it,
// the second run's gradient is twice the first.
func TestBindDualValuesAccumulates(t *testing.T) {
	g, w, _, _, x := buildGraph(t)
	m := G.NewTapeMachine(g, G.BindDualValues(w))
	defer m.Close()
	p := NewNode[float32]("w", w)
	for run := 1; run <= 2; run++ {
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
	}
	gr, err := p.Grad()
	if err != nil {
		t.Fatal(err)
	}
	want := f64(x)
	for i := range want {
		want[i] *= 2
	}
	allClose(t, "accumulated grad", gr, want, 0, 0)
}
