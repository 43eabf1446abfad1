package bench

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/kernel"
	"github.com/nasx/nasx/internal/op"
)

// TestParallelOpsBitIdentical runs three training steps of each benchmark block on a sequential machine at
// GOMAXPROCS=1 and, at GOMAXPROCS 2 to 4, on sequential machines and on machines that run independent ops at
// once (G.ParallelOps with 2 and 4 workers, with and without G.ParallelIdle(kernel.Help), whose idle workers
// run chunks of the ops in flight, and once with G.ParallelPoll(0), whose idle workers park at once), all
// freeing values after their last use, and requires the same loss and
// gradients bit for bit: ops are deterministic and keep their state per node, and kernel.ParallelFor's chunks
// do not depend on timing, so neither the core count nor the order in which ops and chunks run may change
// any value. Gradients accumulate over the three runs (BindDualValues), so a value freed or reused too early
// in any run shows up.
func TestParallelOpsBitIdentical(t *testing.T) {
	for _, bc := range []struct {
		name  string
		build func() *block
	}{{"MixedEdge", newMixedEdge}, {"Cell", newCell}, {"TransformerLayer", newTransformerLayer}} {
		t.Run(bc.name, func(t *testing.T) {
			run := func(procs int, opts ...G.VMOpt) (float32, [][]float32) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				bl := bc.build()
				opts = append([]G.VMOpt{G.BindDualValues(bl.params...), G.FreeIntermediates(op.Buffers)}, opts...)
				m := G.NewTapeMachine(bl.g, opts...)
				defer m.Close()
				for range 3 {
					m.Reset()
					if err := m.RunAll(); err != nil {
						t.Fatal(err)
					}
				}
				grads := make([][]float32, len(bl.params))
				for i, p := range bl.params {
					g, err := p.Grad()
					if err != nil {
						t.Fatal(err)
					}
					grads[i] = append([]float32(nil), g.(*tensor.Dense).Float32s()...)
				}
				return bl.lossV.Data().(float32), grads
			}
			wantLoss, want := run(1)
			// NaN bits can equal NaN bits: the reference itself must be finite (the package's tests poison
			// the outputs that kernels overwrite, see main_test.go).
			if math.IsNaN(float64(wantLoss)) || math.IsInf(float64(wantLoss), 0) {
				t.Fatalf("sequential loss %v", wantLoss)
			}
			for i := range want {
				for j, v := range want[i] {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Fatalf("sequential gradient %d element %d = %v", i, j, v)
					}
				}
			}
			for _, c := range []struct {
				procs, workers int // workers 0: sequential machine
				help, noPoll   bool
			}{{2, 0, false, false}, {2, 2, false, false}, {2, 2, true, false}, {2, 2, true, true},
				{3, 4, false, false}, {3, 2, true, false}, {4, 4, true, false}} {
				var opts []G.VMOpt
				if c.workers > 0 {
					opts = append(opts, G.ParallelOps(c.workers))
				}
				if c.help {
					opts = append(opts, G.ParallelIdle(kernel.Help))
				}
				if c.noPoll { // idle workers park at once
					opts = append(opts, G.ParallelPoll(0))
				}
				name := fmt.Sprintf("GOMAXPROCS=%d, %d op workers, help %v, no polling %v", c.procs, c.workers, c.help, c.noPoll)
				loss, got := run(c.procs, opts...)
				if math.Float32bits(loss) != math.Float32bits(wantLoss) {
					t.Errorf("%s: loss %v, sequential at GOMAXPROCS=1 %v", name, loss, wantLoss)
				}
				for i := range want {
					for j := range want[i] {
						if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
							t.Fatalf("%s: gradient %d element %d = %v, sequential at GOMAXPROCS=1 %v", name, i, j, got[i][j], want[i][j])
						}
					}
				}
			}
		})
	}
}

// TestMachineGoroutinesExit runs training steps on a machine with op.VMOpts at GOMAXPROCS=2 (worker
// goroutines for the ops, helper goroutines of kernel.ParallelFor) and checks that, once the machine is closed
// and the helpers have been idle for a while, the goroutine count is back to what it was before.
func TestMachineGoroutinesExit(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	settle := func() int { // the goroutine count, once it stopped falling
		n := runtime.NumGoroutine()
		for range 100 {
			time.Sleep(50 * time.Millisecond)
			m := runtime.NumGoroutine()
			if m == n {
				return n
			}
			n = m
		}
		return n
	}
	time.Sleep(time.Second) // helpers of earlier tests idle out
	base := settle()
	bl := newMixedEdge()
	m := G.NewTapeMachine(bl.g, append(op.VMOpts(), G.BindDualValues(bl.params...))...)
	for range 3 {
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines 10 s after the machine closed, %d before it ran", runtime.NumGoroutine(), base)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestParallelOpsError: an op that fails on a machine with G.ParallelOps (a MaskedMSE whose mask is all 0,
// which is an error, after a mixed edge and before its backward pass) makes RunAll return that op's error,
// with the instruction's position, and the machine neither hangs nor runs the reads after the ops (the loss
// stays unset); after Reset it fails the same way again.
func TestParallelOpsError(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	b := newBuilder(4)
	x := b.input("x", edgeN, edgeC, edgeH, edgeW)
	w := must(op.Softmax(must(G.Reshape(b.alphas(1), tensor.Shape{8}))))
	y := must(op.WeightedSum(w, b.mixedTerms(x, 0)...))
	rows := edgeN * edgeC * edgeH
	flat := must(G.Reshape(y, tensor.Shape{rows, edgeW}))
	target := b.input("target", rows, edgeW)
	mask := G.NewTensor(b.g, tensor.Float32, 1, G.WithShape(rows), G.WithName("mask"),
		G.WithValue(tensor.New(tensor.WithShape(rows), tensor.WithBacking(make([]float32, rows)))))
	loss := must(op.MaskedMSE(flat, target, mask))
	grads, err := G.Grad(loss, b.params...)
	if err != nil {
		t.Fatal(err)
	}
	var lossV G.Value
	roots := G.Nodes{G.Read(loss, &lossV)}
	for _, gr := range grads {
		roots = append(roots, G.Read(gr, new(G.Value)))
	}
	g := b.g.SubgraphRoots(roots...)
	m := G.NewTapeMachine(g, append(op.VMOpts(), G.BindDualValues(b.params...))...)
	defer m.Close()
	for range 2 {
		m.Reset()
		done := make(chan error, 1)
		go func() { done <- m.RunAll() }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "no masked patch") || !strings.Contains(err.Error(), "PC ") {
				t.Fatalf("RunAll: %v, want the MaskedMSE error with its PC", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("RunAll did not return within 30 s of a failing op")
		}
		if lossV != nil {
			t.Fatalf("the loss was read (%v) although its op failed", lossV)
		}
	}
}
