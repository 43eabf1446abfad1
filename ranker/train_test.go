package ranker

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/nasx/nasx/data/bench"
)

func tinyTrainConfig() TrainConfig {
	// NB201's optimiser settings (config201.yml) with a short run.
	return TrainConfig{Epochs: 3, Batch: 8, LRMul: 0.07, Warmup: 30, Beta1: 0.9, Beta2: 0.99, Eps: 1e-9,
		WeightDecay: 1e-2, LossFactor: 1, Bins: 5}
}

func tinyNB201Model() ModelConfig {
	c := tinyConfig()
	c.NLayers = 1
	return c
}

func TestTrainRestoresBestAndIsDeterministic(t *testing.T) {
	tab := loadNB201(t)
	f, err := EncodeNB201(tab, bench.CIFAR10)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := NewSplit(f.Len(), 24, 16, 5)
	if err != nil {
		t.Fatal(err)
	}
	run := func() *Trained {
		tr, err := Train(context.Background(), tinyNB201Model(), tinyTrainConfig(), f, sp, 11, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	a := run()
	defer a.Model.Close()
	if len(a.History) != 3 || len(a.Distri) != 3 { // 24/8 batches per epoch
		t.Fatalf("history %d epochs, distri %d batches; want 3, 3", len(a.History), len(a.Distri))
	}
	// The restored weights are the best epoch's: validating again gives the
	// recorded best accuracy.
	c, err := a.Model.classify(f, sp.Val, TierLabels(pick(f.Val, sp.Val), 5), true)
	if err != nil {
		t.Fatal(err)
	}
	if c.tierAcc != a.BestAcc || !a.History[a.BestEpoch].Best {
		t.Errorf("re-validated acc %v, best %v at epoch %d", c.tierAcc, a.BestAcc, a.BestEpoch)
	}
	b := run()
	defer b.Model.Close()
	for e := range a.History {
		ha, hb := a.History[e], b.History[e]
		if ha.TrainLoss != hb.TrainLoss || ha.ValAcc != hb.ValAcc {
			t.Fatalf("epoch %d differs between runs with one seed: %+v vs %+v", e, ha, hb)
		}
	}
	ev, err := Evaluate(a.Model, f, sp.Rest[:40], f.TestRanks())
	if err != nil {
		t.Fatal(err)
	}
	if ev.N != 40 || ev.K != 1 || ev.KendallTau < -1 || ev.KendallTau > 1 || ev.Best.Rank < 1 {
		t.Errorf("evaluation %+v", ev)
	}
}

// TestEpochStatsJSONNaN: a NaN val_tau (constant scores) must still give a
// JSON line, with null for the NaN, and the same keys as the plain struct.
func TestEpochStatsJSONNaN(t *testing.T) {
	st := EpochStats{Epoch: 3, TrainLoss: 1.5, ValTau: math.NaN(), LR: math.Inf(1), Best: true, Seconds: 2}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"epoch":3,"train_loss":1.5,"train_ce":0,"train_rank_loss":0,"train_tier_acc":0,"val_tier_acc":0,"val_tau":null,"lr":null,"best":true,"seconds":2}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}
