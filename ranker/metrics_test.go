package ranker

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// metricsRef is testdata/metrics_ref.json, written by testdata/gen_metrics.py
// (plain-Python O(n²) definitions).
type metricsRef struct {
	Cases []struct {
		X, Y                   []float64
		TauB, TauNAR, Spearman float64
	}
	RankLoss struct {
		S, Y  []float64
		Value float64
	}
	SoftCE struct {
		Logits, Q [][]float64
		Value     float64
	}
}

func loadMetricsRef(t *testing.T) metricsRef {
	t.Helper()
	b, err := os.ReadFile("testdata/metrics_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Cases []struct {
			X        []float64 `json:"x"`
			Y        []float64 `json:"y"`
			TauB     float64   `json:"tau_b"`
			TauNAR   float64   `json:"tau_nar"`
			Spearman float64   `json:"spearman"`
		} `json:"cases"`
		RankLoss struct {
			S     []float64 `json:"s"`
			Y     []float64 `json:"y"`
			Value float64   `json:"value"`
		} `json:"rank_loss"`
		SoftCE struct {
			Logits [][]float64 `json:"logits"`
			Q      [][]float64 `json:"q"`
			Value  float64     `json:"value"`
		} `json:"soft_ce"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	var m metricsRef
	for _, c := range r.Cases {
		m.Cases = append(m.Cases, struct {
			X, Y                   []float64
			TauB, TauNAR, Spearman float64
		}{c.X, c.Y, c.TauB, c.TauNAR, c.Spearman})
	}
	m.RankLoss.S, m.RankLoss.Y, m.RankLoss.Value = r.RankLoss.S, r.RankLoss.Y, r.RankLoss.Value
	m.SoftCE.Logits, m.SoftCE.Q, m.SoftCE.Value = r.SoftCE.Logits, r.SoftCE.Q, r.SoftCE.Value
	return m
}

// Tolerance 1e-12: float64 vs float64 references of the same sums.
const metricTol = 1e-12

func TestRankCorrelationsAgainstPython(t *testing.T) {
	ref := loadMetricsRef(t)
	for ci, c := range ref.Cases {
		tb, err := KendallTauB(c.X, c.Y)
		if err != nil || math.Abs(tb-c.TauB) > metricTol {
			t.Errorf("case %d: KendallTauB = %v (%v), want %v", ci, tb, err, c.TauB)
		}
		tn, _ := KendallTauNAR(c.X, c.Y)
		if math.Abs(tn-c.TauNAR) > metricTol {
			t.Errorf("case %d: KendallTauNAR = %v, want %v", ci, tn, c.TauNAR)
		}
		rho, _ := SpearmanRho(c.X, c.Y)
		if math.Abs(rho-c.Spearman) > metricTol {
			t.Errorf("case %d: SpearmanRho = %v, want %v", ci, rho, c.Spearman)
		}
	}
}

func TestKendallHandTable(t *testing.T) {
	// Hand-computed: x=(1,2,3,4), y=(1,3,2,4): 5 concordant, 1 discordant → 4/6.
	got, _ := KendallTauB([]float64{1, 2, 3, 4}, []float64{1, 3, 2, 4})
	if math.Abs(got-4.0/6) > metricTol {
		t.Errorf("KendallTauB = %v, want %v", got, 4.0/6)
	}
	// All tied in x: τ-b undefined (NaN); the NAR variant counts every pair
	// as concordant when y ascends... sign(0)=+1 times sign(y_i-y_j) (= -1
	// for i<j ascending y) gives -1.
	got, _ = KendallTauB([]float64{1, 1, 1}, []float64{1, 2, 3})
	if !math.IsNaN(got) {
		t.Errorf("KendallTauB(constant) = %v, want NaN", got)
	}
	got, _ = KendallTauNAR([]float64{1, 1, 1}, []float64{1, 2, 3})
	if got != -1 {
		t.Errorf("KendallTauNAR(constant, ascending) = %v, want -1", got)
	}
	if _, err := KendallTauB([]float64{1}, []float64{1, 2}); err == nil {
		t.Error("KendallTauB accepted inputs of different lengths")
	}
}

func TestLossReferences(t *testing.T) {
	ref := loadMetricsRef(t)
	if got := RankLoss(ref.RankLoss.S, ref.RankLoss.Y); math.Abs(got-ref.RankLoss.Value) > metricTol {
		t.Errorf("RankLoss = %v, want %v", got, ref.RankLoss.Value)
	}
	var l, q []float64
	for r := range ref.SoftCE.Logits {
		l = append(l, ref.SoftCE.Logits[r]...)
		q = append(q, ref.SoftCE.Q[r]...)
	}
	if got := SoftCrossEntropy(l, q, 5); math.Abs(got-ref.SoftCE.Value) > metricTol {
		t.Errorf("SoftCrossEntropy = %v, want %v", got, ref.SoftCE.Value)
	}
}

func TestPrecisionAndTierAccuracy(t *testing.T) {
	truth := []float64{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}
	pred := []float64{9, 1, 8, 7, 6, 5, 4, 3, 2, 0} // top-3 by pred: 0, 2, 3
	got, err := PrecisionAtK(pred, truth, 3)        // truth top-3: 0, 1, 2 → 2 hits
	if err != nil || got != 2.0/3 {
		t.Errorf("PrecisionAtK = %v, %v; want 2/3", got, err)
	}
	if _, err := PrecisionAtK(pred, truth, 0); err == nil {
		t.Error("PrecisionAtK accepted k = 0")
	}
	if k := TopOnePercent(14625); k != 146 {
		t.Errorf("TopOnePercent(14625) = %d, want 146", k)
	}
	logits := []float64{0, 1, 0, 2, 0, 0, 1, 1, 0} // argmax 1, 0, 0 (first on ties)
	if got := TierAccuracy(logits, []int{1, 0, 1}, 3); got != 2.0/3 {
		t.Errorf("TierAccuracy = %v, want 2/3", got)
	}
}

func TestSplitAndTiers(t *testing.T) {
	s, err := NewSplit(100, 20, 10, 7)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, part := range [][]int{s.Train, s.Val, s.Rest} {
		for _, i := range part {
			if seen[i] {
				t.Fatalf("index %d in two parts", i)
			}
			seen[i] = true
		}
	}
	if len(seen) != 100 || len(s.Train) != 20 || len(s.Val) != 10 || len(s.HeldOut()) != 80 {
		t.Fatalf("split sizes %d/%d/%d", len(s.Train), len(s.Val), len(s.Rest))
	}
	s2, _ := NewSplit(100, 20, 10, 7)
	for i := range s.Train {
		if s.Train[i] != s2.Train[i] {
			t.Fatal("split not deterministic for a seed")
		}
	}
	if _, err := NewSplit(10, 8, 3, 1); err == nil {
		t.Error("NewSplit accepted train+val > n")
	}
	// 12 items, 5 tiers: step 2; tiers 0-3 take 2 each, the last 4.
	acc := []float64{1, 12, 3, 10, 5, 6, 7, 8, 9, 4, 11, 2}
	got := TierLabels(acc, 5)
	want := []int{4, 0, 4, 1, 3, 3, 2, 2, 1, 4, 0, 4}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("TierLabels = %v, want %v", got, want)
		}
	}
}
