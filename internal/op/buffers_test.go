package op

import (
	"runtime"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// reluChain builds x → ReLU → … → ReLU (depth ops) and a Read of the last value.
func reluChain(t *testing.T, depth int) (g *G.ExprGraph, x *G.Node, mid *G.Node, last *G.Node, out *G.Value) {
	t.Helper()
	g = G.NewGraph()
	xs := make([]float32, 64*1024)
	for i := range xs {
		xs[i] = float32(i%7) - 3
	}
	x = G.NewTensor(g, tensor.Float32, 2, G.WithShape(64, 1024), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(64, 1024), tensor.WithBacking(xs))))
	n := x
	for i := range depth {
		var err error
		if n, err = ReLU(n); err != nil {
			t.Fatal(err)
		}
		if i == depth/2 {
			mid = n
		}
	}
	out = new(G.Value)
	G.Read(n, out)
	return g, x, mid, n, out
}

// TestFreeIntermediatesReusesBuffers checks the memory behaviour the machines of training rely on: with
// G.FreeIntermediates(Buffers), a chain of 40 ops holds at most two values at a time, so it needs two buffers
// (the input of the op that runs and its output), not 40, and a second run allocates none.
func TestFreeIntermediatesReusesBuffers(t *testing.T) {
	const depth = 40
	g, _, mid, last, out := reluChain(t, depth)
	m := G.NewTapeMachine(g, G.FreeIntermediates(Buffers, last))
	defer m.Close()
	runtime.GC() // keep the GC from emptying the free lists between the runs below
	before := buffers.fresh.Load()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	first := buffers.fresh.Load() - before
	m.Reset()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	second := buffers.fresh.Load() - before - first
	// First run: at most 2 buffers can be live at once (plus 1 if a collection emptied a free list).
	if first > 3 || second > 1 {
		t.Errorf("buffers allocated: first run %d, second run %d; want ≤ 3 and ≤ 1 (without freeing: %d per run)", first, second, depth)
	}
	if mid.Value() != nil {
		t.Errorf("intermediate node still bound to %v after the run; FreeIntermediates must unbind it", mid.Value().Shape())
	}
	if last.Value() == nil {
		t.Fatal("kept node lost its value")
	}
	got := last.Value().Data().([]float32)
	want := (*out).Data().([]float32)
	for i := range want {
		if w := max(float32(i%7)-3, 0); got[i] != w || want[i] != w {
			t.Fatalf("element %d: kept value %v, read value %v, want %v", i, got[i], want[i], w)
		}
	}
}

// TestWithoutFreeIntermediates documents the upstream behaviour the option changes: every value stays bound.
func TestWithoutFreeIntermediates(t *testing.T) {
	g, _, mid, _, _ := reluChain(t, 4)
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	if mid.Value() == nil {
		t.Error("without FreeIntermediates the intermediate value should stay bound")
	}
}

// TestPollTime checks the parsing of NASX_POLL_US: integers from 0 to 1,000,000 µs are used, anything else
// is ignored (the defaults stay).
func TestPollTime(t *testing.T) {
	for _, c := range []struct {
		env  string
		want time.Duration
		ok   bool
	}{{"0", 0, true}, {"250", 250 * time.Microsecond, true}, {"1000000", time.Second, true},
		{"", 0, false}, {"-1", 0, false}, {"1e3", 0, false}, {"fast", 0, false}, {"1000001", 0, false}} {
		t.Setenv("NASX_POLL_US", c.env)
		if d, ok := pollTime(); d != c.want || ok != c.ok {
			t.Errorf("NASX_POLL_US=%q: pollTime() = %v, %v; want %v, %v", c.env, d, ok, c.want, c.ok)
		}
	}
}
