package bench

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/op"
)

// TestBlocksRun runs one training step of each benchmark block and checks that the loss is finite and
// positive (targets are random, so mean((y − target)²) > 0) and that every parameter gets a finite gradient
// with a non-zero entry, so a block that silently drops part of its graph (a pruned branch, a gradient that
// does not reach α) fails here rather than benchmarking less work.
func TestBlocksRun(t *testing.T) {
	for _, bc := range []struct {
		name  string
		build func() *block
	}{{"MixedEdge", newMixedEdge}, {"Cell", newCell}, {"TransformerLayer", newTransformerLayer}} {
		t.Run(bc.name, func(t *testing.T) {
			bl := bc.build()
			m := G.NewTapeMachine(bl.g, G.BindDualValues(bl.params...), G.FreeIntermediates(op.Buffers))
			defer m.Close()
			if err := m.RunAll(); err != nil {
				t.Fatal(err)
			}
			loss := float64(bl.lossV.Data().(float32))
			if !(loss > 0) || math.IsInf(loss, 0) {
				t.Fatalf("loss = %v, want finite and > 0", loss)
			}
			for i, gv := range bl.gradV {
				g := gv.(*tensor.Dense).Float32s()
				nonzero := false
				for _, v := range g {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Fatalf("gradient of %s has %v", bl.params[i].Name(), v)
					}
					nonzero = nonzero || v != 0
				}
				if !nonzero {
					t.Errorf("gradient of %s (shape %v) is all zeros", bl.params[i].Name(), bl.params[i].Shape())
				}
			}
			t.Logf("%d parameters, loss %.4f", len(bl.params), loss)
		})
	}
}
