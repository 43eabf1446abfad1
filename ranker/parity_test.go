package ranker

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nasx/nasx/internal/numtest"
	"github.com/nasx/nasx/internal/weights"
)

// TestParityWithPyTorch checks the model's forward pass (encoder output,
// score head, tier logits), the loss and nine gradients against the PyTorch
// reference implementation of the spec in testdata/gen_nar.py, with the same
// weights and inputs (dropout 0), in float32 at atol 1e-5, rtol 1e-4 (the
// engine's float32-vs-PyTorch tolerance, style guide 2.7), with the decoder
// run on the whole batch and on micro-batches of 2 and 1.
func TestParityWithPyTorch(t *testing.T) {
	for _, micro := range []int{0, 2, 1} {
		t.Run(fmt.Sprintf("micro%d", micro), func(t *testing.T) { testParity(t, micro) })
	}
}

func testParity(t *testing.T, micro int) {
	f, err := weights.ReadFile("testdata/nar_parity.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	get := func(name string) weights.Tensor {
		tt, ok := f.Tensor(name)
		if !ok {
			t.Fatalf("fixture has no %q", name)
		}
		return tt
	}
	f32 := func(name string) []float32 { return get(name).Data.([]float32) }
	var params []weights.Tensor
	for _, tt := range f.Tensors {
		if !strings.Contains(tt.Name, "/") {
			params = append(params, tt)
		}
	}
	// The sizes of gen_nar.py: B 4, L 3, d_patch 4, d_model 8, 2 heads of
	// 4, d_inner 16, 2 layers, 5 tiers, tier inner 6, score inner 7.
	cfg := ModelConfig{NTier: 5, Tokens: 3, DPatch: 4, DModel: 8, DInner: 16, DTierInner: 6, DValInner: 7,
		NLayers: 2, NHead: 2, DK: 4, DV: 4, Dropout: 0, NPosition: 200, ScalePrj: true}
	const B = 4
	m, err := NewModel(cfg, B, micro, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Params().LoadStateDict(params, true); err != nil {
		t.Fatal(err)
	}
	tiers := f32("in/tiers")
	in := batchIn{x: f32("in/x"), target: f32("in/target"), val: get("in/val").Data.([]float64), factor: 2.5}
	size := cfg.Tokens * cfg.DModel
	for k := range cfg.NTier {
		in.tiers = append(in.tiers, tiers[k*size:(k+1)*size])
	}
	const atol, rtol = 1e-5, 1e-4
	out, err := m.forward(in)
	if err != nil {
		t.Fatal(err)
	}
	numtest.AllClose(t, out.enc, f32("out/enc"), atol, rtol)
	numtest.AllClose(t, out.score, f32("out/score"), atol, rtol)
	numtest.AllClose(t, out.logits, f32("out/logits"), atol, rtol)

	tr, err := m.trainStep(in)
	if err != nil {
		t.Fatal(err)
	}
	numtest.AllClose(t, []float64{tr.loss, tr.ce, tr.rank},
		[]float64{float64(f32("out/loss")[0]), float64(f32("out/ce")[0]), float64(f32("out/rank")[0])}, atol, rtol)
	byName := map[string]int{}
	for i, p := range m.params {
		byName[p.Name()] = i
	}
	for _, tt := range f.Tensors {
		name, ok := strings.CutPrefix(tt.Name, "grad/")
		if !ok {
			continue
		}
		g, err := m.params[byName[name]].Grad()
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) { numtest.AllClose(t, g, tt.Data.([]float32), atol, rtol) })
	}
}
