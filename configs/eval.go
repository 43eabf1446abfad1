package configs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// Eval is the configuration of `nasx eval`: train a fixed architecture from
// scratch and report its test accuracy.
type Eval struct {
	// Space is "darts" (a DARTS genotype) or "nasbench201" (an NB201 cell).
	Space string `json:"space"`
	// Dataset is cifar10, cifar100, imagenet, imagenet16 or synthetic.
	Dataset string `json:"dataset"`
	// DataDir is the dataset folder; empty means data.DefaultDir.
	DataDir string `json:"data_dir,omitempty"`
	// Layers is the number of cells (DARTS) or cells per stage (NB201 N).
	Layers int `json:"layers"`
	// InitChannels is the initial channel count C.
	InitChannels int `json:"init_channels"`
	// Epochs is the number of training epochs.
	Epochs int `json:"epochs"`
	// BatchSize is the number of images per step.
	BatchSize int `json:"batch_size"`
	// LR is the initial learning rate.
	LR float64 `json:"lr"`
	// LRMin is the final rate of the cosine schedule (eta_min).
	LRMin float64 `json:"lr_min"`
	// Schedule is "cosine", "step" (×Gamma every epoch) or "linear" (α-DARTS
	// ImageNet: linear decay with the 5-epoch warm-up when Warmup is set).
	Schedule string `json:"schedule"`
	// Gamma is the step schedule's decay per epoch.
	Gamma float64 `json:"gamma"`
	// Warmup enables the 5-epoch linear warm-up of the linear schedule.
	Warmup bool `json:"warmup"`
	// Momentum is SGD's momentum.
	Momentum float64 `json:"momentum"`
	// Nesterov selects Nesterov momentum.
	Nesterov bool `json:"nesterov"`
	// WeightDecay is SGD's L2 penalty.
	WeightDecay float64 `json:"weight_decay"`
	// GradClip is the maximum gradient norm; 0 disables clipping.
	GradClip float64 `json:"grad_clip"`
	// Auxiliary enables the auxiliary head (DARTS networks only).
	Auxiliary bool `json:"auxiliary"`
	// AuxWeight weighs the auxiliary loss.
	AuxWeight float64 `json:"aux_weight"`
	// Cutout is the cutout side in pixels; 0 disables it.
	Cutout int `json:"cutout"`
	// DropPath is the final drop-path probability, ramped linearly
	// (DropPath·epoch/epochs); DARTS networks only.
	DropPath float64 `json:"drop_path"`
	// LabelSmoothing is the cross-entropy label smoothing.
	LabelSmoothing float64 `json:"label_smoothing"`
	// Seed seeds initialisation, data order, augmentation and drop-path.
	Seed uint64 `json:"seed"`
	// Subset limits training to the first Subset training images; 0 uses all.
	Subset int `json:"subset"`
	// TestSubset limits testing to the first TestSubset test images; 0 uses all.
	TestSubset int `json:"test_subset"`
	// Workers is the number of data-loading goroutines; 0 means GOMAXPROCS.
	Workers int `json:"workers"`
}

// EvalSpaces lists the values of Eval.Space.
var EvalSpaces = []string{"darts", "nasbench201"}

// EvalDatasets lists the values of Eval.Dataset.
var EvalDatasets = []string{"cifar10", "cifar100", "imagenet", "imagenet16", "synthetic"}

// EvalSchedules lists the values of Eval.Schedule.
var EvalSchedules = []string{"cosine", "step", "linear"}

// DefaultEvalCIFAR is DARTS' CIFAR-10 evaluation (quark0/darts cnn/train.py
// argparse, algorithms.md C.3): 20 cells, C=36, batch 96, 600 epochs, SGD
// lr 0.025 with cosine decay to 0, momentum 0.9, wd 3e-4, grad-clip 5,
// auxiliary weight 0.4, cutout 16, drop-path 0.2, seed 0.
func DefaultEvalCIFAR() Eval {
	return Eval{Space: "darts", Dataset: "cifar10", Layers: 20, InitChannels: 36, Epochs: 600, BatchSize: 96,
		LR: 0.025, Schedule: "cosine", Gamma: 0.97, Momentum: 0.9, WeightDecay: 3e-4, GradClip: 5,
		Auxiliary: true, AuxWeight: 0.4, Cutout: 16, DropPath: 0.2}
}

// DefaultEvalImageNet is DARTS' ImageNet evaluation (quark0/darts
// cnn/train_imagenet.py, algorithms.md C.4): 14 cells, C=48, batch 128,
// 250 epochs, SGD lr 0.1 decayed ×0.97 every epoch, momentum 0.9, wd 3e-5,
// label smoothing 0.1, auxiliary weight 0.4, grad-clip 5, no drop-path, no
// cutout. The α-DARTS variant (algorithms.md A.3) is schedule "linear"
// with warmup, lr 0.5, batch 1024.
func DefaultEvalImageNet() Eval {
	return Eval{Space: "darts", Dataset: "imagenet", Layers: 14, InitChannels: 48, Epochs: 250, BatchSize: 128,
		LR: 0.1, Schedule: "step", Gamma: 0.97, Momentum: 0.9, WeightDecay: 3e-5, GradClip: 5,
		Auxiliary: true, AuxWeight: 0.4, LabelSmoothing: 0.1}
}

// DefaultEvalNB201 is NAS-Bench-201's 200-epoch recipe (algorithms.md F,
// hp=200): C=16, N=5, batch 256, SGD with Nesterov momentum 0.9, lr 0.1
// with cosine decay to 0, wd 5e-4, random crop + flip; no auxiliary head,
// cutout, drop-path or clipping.
func DefaultEvalNB201() Eval {
	return Eval{Space: "nasbench201", Dataset: "cifar10", Layers: 5, InitChannels: 16, Epochs: 200, BatchSize: 256,
		LR: 0.1, Schedule: "cosine", Gamma: 0.97, Momentum: 0.9, Nesterov: true, WeightDecay: 5e-4}
}

// DefaultEval returns the defaults for a space and dataset: DefaultEvalNB201
// for nasbench201, DefaultEvalImageNet for darts on imagenet and
// DefaultEvalCIFAR otherwise, with Space and Dataset set.
func DefaultEval(space, dataset string) Eval {
	var e Eval
	switch {
	case space == "nasbench201":
		e = DefaultEvalNB201()
	case dataset == "imagenet":
		e = DefaultEvalImageNet()
	default:
		e = DefaultEvalCIFAR()
	}
	e.Space, e.Dataset = space, dataset
	return e
}

// LoadEval reads the JSON file at path over base: fields present in the file
// replace base's. Unknown fields and trailing data are errors naming the file.
func LoadEval(path string, base Eval) (Eval, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return base, fmt.Errorf("config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	out := base
	if err := dec.Decode(&out); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return base, fmt.Errorf("config %s: offset %d: %w", path, se.Offset, err)
		}
		return base, fmt.Errorf("config %s: %w (keys are the flag names with _ for -, e.g. \"batch_size\")", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return base, fmt.Errorf("config %s: data after the JSON object", path)
	}
	return out, nil
}

// Validate returns every invalid field, joined, each naming the field, the
// value and the rule.
func (c Eval) Validate() error {
	var errs []error
	bad := func(field string, v any, want string) {
		errs = append(errs, fmt.Errorf("%s: got %v, want %s", field, v, want))
	}
	if !slices.Contains(EvalSpaces, c.Space) {
		bad("space", fmt.Sprintf("%q", c.Space), fmt.Sprintf("one of %q", EvalSpaces))
	}
	if !slices.Contains(EvalDatasets, c.Dataset) {
		bad("dataset", fmt.Sprintf("%q", c.Dataset), fmt.Sprintf("one of %q", EvalDatasets))
	}
	if !slices.Contains(EvalSchedules, c.Schedule) {
		bad("schedule", fmt.Sprintf("%q", c.Schedule), fmt.Sprintf("one of %q", EvalSchedules))
	}
	minLayers := 3
	if c.Space == "nasbench201" {
		minLayers = 1
	}
	if c.Layers < minLayers {
		bad("layers", c.Layers, fmt.Sprintf(">= %d", minLayers))
	}
	if c.InitChannels <= 0 {
		bad("init_channels", c.InitChannels, "> 0")
	}
	if c.Space == "darts" && c.Dataset == "imagenet" && c.InitChannels%2 != 0 {
		bad("init_channels", c.InitChannels, "an even number on imagenet")
	}
	if c.Epochs <= 0 {
		bad("epochs", c.Epochs, "> 0")
	}
	if c.Schedule == "linear" && c.Epochs <= 5 {
		bad("epochs", c.Epochs, "> 5 with the linear schedule")
	}
	if c.BatchSize <= 0 {
		bad("batch_size", c.BatchSize, "> 0")
	}
	if !(c.LR > 0) {
		bad("lr", c.LR, "> 0")
	}
	if c.LRMin < 0 || c.LRMin > c.LR {
		bad("lr_min", c.LRMin, "in [0, lr]")
	}
	if !(c.Gamma > 0 && c.Gamma <= 1) {
		bad("gamma", c.Gamma, "in (0, 1]")
	}
	if c.Momentum < 0 || c.Momentum >= 1 {
		bad("momentum", c.Momentum, "in [0, 1)")
	}
	if c.Nesterov && c.Momentum == 0 {
		bad("nesterov", c.Nesterov, "false when momentum is 0")
	}
	if c.WeightDecay < 0 {
		bad("weight_decay", c.WeightDecay, ">= 0")
	}
	if c.GradClip < 0 {
		bad("grad_clip", c.GradClip, ">= 0 (0 disables clipping)")
	}
	if c.AuxWeight < 0 {
		bad("aux_weight", c.AuxWeight, ">= 0")
	}
	if c.Auxiliary && c.Space == "nasbench201" {
		bad("auxiliary", c.Auxiliary, "false for nasbench201 (its network has no auxiliary head)")
	}
	if c.Cutout < 0 {
		bad("cutout", c.Cutout, ">= 0")
	}
	if c.DropPath < 0 || c.DropPath >= 1 {
		bad("drop_path", c.DropPath, "in [0, 1)")
	}
	if c.DropPath > 0 && c.Space == "nasbench201" {
		bad("drop_path", c.DropPath, "0 for nasbench201")
	}
	if c.LabelSmoothing < 0 || c.LabelSmoothing >= 1 {
		bad("label_smoothing", c.LabelSmoothing, "in [0, 1)")
	}
	if c.Subset < 0 {
		bad("subset", c.Subset, ">= 0 (0 uses the whole training set)")
	}
	if c.TestSubset < 0 {
		bad("test_subset", c.TestSubset, ">= 0 (0 uses the whole test set)")
	}
	if c.Workers < 0 {
		bad("workers", c.Workers, ">= 0")
	}
	return errors.Join(errs...)
}
