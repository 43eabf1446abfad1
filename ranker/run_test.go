package ranker

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/nasx/nasx/data/bench"
)

// The verified pick looks up only the verify best-scored held-out
// architectures and takes the best validation accuracy among them and the
// training and validation architectures; test accuracies play no part.
func TestVerifiedPick(t *testing.T) {
	//                 0   1   2   3   4   5   6   7
	val := []float64{50, 60, 55, 90, 70, 80, 65, 10}
	test := []float64{1, 2, 3, 4, 5, 6, 7, 100} // arch 7: best test, worst val
	f := &Features{Val: val, Test: test}
	ranks := f.TestRanks()
	sp := Split{Train: []int{0, 1}, Val: []int{2}, Rest: []int{3, 4, 5, 6, 7}}
	// Scores: 6 > 5 > 7 > 4 > 3 among the rest.
	scores := []float64{0, 0, 0, 1, 2, 5, 9, 3}
	for _, c := range []struct{ verify, want int }{
		{0, 1},  // nothing looked up: best known val is training arch 1 (60)
		{1, 6},  // arch 6 (65) beats 60
		{2, 5},  // arch 5 (80)
		{4, 5},  // 6, 5, 7, 4: still 5
		{5, 3},  // all of the rest: arch 3 (90)
		{99, 3}, // more than the rest
	} {
		p := VerifiedPick(f, sp, scores, c.verify, ranks)
		if p == nil || p.Index != c.want {
			t.Errorf("verify %d: pick %+v, want arch %d", c.verify, p, c.want)
			continue
		}
		if p.Rank != ranks[c.want] || p.ValAcc != val[c.want] {
			t.Errorf("verify %d: pick %+v, want rank %d val %g", c.verify, p, ranks[c.want], val[c.want])
		}
	}
}

func TestStandardise(t *testing.T) {
	v := []float64{1, 2, 3, 4}
	standardise(v)
	// mean 2.5, population sd √1.25.
	sd := math.Sqrt(1.25)
	for i, x := range []float64{-1.5, -0.5, 0.5, 1.5} {
		if math.Abs(v[i]-x/sd) > 1e-15 {
			t.Errorf("standardise: %v, want %g at %d", v, x/sd, i)
		}
	}
	c := []float64{7, 7}
	standardise(c)
	if c[0] != 0 || c[1] != 0 {
		t.Errorf("constant input: %v, want zeros", c)
	}
}

func TestRunConfigRejectsBadImproveFields(t *testing.T) {
	c := RunConfig{Ensemble: -1, Verify: -2}
	err := c.Validate()
	if err == nil {
		t.Fatal("accepted ensemble -1, verify -2")
	}
	for _, w := range []string{"ensemble: got -1", "verify: got -2"} {
		if !contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	tc := TrainConfig{Select: "best"}
	if err := tc.Validate(); err == nil || !contains(err.Error(), `train.select: got "best"`) {
		t.Errorf("select \"best\": %v", err)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// A saved model searches as its run did: SaveCheckpoint, LoadCheckpoint and
// a sampler from Load with the run's seed give SearchModel the run's search,
// pick for pick; another seed gives another search of the same model.
func TestSearchModelRepeatsTheRunsSearch(t *testing.T) {
	tab := loadNB201(t)
	cfg := tinyRunConfig()
	f, s, err := Load(tab, bench.CIFAR10, cfg.Sampler, cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	rep, tr, err := Run(context.Background(), cfg, f, s, Hooks{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	err = SaveCheckpoint(dir, tr)
	tr.Model.Close()
	if err != nil {
		t.Fatal(err)
	}
	search := func(seed uint64) (*SearchResult, error) {
		c := cfg
		c.Seed = seed
		f, s, err := Load(tab, bench.CIFAR10, c.Sampler, c.Seed)
		if err != nil {
			return nil, err
		}
		loaded, err := LoadCheckpoint(dir, c.Model, c.Train.Batch, c.Train.MicroBatch, f)
		if err != nil {
			return nil, err
		}
		defer loaded.Model.Close()
		return SearchModel(context.Background(), c, f, s, loaded, nil)
	}
	sr, err := search(cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal([]any{sr.Found, sr.TopK, sr.Queries, sr.Pick, sr.Distinct, sr.Iterations})
	want, _ := json.Marshal([]any{rep.Found, rep.TopK, rep.Queries, rep.Pick, rep.Distinct, rep.SearchIterations})
	if !bytes.Equal(got, want) {
		t.Errorf("search of the saved model differs from the run's:\nrun   %s\nsaved %s", want, got)
	}
	other, err := search(cfg.Seed + 1)
	if err != nil {
		t.Fatal(err)
	}
	o, _ := json.Marshal(other.Iterations)
	w, _ := json.Marshal(rep.SearchIterations)
	if bytes.Equal(o, w) {
		t.Error("a search with seed 6 repeated the seed-5 search: the seed does not reach the search")
	}
}
