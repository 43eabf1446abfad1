package configs

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

//go:embed nar_nb201.json
var narNB201 []byte

//go:embed nar_nb101.json
var narNB101 []byte

//go:embed nar_nb201_plus.json
var narNB201Plus []byte

// Rank is the configuration of `nasx rank`. JSON keys are the flag names
// with '-' replaced by '_'.
type Rank struct {
	// Note documents a preset's choices; it has no effect.
	Note string `json:"note,omitempty"`
	// Benchmark is "nasbench201" or "nasbench101".
	Benchmark string `json:"benchmark"`
	// Dataset is cifar10, cifar100 or imagenet16 (NB101: cifar10 only).
	Dataset string `json:"dataset"`
	// TrainSize and ValSize are the split sizes (NB201 1000/256, NB101
	// 4236/1024).
	TrainSize int `json:"train_size"`
	ValSize   int `json:"val_size"`
	// EvalSize limits the held-out evaluation to that many architectures;
	// 0 (the default) evaluates every architecture not used for training.
	EvalSize int `json:"eval_size"`
	// Epochs is ranker_epochs (NB201 55, NB101 35).
	Epochs int `json:"epochs"`
	// Seed drives the split, the initialisation, dropout, batch order and
	// the search (NAR: 77777777).
	Seed uint64 `json:"seed"`
	// Ensemble and Verify switch on the improved mode (0: off, the
	// reference's behaviour): Ensemble models ranked by their mean
	// standardised score, and the verified pick over the Verify best-scored
	// held-out architectures (see ranker.RunConfig).
	Ensemble int `json:"ensemble"`
	Verify   int `json:"verify"`
	// Features is the input encoding: "raw" (NAR's; also when empty: the
	// NB201 tensors hold raw FLOPs and params, up to ~10⁶, beside op codes
	// 0–4), "scaled" (improved mode, NB201 only: every token divided by its
	// largest magnitude over the benchmark, so all lie in [-1, 1]) or
	// "onehot" (scaled, plus five tokens marking the edges of each op type).
	Features string      `json:"features,omitempty"`
	Model    RankModel   `json:"model"`
	Train    RankTrain   `json:"train"`
	Sampler  RankSampler `json:"sampler"`
	Search   RankSearch  `json:"search"`
}

// RankModel sizes the transformer (see ranker.ModelConfig).
type RankModel struct {
	NTier      int     `json:"n_tier"`
	DModel     int     `json:"d_model"`
	DInner     int     `json:"d_ffn_inner"`
	DTierInner int     `json:"d_tier_prj_inner"`
	DValInner  int     `json:"d_val_acc_prj_inner"`
	NLayers    int     `json:"n_layers"`
	NHead      int     `json:"n_head"`
	DK         int     `json:"d_k"`
	DV         int     `json:"d_v"`
	Dropout    float64 `json:"dropout"`
	NPosition  int     `json:"n_position"`
	ScalePrj   bool    `json:"scale_prj"`
}

// RankTrain holds the optimisation settings (see ranker.TrainConfig).
type RankTrain struct {
	Batch int `json:"batch"`
	// MicroBatch runs the model on this many architectures of a batch at
	// a time, to save memory; 0 (also when absent) runs the whole batch.
	// The gradients are the whole batch's either way.
	MicroBatch  int     `json:"micro_batch,omitempty"`
	LRMul       float64 `json:"lr_mul"`
	Warmup      int     `json:"warmup"`
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	Eps         float64 `json:"eps"`
	WeightDecay float64 `json:"weight_decay"`
	LossFactor  float64 `json:"loss_factor"`
	Bins        int     `json:"bins"`
	// Select is the checkpoint criterion: "val_tier_acc" (NAR's; also
	// when empty) or "val_tau".
	Select string `json:"select,omitempty"`
}

// RankSampler holds the sampler settings (see ranker.SamplerConfig).
type RankSampler struct {
	FlopsThr     float64 `json:"flops_thr"`
	ParamsThr    float64 `json:"params_thr"`
	EdgesThr     float64 `json:"edges_thr"`
	ForceUniform bool    `json:"force_uniform"`
	ReuseStep    int     `json:"reuse_step"`
	MaxTrails    int     `json:"max_trails"`
}

// RankSearch holds the search settings (see ranker.SearchConfig).
type RankSearch struct {
	Iterations  int     `json:"iterations"`
	SampleSize  int     `json:"sample_size"`
	NoisyFactor float64 `json:"noisy_factor"`
	TopK        []int   `json:"top_k"`
}

// DefaultRankNB201 returns NAR's NB201 configuration
// (NAR:config/config201.yml; dataset cifar10, which the file also supports).
func DefaultRankNB201() Rank { return mustPreset(narNB201) }

// DefaultRankNB101 returns NAR's NB101 configuration (NAR:config/config.yml).
func DefaultRankNB101() Rank { return mustPreset(narNB101) }

// RankNB201Plus returns the improved NB201 mode (nar_nb201_plus.json): NAR's
// model and training, plus the choices documented in that file.
func RankNB201Plus() Rank { return mustPreset(narNB201Plus) }

// RankNB201Fast returns the fast NB201 mode: the improved mode with one
// model instead of an ensemble of three, about a third of its training.
// Measured on NB201 CIFAR-10, seed 1, 2 otherwise idle cores (README): 6 min
// 16 s wall, 0.51 GB peak RSS, held-out Kendall τ-b 0.790, verified pick at
// rank 1.
func RankNB201Fast() Rank {
	r := RankNB201Plus()
	r.Ensemble = 1
	r.Note = "Fast mode (nasx rank nasbench201 --mode fast): the improved mode (nar_nb201_plus.json, whose note gives every choice) with one small model instead of an ensemble of three. NB201 CIFAR-10, seed 1, on 2 otherwise idle cores: 6 min 16 s wall for training, held-out scoring and search, peak RSS 0.51 GB, held-out Kendall tau-b 0.790 (the three-model mode 0.806), verified pick at rank 1."
	return r
}

// DefaultRank returns the preset of benchmark ("nasbench201" or
// "nasbench101").
func DefaultRank(benchmark string) (Rank, error) {
	switch benchmark {
	case "nasbench201":
		return DefaultRankNB201(), nil
	case "nasbench101":
		return DefaultRankNB101(), nil
	}
	return Rank{}, fmt.Errorf("configs: unknown benchmark %q (valid: nasbench201, nasbench101)", benchmark)
}

func mustPreset(b []byte) Rank {
	r, err := decodeRank(b, Rank{})
	if err != nil {
		panic("configs: embedded preset: " + err.Error()) // programmer error: tested
	}
	return r
}

func decodeRank(b []byte, base Rank) (Rank, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	r := base
	r.Search.TopK = append([]int(nil), base.Search.TopK...)
	if err := dec.Decode(&r); err != nil {
		return Rank{}, err
	}
	if dec.More() {
		return Rank{}, errors.New("trailing data after the JSON object")
	}
	return r, nil
}

// LoadRank reads the JSON file at path over base: keys in the file replace
// base's values, unknown keys are errors.
func LoadRank(path string, base Rank) (Rank, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Rank{}, fmt.Errorf("configs: %w", err)
	}
	r, err := decodeRank(b, base)
	if err != nil {
		return Rank{}, fmt.Errorf("configs: %s: %w", path, err)
	}
	return r, nil
}

// Validate returns every problem of r, joined.
func (r Rank) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch r.Benchmark {
	case "nasbench201":
		if r.Dataset != "cifar10" && r.Dataset != "cifar100" && r.Dataset != "imagenet16" {
			add("dataset: got %q, want cifar10, cifar100 or imagenet16", r.Dataset)
		}
	case "nasbench101":
		if r.Dataset != "cifar10" {
			add("dataset: got %q, want cifar10 (NAS-Bench-101 has only CIFAR-10)", r.Dataset)
		}
	default:
		add("benchmark: got %q, want nasbench201 or nasbench101", r.Benchmark)
	}
	if r.TrainSize < r.Train.Batch {
		add("train_size: got %d, want >= train.batch (%d)", r.TrainSize, r.Train.Batch)
	}
	if r.ValSize < r.Train.Batch {
		add("val_size: got %d, want >= train.batch (%d)", r.ValSize, r.Train.Batch)
	}
	if r.EvalSize < 0 {
		add("eval_size: got %d, want >= 0 (0: all held-out architectures)", r.EvalSize)
	}
	if r.Epochs <= 0 {
		add("epochs: got %d, want > 0", r.Epochs)
	}
	if r.Ensemble < 0 || r.Ensemble > 16 {
		add("ensemble: got %d, want 0..16 (0 and 1: one model)", r.Ensemble)
	}
	if r.Verify < 0 {
		add("verify: got %d, want >= 0 (0: no verified pick)", r.Verify)
	}
	switch r.Features {
	case "", "raw":
	case "scaled", "onehot":
		if r.Benchmark != "nasbench201" {
			add("features: %q is implemented for nasbench201 only; use \"raw\"", r.Features)
		}
	default:
		add("features: got %q, want raw, scaled or onehot", r.Features)
	}
	if r.Train.Select != "" && r.Train.Select != "val_tier_acc" && r.Train.Select != "val_tau" {
		add("train.select: got %q, want val_tier_acc or val_tau", r.Train.Select)
	}
	if r.Train.MicroBatch < 0 || (r.Train.MicroBatch > 0 && r.Train.Batch > 0 && r.Train.Batch%r.Train.MicroBatch != 0) {
		add("train.micro_batch: got %d, want a divisor of train.batch (%d), or 0 for the whole batch", r.Train.MicroBatch, r.Train.Batch)
	}
	if r.Search.SampleSize != r.Train.Batch {
		add("search.sample_size: got %d, want train.batch (%d): one graph serves both", r.Search.SampleSize, r.Train.Batch)
	}
	return errors.Join(errs...)
}
