package darts

import (
	"testing"

	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/optim"
	"github.com/nasx/nasx/mim"
)

// TestForwardMatchesRun checks that the forward-only machine gives the same
// loss as the full forward+backward run on the same inputs (exactly: the
// same float64 kernels in the same order), and that it leaves the
// gradients of the last Run untouched.
func TestForwardMatchesRun(t *testing.T) {
	s := newTestNet(t, NetConfig{Space: SpaceNB201, C: 4, Layers: 1, Classes: 10, Batch: 2, Height: 8, Width: 8,
		Dtype: tensor.Float64, Task: mim.TaskCls})
	fillPattern(t, s)
	x := images(4, 8, 8)
	b1 := Batch[float64]{X: make([]float64, 2*3*8*8), Labels: []float64{3, 7}}
	b2 := Batch[float64]{X: make([]float64, 2*3*8*8), Labels: []float64{1, 2}}
	for i := range b1.X {
		b1.X[i], b2.X[i] = float64(x[i]), float64(x[len(b1.X)+i])
	}
	out, err := Run(s, b1)
	if err != nil {
		t.Fatal(err)
	}
	g0, err := snapshot(WeightParams[float64](s), true)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := s.Forward()
	if err != nil {
		t.Fatal(err)
	}
	if loss != out.Loss {
		t.Fatalf("Forward loss %v, Run loss %v", loss, out.Loss)
	}
	// A different batch must give a different loss (the forward machine
	// reads the fed inputs, not a cached value).
	out2, err := Run(s, b2)
	if err != nil {
		t.Fatal(err)
	}
	loss2, err := s.Forward()
	if err != nil {
		t.Fatal(err)
	}
	if loss2 != out2.Loss || loss2 == loss {
		t.Fatalf("batch 2: Forward %v, Run %v (batch 1: %v)", loss2, out2.Loss, loss)
	}
	if _, err := Run(s, b1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Forward(); err != nil {
		t.Fatal(err)
	}
	g1, err := snapshot(WeightParams[float64](s), true)
	if err != nil {
		t.Fatal(err)
	}
	for i := range g0 {
		for j := range g0[i] {
			if g0[i][j] != g1[i][j] {
				t.Fatalf("Forward changed gradient %d[%d]: %v → %v", i, j, g0[i][j], g1[i][j])
			}
		}
	}
}

// TestStepTiming checks the phase accounting: 2 machine runs per first-order
// step and 5 per unrolled step (DARTS eq. 7–8: virtual step, val at w',
// train at w+ and w−, then the weight step), positive times.
func TestStepTiming(t *testing.T) {
	for _, tc := range []struct {
		unrolled bool
		runs     int
	}{{false, 2}, {true, 5}} {
		s := newTestNet(t, NetConfig{Space: SpaceNB201, C: 4, Layers: 1, Classes: 10, Batch: 2, Height: 8, Width: 8,
			Dtype: tensor.Float64, Task: mim.TaskCls})
		fillPattern(t, s)
		wOpt, err := optim.NewSGD[float64](optim.SGDConfig{LR: 0.025, Momentum: 0.9, WeightDecay: 3e-4})
		if err != nil {
			t.Fatal(err)
		}
		aOpt, err := optim.NewAdam[float64](optim.AdamConfig{LR: 3e-4, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8})
		if err != nil {
			t.Fatal(err)
		}
		a, err := NewArchitect(s, wOpt, aOpt, ArchConfig{Unrolled: tc.unrolled, GradClip: 5})
		if err != nil {
			t.Fatal(err)
		}
		x := images(2, 8, 8)
		b := Batch[float64]{X: make([]float64, len(x)), Labels: []float64{0, 1}}
		for i := range x {
			b.X[i] = float64(x[i])
		}
		var tm StepTiming
		a.SetTiming(&tm)
		for range 2 {
			if _, err := a.Step(b, b); err != nil {
				t.Fatal(err)
			}
		}
		if tm.Steps != 2 || tm.MachineRuns != 2*tc.runs || tm.Runs <= 0 || tm.Update <= 0 {
			t.Fatalf("unrolled=%v: %+v, want 2 steps, %d runs, positive times", tc.unrolled, tm, 2*tc.runs)
		}
		a.SetTiming(nil)
		if _, err := a.Step(b, b); err != nil {
			t.Fatal(err)
		}
		if tm.Steps != 2 {
			t.Fatalf("timing after SetTiming(nil): %+v", tm)
		}
	}
}
