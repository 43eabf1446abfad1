package ranker

import (
	"context"
	"math"
	"testing"

	"github.com/nasx/nasx/data/bench"
)

func TestBatchStatsBinning(t *testing.T) {
	// params 1000..9000 → K values 1..9; bins 4: step ceil(8/4)=2; bins
	// (1,3],(3,5],(5,7],(7,9] with 1 in bin 1; keys 1e3·(2i+1).
	f := &Features{
		Params:   []int64{1000, 2500, 3000, 4001, 9000},
		Flops:    []int64{5e6, 5e6, 5e6, 5e6, 5e6}, // constant: one bin
		OpCounts: [][5]int{{6, 0, 0, 0, 0}, {0, 6, 0, 0, 0}, {1, 1, 1, 1, 2}, {0, 0, 0, 0, 6}, {3, 3, 0, 0, 0}},
	}
	d := BatchStats(f, []int{0, 1, 2, 3, 4}, []int{0, 0, 1, 1, 4}, 5, 4)
	wantKeys := []int64{3000, 5000, 7000, 9000}
	for b, k := range d.Params[0].Keys {
		if k != wantKeys[b] {
			t.Fatalf("params keys = %v, want %v", d.Params[0].Keys, wantKeys)
		}
	}
	// values 1,3 → bin 1,1 (tier 0); 3, 5 → bins 1, 2 (tier 1); 9 → bin 4 (tier 4).
	check := func(name string, got, want []float64) {
		t.Helper()
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s = %v, want %v", name, got, want)
			}
		}
	}
	check("tier0 params", d.Params[0].Counts, []float64{2, 0, 0, 0})
	check("tier1 params", d.Params[1].Counts, []float64{1, 1, 0, 0})
	check("tier4 params", d.Params[4].Counts, []float64{0, 0, 0, 1})
	if len(d.Flops[0].Keys) != 1 || d.Flops[0].Keys[0] != 5e6 || d.Flops[0].Counts[0] != 2 {
		t.Errorf("constant flops hist = %+v, want one bin keyed 5e6 holding 2", d.Flops[0])
	}
	check("tier0 edges", d.Edges[0].Counts, []float64{6, 6, 0, 0, 0})
	check("tier4 edges", d.Edges[4].Counts, []float64{3, 3, 0, 0, 0})
}

func TestSelectDistri(t *testing.T) {
	mk := func(c ...float64) Hist { return Hist{Keys: []int64{1, 2}, Counts: c} }
	tiers := []Hist{mk(10, 0), mk(5, 5), mk(5, 5), mk(0, 10), mk(0, 10)}
	// P0 = softmax(10,0), P3 = softmax(0,10): KL = Σ P0 (lp0−lp3) / 2 bins.
	lp0 := logSoftmax([]float64{10, 0})
	lp3 := logSoftmax([]float64{0, 10})
	kl := (math.Exp(lp0[0])*(lp0[0]-lp3[0]) + math.Exp(lp0[1])*(lp0[1]-lp3[1])) / 2
	if p := SelectDistri(tiers, kl-1e-9); p == nil || p[0] != 1 || p[1] != 0 {
		t.Errorf("SelectDistri below the KL = %v, want [1 0]", p)
	}
	if p := SelectDistri(tiers, kl+1e-9); p != nil {
		t.Errorf("SelectDistri above the KL = %v, want nil", p)
	}
	// Tier 0 with under 10% of the batch's count is skipped.
	small := []Hist{mk(1, 0), mk(5, 5), mk(5, 5), mk(0, 10), mk(0, 10)}
	if p := SelectDistri(small, 0); p != nil {
		t.Errorf("SelectDistri(small tier 0) = %v, want nil", p)
	}
}

// oracleScorer predicts tier 0 for everything and scores by test accuracy.
type oracleScorer struct{ f *Features }

func (o oracleScorer) ScoreBatch(idx []int) ([]int, []float64, error) {
	s := make([]float64, len(idx))
	for k, i := range idx {
		s[k] = o.f.Test[i]
	}
	return make([]int, len(idx)), s, nil
}

func TestSearchNB201WithOracleScorer(t *testing.T) {
	tab := loadNB201(t)
	f, err := EncodeNB201(tab, bench.CIFAR10)
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := NewSplit(f.Len(), 100, 0, 3)
	tiers := TierLabels(pick(f.Val, sp.Train), 5)
	d := BatchStats(f, sp.Train, tiers, 5, 5)
	cfg := SamplerConfig{FlopsThr: 0.35, ParamsThr: 0.3, EdgesThr: 1.5, ForceUniform: true, ReuseStep: 25, MaxTrails: 100}
	s, err := NewNB201Sampler(f, tab, cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	got := s.SampleBatch(d, 30)
	if len(got) != 30 {
		t.Fatalf("SampleBatch gave %d, want 30", len(got))
	}
	ranks := f.TestRanks()
	sc := SearchConfig{Iterations: 5, SampleSize: 32, NoisyFactor: 0.5, TopK: []int{1, 5}}
	res, err := Search(context.Background(), sc, f, ranks, []Distri{d}, mustSampler(t, f, tab, cfg), oracleScorer{f}, 9, nil)
	if err != nil {
		t.Fatal(err)
	}
	// With an oracle scorer the top-1 pick of each iteration is that batch's
	// best, so Found is the best over all scored architectures and equals
	// the non-oracle Pick.
	if res.Found == nil || res.Found.TestAcc != res.Pick.TestAcc || res.Found.Rank != ranks[res.Found.Index] {
		t.Fatalf("Found = %+v, Pick = %+v", res.Found, res.Pick)
	}
	if res.Queries < 1 || res.Queries > 5*5 {
		t.Errorf("Queries = %d, want 1..25", res.Queries)
	}
	if len(res.Iterations) != 5 || res.TopK[1].K != 5 {
		t.Errorf("iterations %d, top-k %+v", len(res.Iterations), res.TopK)
	}
	res2, _ := Search(context.Background(), sc, f, ranks, []Distri{d}, mustSampler(t, f, tab, cfg), oracleScorer{f}, 9, nil)
	if res2.Found.Index != res.Found.Index || res2.Distinct != res.Distinct {
		t.Error("Search is not deterministic for a seed")
	}
}

func mustSampler(t *testing.T, f *Features, tab *bench.NB201, cfg SamplerConfig) *NB201Sampler {
	s, err := NewNB201Sampler(f, tab, cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDistriValidate(t *testing.T) {
	f := &Features{Params: []int64{1000, 2000}, Flops: []int64{1e6, 2e6}, OpCounts: [][5]int{{6}, {0, 6}}}
	d := BatchStats(f, []int{0, 1}, []int{0, 4}, 5, 5)
	if err := d.Validate(5); err != nil {
		t.Fatalf("valid distri rejected: %v", err)
	}
	bad := d
	bad.Params = append([]Hist(nil), d.Params...)
	bad.Params[2] = Hist{Keys: []int64{1}, Counts: nil}
	if err := bad.Validate(5); err == nil {
		t.Error("keys/counts mismatch accepted")
	}
	if err := (Distri{}).Validate(5); err == nil {
		t.Error("empty distri accepted")
	}
}
