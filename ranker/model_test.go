package ranker

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"weak"

	G "gorgonia.org/gorgonia"

	"github.com/nasx/nasx/internal/nn"
	"github.com/nasx/nasx/internal/numtest"
	"github.com/nasx/nasx/internal/op"
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
// graph's own outputs (logits, scores), with the decoder on the whole batch
// and on micro-batches, and the eval machine (dropout off) must give the
// same outputs twice. With dropout on, the rank loss (from the training
// step's second encoder pass) equals RankLoss of the first pass's scores
// only if the second pass replays the first one's masks.
func TestModelLossMatchesReference(t *testing.T) {
	for _, micro := range []int{0, 3, 2, 1} {
		t.Run(fmt.Sprintf("micro%d", micro), func(t *testing.T) {
			cfg := tinyConfig()
			const B = 6
			m, err := NewModel(cfg, B, micro, 1)
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
			l1 := append([]float32(nil), a.logits...)
			b, _ := m.forward(in)
			for i := range s1 {
				if s1[i] != b.score[i] {
					t.Fatalf("eval not deterministic: %v vs %v", s1, b.score)
				}
			}
			for i := range l1 {
				if l1[i] != b.logits[i] {
					t.Fatalf("eval logits not deterministic: %v vs %v", l1, b.logits)
				}
			}
		})
	}
}

// A micro-batched training step draws the whole-batch step's masks where
// the reference draws one per batch: the encoder's (micro-batch k draws
// the rows of k, from one stream in order; dropout takes two elements per
// draw and every micro-batch here has an even count) and the tier
// queries' (input path and first self-attention of the decoder, the same
// for every micro-batch). So the encoder output, scores and rank loss are
// the whole-batch step's (to float rounding: the kernels see other
// shapes), and so are those layers' last masks and streams afterwards.
func TestMicroBatchSharesBatchMasks(t *testing.T) {
	cfg := tinyConfig()
	cfg.Dropout = 0.3
	const B = 4
	in := randBatch(rand.New(rand.NewPCG(7, 8)), cfg, B)
	run := func(micro int) (*Model, batchOut) {
		m, err := NewModel(cfg, B, micro, 5)
		if err != nil {
			t.Fatal(err)
		}
		out, err := m.trainStep(in)
		if err != nil {
			t.Fatal(err)
		}
		out.enc = append([]float32(nil), out.enc...)
		out.score = append([]float32(nil), out.score...)
		return m, out
	}
	whole, wo := run(0)
	defer whole.Close()
	micro, mo := run(1)
	defer micro.Close()
	if len(micro.sharedDrops) != 3 || len(micro.encDrops) != 1+3*cfg.NLayers {
		t.Fatalf("%d shared and %d encoder dropout layers, want 3 (decoder input path, first self-attention's two) and %d",
			len(micro.sharedDrops), len(micro.encDrops), 1+3*cfg.NLayers)
	}
	numtest.AllClose(t, mo.enc, wo.enc, 1e-6, 1e-6)
	numtest.AllClose(t, mo.score, wo.score, 1e-6, 1e-6)
	numtest.AllClose(t, []float64{mo.rank}, []float64{wo.rank}, 1e-7, 1e-6)
	check := func(kind string, w, m []*op.Dropout, lastRows bool) {
		for i := range w {
			ws, _ := w[i].RNGState()
			ms, _ := m[i].RNGState()
			wm, mm := w[i].Mask(), m[i].Mask()
			if len(mm) == 0 || len(wm) < len(mm) {
				t.Fatalf("%s dropout layer %d: masks of %d and %d values", kind, i, len(wm), len(mm))
			}
			if lastRows {
				wm = wm[len(wm)-len(mm):] // the last micro-batch's rows
			}
			if !slices.Equal(ws, ms) || !slices.Equal(wm, mm) {
				t.Errorf("%s dropout layer %d: mask or random stream differs between the whole batch and micro-batches of 1", kind, i)
			}
		}
	}
	check("encoder", whole.encDrops, micro.encDrops, true)
	check("tier-query", whole.sharedDrops, micro.sharedDrops, false)
}

// Scores (encoder and score head alone) equals the score column of the
// full forward pass, which also runs the decoder; a partial last batch is
// padded.
func TestScoresMatchForward(t *testing.T) {
	cfg := ModelConfig{NTier: 5, Tokens: 3, DPatch: 4, DModel: 8, DInner: 16, DTierInner: 6, DValInner: 7,
		NLayers: 2, NHead: 2, DK: 4, DV: 4, Dropout: 0.1, NPosition: 200, ScalePrj: true}
	m, err := NewModel(cfg, 4, 0, 3)
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
		m, err := NewModel(tinyConfig(), 4, 0, 1)
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
