package configs

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Search is the configuration of `nasx search darts`. JSON keys are the
// flag names with "-" replaced by "_".
type Search struct {
	// Note is free text describing a preset; it changes nothing.
	Note string `json:"note,omitempty"`
	// Dataset is cifar10, cifar100, imagenet16 or synthetic.
	Dataset string `json:"dataset"`
	// DataDir is the dataset folder (or CIFAR archive); empty means
	// data.DefaultDir (NASX_DATA or ~/.nasx).
	DataDir string `json:"data_dir,omitempty"`
	// Space is darts or nasbench201.
	Space string `json:"space"`
	// Epochs is the number of search epochs.
	Epochs int `json:"epochs"`
	// Layers is the number of cells (darts) or of cells per stage (nasbench201).
	Layers int `json:"layers"`
	// InitChannels is the initial channel count C.
	InitChannels int `json:"init_channels"`
	// BatchSize is the batch of both the weight and the α split.
	BatchSize int `json:"batch_size"`
	// LR and LRMin are the weight SGD rate and the end of its cosine schedule.
	LR    float64 `json:"lr"`
	LRMin float64 `json:"lr_min"`
	// Momentum, WeightDecay and GradClip configure the weight SGD.
	Momentum    float64 `json:"momentum"`
	WeightDecay float64 `json:"weight_decay"`
	GradClip    float64 `json:"grad_clip"`
	// ArchLR, ArchBeta1, ArchBeta2 and ArchWeightDecay configure the α Adam.
	ArchLR          float64 `json:"arch_lr"`
	ArchBeta1       float64 `json:"arch_beta1"`
	ArchBeta2       float64 `json:"arch_beta2"`
	ArchWeightDecay float64 `json:"arch_weight_decay"`
	// TrainPortion is the fraction of the training images that train the
	// weights; the rest train α.
	TrainPortion float64 `json:"train_portion"`
	// Unrolled selects second-order DARTS.
	Unrolled bool `json:"unrolled"`
	// Seed seeds everything random.
	Seed uint64 `json:"seed"`
	// Subset uses only the first Subset training images; 0 uses all.
	Subset int `json:"subset"`
	// Task is cls (DARTS), cls_mask (α-DARTS), mask_rec or rec.
	Task string `json:"task"`
	// MaskRatio, PatchSize and MaskFill configure the masking.
	MaskRatio float64 `json:"mask_ratio"`
	PatchSize int     `json:"patch_size"`
	MaskFill  float64 `json:"mask_fill"`
	// NormPixLoss normalises each target patch (MAE's norm_pix_loss).
	NormPixLoss bool `json:"norm_pix_loss"`
	// Bench is a NAS-Bench-201 file for the true accuracy of the derived
	// cells (nasbench201 space only); empty disables the lookups.
	Bench string `json:"bench,omitempty"`
	// SyntheticSize is the image side of the synthetic dataset (default 32).
	SyntheticSize int `json:"synthetic_size,omitempty"`
	// Workers is the number of data goroutines; 0 means GOMAXPROCS.
	Workers int `json:"workers"`
}

// SearchDatasets, SearchSpaces and SearchTasks list the allowed values.
var (
	SearchDatasets = []string{"cifar10", "cifar100", "imagenet16", "synthetic"}
	SearchSpaces   = []string{"darts", "nasbench201"}
	SearchTasks    = []string{"cls", "cls_mask", "mask_rec", "rec"}
)

// DefaultSearch returns the DARTS reference search (quark0/darts
// cnn/train_search.py argparse, algorithms.md C.2): CIFAR-10, 8 cells,
// C=16, batch 64, 50 epochs, SGD lr 0.025 cosine → 0.001, momentum 0.9,
// wd 3e-4, grad-clip 5; α Adam lr 3e-4, betas (0.5, 0.999), wd 1e-3;
// train_portion 0.5; seed 2; first order; task cls. The masking defaults are
// α-DARTS' code defaults (SD@d525eed train_search.py): ratio 0.8, patch 4,
// fill 1.0, norm_pix_loss off.
func DefaultSearch() Search {
	return Search{Dataset: "cifar10", Space: "darts", Epochs: 50, Layers: 8, InitChannels: 16, BatchSize: 64,
		LR: 0.025, LRMin: 0.001, Momentum: 0.9, WeightDecay: 3e-4, GradClip: 5,
		ArchLR: 3e-4, ArchBeta1: 0.5, ArchBeta2: 0.999, ArchWeightDecay: 1e-3,
		TrainPortion: 0.5, Seed: 2, Task: "cls", MaskRatio: 0.8, PatchSize: 4, MaskFill: 1}
}

//go:embed search_*.json
var searchPresets embed.FS

// SearchPresets returns the names of the embedded search presets (file
// names without .json).
func SearchPresets() []string {
	ents, _ := searchPresets.ReadDir(".")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".json"))
	}
	return out
}

// LoadSearch decodes the JSON file at path over base, strictly (an
// unknown key is an error). If no file exists at path, the name of an
// embedded preset (with or without the configs/ folder and .json) is
// accepted. The result is not validated.
func LoadSearch(path string, base Search) (Search, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		if pb, perr := searchPresets.ReadFile(name + ".json"); perr == nil {
			b, err = pb, nil
		} else {
			return base, fmt.Errorf("configs: %s: no such file, and not a preset (presets: %s)", path, strings.Join(SearchPresets(), ", "))
		}
	}
	if err != nil {
		return base, fmt.Errorf("configs: %w", err)
	}
	return decodeSearch(b, path, base)
}

func decodeSearch(b []byte, path string, base Search) (Search, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	s := base
	if err := dec.Decode(&s); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return base, fmt.Errorf("configs: %s: offset %d: %v", path, se.Offset, err)
		case errors.As(err, &te):
			return base, fmt.Errorf("configs: %s: field %s: got a JSON %s, want %v", path, te.Field, te.Value, te.Type)
		}
		return base, fmt.Errorf("configs: %s: %v (keys are the flag names with _ for -)", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return base, fmt.Errorf("configs: %s: trailing data after the JSON object", path)
	}
	return s, nil
}

// Validate returns every problem of s joined, each as "field: got X, want Y".
func (s Search) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if !slices.Contains(SearchDatasets, s.Dataset) {
		add("dataset: got %q, want one of %s", s.Dataset, strings.Join(SearchDatasets, ", "))
	}
	if !slices.Contains(SearchSpaces, s.Space) {
		add("space: got %q, want one of %s", s.Space, strings.Join(SearchSpaces, ", "))
	}
	if !slices.Contains(SearchTasks, s.Task) {
		add("task: got %q, want one of %s", s.Task, strings.Join(SearchTasks, ", "))
	}
	if s.Epochs < 1 || s.Epochs > 10000 {
		add("epochs: got %d, want in [1, 10000]", s.Epochs)
	}
	if s.Space == "darts" && (s.Layers < 3 || s.Layers > 64) {
		add("layers: got %d, want in [3, 64] for the darts space (reductions at layers/3 and 2·layers/3)", s.Layers)
	}
	if s.Space == "nasbench201" && (s.Layers < 1 || s.Layers > 32) {
		add("layers: got %d, want in [1, 32] cells per stage for nasbench201", s.Layers)
	}
	if s.InitChannels < 2 || s.InitChannels > 1024 || s.InitChannels%2 != 0 {
		add("init_channels: got %d, want an even number in [2, 1024]", s.InitChannels)
	}
	if s.BatchSize < 1 || s.BatchSize > 4096 {
		add("batch_size: got %d, want in [1, 4096]", s.BatchSize)
	}
	if !(s.LR > 0) || !finite(s.LR) {
		add("lr: got %v, want > 0", s.LR)
	}
	if !(s.LRMin >= 0) || !(s.LRMin <= s.LR) {
		add("lr_min: got %v, want in [0, lr=%v]", s.LRMin, s.LR)
	}
	if !(s.Momentum >= 0 && s.Momentum < 1) {
		add("momentum: got %v, want in [0, 1)", s.Momentum)
	}
	if !(s.WeightDecay >= 0) || !finite(s.WeightDecay) {
		add("weight_decay: got %v, want >= 0", s.WeightDecay)
	}
	if !(s.GradClip >= 0) || !finite(s.GradClip) {
		add("grad_clip: got %v, want >= 0 (0 disables clipping)", s.GradClip)
	}
	if !(s.ArchLR > 0) || !finite(s.ArchLR) {
		add("arch_lr: got %v, want > 0", s.ArchLR)
	}
	if !(s.ArchBeta1 >= 0 && s.ArchBeta1 < 1) {
		add("arch_beta1: got %v, want in [0, 1)", s.ArchBeta1)
	}
	if !(s.ArchBeta2 >= 0 && s.ArchBeta2 < 1) {
		add("arch_beta2: got %v, want in [0, 1)", s.ArchBeta2)
	}
	if !(s.ArchWeightDecay >= 0) || !finite(s.ArchWeightDecay) {
		add("arch_weight_decay: got %v, want >= 0", s.ArchWeightDecay)
	}
	if !(s.TrainPortion > 0 && s.TrainPortion < 1) {
		add("train_portion: got %v, want in (0, 1)", s.TrainPortion)
	}
	if s.Subset < 0 {
		add("subset: got %d, want >= 0 (0 uses every training image)", s.Subset)
	}
	if !(s.MaskRatio >= 0 && s.MaskRatio < 1) {
		add("mask_ratio: got %v, want in [0, 1)", s.MaskRatio)
	}
	if s.PatchSize < 1 || s.PatchSize > 64 {
		add("patch_size: got %d, want in [1, 64] and dividing the image size", s.PatchSize)
	}
	if !finite(s.MaskFill) {
		add("mask_fill: got %v, want a finite value", s.MaskFill)
	}
	if s.Bench != "" && s.Space != "nasbench201" {
		add("bench: set for space %q, want space nasbench201", s.Space)
	}
	if s.SyntheticSize != 0 && (s.SyntheticSize < 4 || s.SyntheticSize%4 != 0 || s.SyntheticSize > 256) {
		add("synthetic_size: got %d, want 0 (32) or a multiple of 4 in [4, 256]", s.SyntheticSize)
	}
	if s.Workers < 0 {
		add("workers: got %d, want >= 0", s.Workers)
	}
	return errors.Join(errs...)
}
