package configs

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPresetsMatchNAR(t *testing.T) {
	// Values of NAR:config/config201.yml and config.yml (algorithms.md B.3); micro_batch 16 is nasx's
	// (memory: the decoder of 16 architectures at a time), not a NAR setting.
	b := DefaultRankNB201()
	if b.TrainSize != 1000 || b.ValSize != 256 || b.Epochs != 55 || b.Seed != 77777777 ||
		b.Model.DModel != 128 || b.Model.DInner != 512 || b.Model.DTierInner != 256 || b.Model.DValInner != 1024 ||
		b.Model.NHead != 4 || b.Model.DK != 32 || b.Train.Batch != 128 || b.Train.LRMul != 0.07 || b.Train.Warmup != 30 ||
		b.Train.Beta2 != 0.99 || b.Train.WeightDecay != 1e-2 || b.Train.LossFactor != 1 || b.Train.Bins != 5 ||
		!b.Sampler.ForceUniform || b.Sampler.FlopsThr != 0.35 || b.Sampler.ParamsThr != 0.3 || b.Sampler.EdgesThr != 1.5 ||
		b.Search.SampleSize != 128 || len(b.Search.TopK) != 2 || b.Train.MicroBatch != 16 {
		t.Errorf("NB201 preset %+v", b)
	}
	a := DefaultRankNB101()
	if a.TrainSize != 4236 || a.ValSize != 1024 || a.Epochs != 35 || a.Model.DModel != 256 || a.Model.DK != 64 ||
		a.Model.DTierInner != 2048 || a.Train.Batch != 256 || a.Train.LRMul != 0.1 || a.Train.Warmup != 50 ||
		a.Train.Beta2 != 0.982 || a.Train.WeightDecay != 5e-4 || a.Train.LossFactor != 9 || a.Train.Bins != 8 ||
		a.Sampler.ForceUniform || a.Sampler.FlopsThr != 2.5 || len(a.Search.TopK) != 5 || a.Train.MicroBatch != 16 {
		t.Errorf("NB101 preset %+v", a)
	}
	for _, r := range []Rank{a, b} {
		if err := r.Validate(); err != nil {
			t.Errorf("preset %s invalid: %v", r.Benchmark, err)
		}
	}
}

// The fast preset is the improved one with a single model.
func TestFastPresetIsPlusWithOneModel(t *testing.T) {
	f, p := RankNB201Fast(), RankNB201Plus()
	if err := f.Validate(); err != nil {
		t.Fatalf("fast preset invalid: %v", err)
	}
	if f.Ensemble != 1 || f.Note == "" || f.Note == p.Note {
		t.Errorf("fast preset: ensemble %d, note %q", f.Ensemble, f.Note)
	}
	f.Ensemble, f.Note = p.Ensemble, p.Note
	if !reflect.DeepEqual(f, p) {
		t.Errorf("fast preset differs from plus beyond ensemble and note:\n%+v\nvs\n%+v", f, p)
	}
}

// The improved preset keeps NAR's model, data and search settings and only
// adds the improved-mode switches.
func TestPlusPresetIsNARPlusSwitches(t *testing.T) {
	p, b := RankNB201Plus(), DefaultRankNB201()
	if err := p.Validate(); err != nil {
		t.Fatalf("plus preset invalid: %v", err)
	}
	if p.Ensemble < 2 || p.Verify <= 0 || p.Verify > 500 || p.Train.Select != "val_tau" || p.Note == "" {
		t.Errorf("plus preset switches: ensemble %d, verify %d, select %q, note %q", p.Ensemble, p.Verify, p.Train.Select, p.Note)
	}
	// What the plus preset may change is what its note documents: features, the model's size and dropout,
	// loss_factor, epochs, checkpoint selection, ensemble and verify. Everything else is NAR's.
	if p.TrainSize != b.TrainSize || p.ValSize != b.ValSize || p.Sampler != b.Sampler || p.Dataset != b.Dataset ||
		p.Seed != b.Seed || p.EvalSize != b.EvalSize {
		t.Errorf("plus preset changes NAR's split or sampler:\n%+v\nvs\n%+v", p, b)
	}
	pt, bt := p.Train, b.Train
	// micro_batch changes memory, not the training: the plus preset's small models run whole batches.
	pt.LossFactor, pt.Select, pt.MicroBatch = bt.LossFactor, bt.Select, bt.MicroBatch
	if pt != bt || p.Search.Iterations != b.Search.Iterations || p.Search.SampleSize != b.Search.SampleSize {
		t.Errorf("plus preset changes NAR's optimiser or search:\n%+v\nvs\n%+v", p.Train, b.Train)
	}
	if p.Features != "onehot" || p.Model.Dropout != 0 || p.Model.NTier != b.Model.NTier || p.Model.NPosition != b.Model.NPosition ||
		p.Model.ScalePrj != b.Model.ScalePrj || p.Model.NHead*p.Model.DK != p.Model.DModel {
		t.Errorf("plus preset model/features: %+v, features %q", p.Model, p.Features)
	}
	if b.Ensemble != 0 || b.Verify != 0 || b.Train.Select != "" || b.Features != "" {
		t.Errorf("faithful preset has improved-mode switches: %+v", b)
	}
	bad := b
	bad.Ensemble, bad.Verify, bad.Train.Select, bad.Features = 17, -1, "x", "log"
	err := bad.Validate()
	for _, w := range []string{"ensemble: got 17", "verify: got -1", `train.select: got "x"`, `features: got "log"`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate: %v, want %q", err, w)
		}
	}
}

// TestScaledFeaturesNB201Only: the scaled features exist for NB201's
// precomputed tensors; NB101 configs asking for them are rejected up front.
func TestScaledFeaturesNB201Only(t *testing.T) {
	c := DefaultRankNB101()
	c.Features = "scaled"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "nasbench201 only") {
		t.Errorf("NB101 with scaled features: %v, want an error naming nasbench201", err)
	}
	c = DefaultRankNB201()
	for _, v := range []string{"", "raw", "scaled"} {
		c.Features = v
		if err := c.Validate(); err != nil {
			t.Errorf("NB201 features %q: %v", v, err)
		}
	}
}

func TestLoadRankStrictAndOverlay(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.json")
	os.WriteFile(p, []byte(`{"epochs": 3, "train": {"batch": 16}}`), 0o644)
	r, err := LoadRank(p, DefaultRankNB201())
	if err != nil {
		t.Fatal(err)
	}
	if r.Epochs != 3 || r.Train.Batch != 16 || r.Train.LRMul != 0.07 || r.TrainSize != 1000 {
		t.Errorf("overlay = %+v", r)
	}
	os.WriteFile(p, []byte(`{"train": {"batchsize": 16}}`), 0o644)
	if _, err := LoadRank(p, DefaultRankNB201()); err == nil || !strings.Contains(err.Error(), "batchsize") {
		t.Errorf("unknown field error = %v", err)
	}
	if _, err := LoadRank(filepath.Join(dir, "none.json"), DefaultRankNB201()); err == nil {
		t.Error("missing file accepted")
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	r := DefaultRankNB201()
	r.Dataset = "mnist"
	r.Epochs = 0
	r.ValSize = 3
	r.Train.MicroBatch = 48 // not a divisor of 128
	err := r.Validate()
	for _, want := range []string{`dataset: got "mnist"`, "epochs: got 0", "val_size: got 3", "train.micro_batch: got 48"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %q", err, want)
		}
	}
	r = DefaultRankNB101()
	r.Dataset = "cifar100"
	if err := r.Validate(); err == nil {
		t.Error("NB101 with cifar100 accepted")
	}
}
