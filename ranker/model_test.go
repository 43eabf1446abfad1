package ranker

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"weak"

	G "gorgonia.org/gorgonia"

	"github.com/nasx/nasx/internal/nn"
)

// tinyConfig is a small model for tests (dims chosen only to be small).
func tinyConfig() ModelConfig {
	return ModelConfig{NTier: 5, Tokens: 3, DPatch: 4, DModel: 8, DInner: 16, DTierInner: 6, DValInner: 7,
		NLayers: 2, NHead: 2, DK: 4, DV: 4, Dropout: 0.1, NPosition: 200, ScalePrj: true}
}

func randBatch(rng *rand.Rand, cfg ModelConfig, B int) batchIn {
	in := batchIn{x: make([]float32, B*cfg.Tokens*cfg.DPatch), target: make([]float32, B*cfg.NTier), val: make([]float64, B), factor: 1}
	for i := range in.x {
		in.x[i] = float32(rng.NormFloat64())
	}
	for range cfg.NTier {
		e := make([]float32, cfg.Tokens*cfg.DModel)
		for i := range e {
			e[i] = float32(rng.NormFloat64())
		}
		in.tiers = append(in.tiers, e)
	}
	for b := range B {
		in.target[b*cfg.NTier+rng.IntN(cfg.NTier)] = 1
		in.val[b] = float64(rng.IntN(4)) // ties on purpose
	}
	return in
}

func f64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// The graph's loss must equal the plain-Go reference formulas applied to the
// graph's own outputs (logits, scores), and the eval machine (dropout off)
// must give the same outputs twice.
func TestModelLossMatchesReference(t *testing.T) {
	cfg := tinyConfig()
	const B = 6
	m, err := NewModel(cfg, B, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	in := randBatch(rand.New(rand.NewPCG(1, 2)), cfg, B)
	in.factor = 2.5
	out, err := m.trainStep(in)
	if err != nil {
		t.Fatal(err)
	}
	ce := SoftCrossEntropy(f64s(out.logits), f64s(in.target), cfg.NTier)
	rl := RankLoss(f64s(out.score), in.val)
	// float32 graph vs float64 reference on the same float32 inputs.
	if math.Abs(out.ce-ce) > 1e-5 || math.Abs(out.rank-rl) > 1e-5 || math.Abs(out.loss-(ce+2.5*rl)) > 1e-5 {
		t.Errorf("loss %v (ce %v, rank %v), want %v (ce %v, rank %v)", out.loss, out.ce, out.rank, ce+2.5*rl, ce, rl)
	}
	a, err := m.forward(in)
	if err != nil {
		t.Fatal(err)
	}
	s1 := append([]float32(nil), a.score...)
	b, _ := m.forward(in)
	for i := range s1 {
		if s1[i] != b.score[i] {
			t.Fatalf("eval not deterministic: %v vs %v", s1, b.score)
		}
	}
}

// Scores (encoder and score head alone) equals the score column of the
// full forward pass, which also runs the decoder; a partial last batch is
// padded.
func TestScoresMatchForward(t *testing.T) {
	cfg := ModelConfig{NTier: 5, Tokens: 3, DPatch: 4, DModel: 8, DInner: 16, DTierInner: 6, DValInner: 7,
		NLayers: 2, NHead: 2, DK: 4, DV: 4, Dropout: 0.1, NPosition: 200, ScalePrj: true}
	m, err := NewModel(cfg, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	rng := rand.New(rand.NewPCG(4, 5))
	f := &Features{Tokens: 3, Dim: 4, Val: make([]float64, 6), x: make([]float32, 6*12)}
	for i := range f.x {
		f.x[i] = float32(rng.NormFloat64())
	}
	idx := []int{5, 0, 3, 2, 1, 4}
	got, err := m.Scores(f, idx)
	if err != nil {
		t.Fatal(err)
	}
	in := randBatch(rng, cfg, 4)
	for lo := 0; lo < len(idx); lo += 4 {
		batch := []int{idx[lo], idx[lo], idx[lo], idx[lo]}
		copy(batch, idx[lo:min(lo+4, len(idx))])
		f.EncodeBatch(batch, in.x)
		out, err := m.forward(in)
		if err != nil {
			t.Fatal(err)
		}
		for k := range min(4, len(idx)-lo) {
			if float64(out.score[k]) != got[lo+k] {
				t.Errorf("arch %d: Scores %g, forward %g", idx[lo+k], got[lo+k], out.score[k])
			}
		}
	}
}

// TestModelReleasesGraph checks that the model's graph has no hash collision and is garbage once closed. It failed while the Read targets were
// fields of Model: Model → machine (finalized) → graph → Read op → Model was a cycle the Go runtime never frees.
func TestModelReleasesGraph(t *testing.T) {
	wp := func() weak.Pointer[G.ExprGraph] {
		m, err := NewModel(tinyConfig(), 4, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := nn.CheckHashes(m.g); err != nil {
			t.Errorf("NewModel compiled a graph with a hash collision: %v", err)
		}
		m.Close()
		return weak.Make(m.g)
	}()
	for range 3 { // the first GC runs the machines' finalizers, the next ones free what they held
		runtime.GC()
	}
	if wp.Value() != nil {
		t.Error("the graph of a closed model is still reachable after 3 GCs")
	}
}
