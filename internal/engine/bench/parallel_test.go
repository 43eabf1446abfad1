package bench

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/op"
)

// TestParallelOpsBitIdentical runs three training steps of each benchmark block on a sequential machine and on
// machines that run independent ops at once (G.ParallelOps with 2 and 4 workers), all freeing values after
// their last use, and requires the same loss and gradients bit for bit: ops are deterministic and keep their
// state per node, so the order in which independent ops run must not change any value. Gradients accumulate
// over the three runs (BindDualValues), so a value freed or reused too early in any run shows up.
func TestParallelOpsBitIdentical(t *testing.T) {
	for _, bc := range []struct {
		name  string
		build func() *block
	}{{"MixedEdge", newMixedEdge}, {"Cell", newCell}, {"TransformerLayer", newTransformerLayer}} {
		t.Run(bc.name, func(t *testing.T) {
			run := func(opts ...G.VMOpt) (float32, [][]float32) {
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
			wantLoss, want := run()
			for _, workers := range []int{2, 4} {
				loss, got := run(G.ParallelOps(workers))
				if math.Float32bits(loss) != math.Float32bits(wantLoss) {
					t.Errorf("%d workers: loss %v, sequential %v", workers, loss, wantLoss)
				}
				for i := range want {
					for j := range want[i] {
						if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
							t.Fatalf("%d workers: gradient %d element %d = %v, sequential %v", workers, i, j, got[i][j], want[i][j])
						}
					}
				}
			}
		})
	}
}
