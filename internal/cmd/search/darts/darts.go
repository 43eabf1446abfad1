// Package darts implements `nasx search darts`: a DARTS or α-DARTS supernet
// search with per-epoch metrics, genotypes and checkpoints.
package darts

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/nasx/nasx/configs"
	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
)

// Options are the options of `nasx search darts`.
type Options struct {
	IO      *iostreams.IOStreams
	Getenv  func(string) string
	Config  configs.Search // resolved: defaults → file → changed flags
	CfgPath string
	OutDir  string
	Resume  bool
	JSON    bool

	flags configs.Search
	mim   bool
}

// NewCmdDarts returns `nasx search darts`. If runF is nil, dartsRun runs.
func NewCmdDarts(f *cli.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Getenv: f.Getenv, flags: configs.DefaultSearch()}
	cmd := &cobra.Command{
		Use:   "darts [--config <file>] [--dataset <name>] [--space {darts | nasbench201}] --out <dir>",
		Short: "Run a DARTS or α-DARTS supernet search",
		Long: `Search a cell architecture with DARTS (Liu et al. 2019) or α-DARTS, which adds a
masked-image-modeling branch (Guo et al., arXiv:2211.10105): the network sees
masked images, a decoder reconstructs the removed patches, and both the weight
and the architecture steps minimise L_cls + L_rec / stopgrad(L_rec / L_cls).

Settings come from the DARTS defaults, then --config (a JSON file or a preset
name: ` + fmt.Sprint(configs.SearchPresets()) + `), then the flags given.
Each epoch appends to <out>/metrics.jsonl and rewrites alphas.json,
genotype.json, curves.svg and checkpoint.safetensors (atomically);
--resume continues from the last completed epoch, bit for bit.`,
		Example: `  nasx search darts --config search_smoke --out runs/smoke
  nasx search darts --config search_smoke --mim --out runs/smoke-mim
  nasx search darts --dataset cifar10 --data-dir ~/data/cifar-10-binary.tar.gz --layers 5 --init-channels 8 --subset 5000 --epochs 3 --out runs/c10
  nasx search darts --config search_alpha_darts_c10 --data-dir ~/data/cifar10 --out runs/alpha
  nasx search darts --out runs/c10 --resume`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := resolveConfig(cmd, opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return dartsRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	d := &opts.flags
	AddSupernetFlags(cmd, d, &opts.mim)
	fl.IntVar(&d.Epochs, "epochs", d.Epochs, "Search epochs")
	fl.Float64Var(&d.LRMin, "lr-min", d.LRMin, "End of the weight learning-rate schedule")
	fl.StringVar(&d.DataDir, "data-dir", "", "Dataset `folder` or archive (default $NASX_DATA/<dataset>)")
	fl.IntVar(&d.Workers, "workers", d.Workers, "Data-loading goroutines (0: GOMAXPROCS)")
	fl.StringVar(&d.Bench, "bench", "", "NAS-Bench-201 `file`: log the derived cell's true accuracy each epoch (nasbench201 space)")
	fl.StringVar(&opts.CfgPath, "config", "", "JSON config `file` or preset name; explicit flags override it")
	fl.StringVar(&opts.OutDir, "out", "", "Output `dir` (required)")
	fl.BoolVar(&opts.Resume, "resume", false, "Continue the search in --out from its last checkpoint")
	fl.BoolVar(&opts.JSON, "json", false, "Print the final result as JSON")
	return cmd
}

// AddSupernetFlags registers the flags that shape the supernet and its
// step, shared by `nasx search darts` and `nasx perf step`: --dataset,
// --space, --task, --mim, --layers, --init-channels, --batch-size, --lr,
// --arch-lr, --train-portion, --unrolled, --seed, --subset and the masking
// flags. They default to d's values and write into d; ApplyFlags copies
// the given ones into a configuration.
func AddSupernetFlags(cmd *cobra.Command, d *configs.Search, mim *bool) {
	fl := cmd.Flags()
	cli.StringEnumFlag(cmd, &d.Dataset, "dataset", "", d.Dataset, configs.SearchDatasets, "Dataset")
	cli.StringEnumFlag(cmd, &d.Space, "space", "", d.Space, configs.SearchSpaces, "Search space")
	cli.StringEnumFlag(cmd, &d.Task, "task", "", d.Task, configs.SearchTasks, "Search task (α-DARTS --task)")
	fl.BoolVar(mim, "mim", false, "Shorthand for --task cls_mask (α-DARTS)")
	fl.IntVar(&d.Layers, "layers", d.Layers, "Cells (darts) or cells per stage (nasbench201)")
	fl.IntVar(&d.InitChannels, "init-channels", d.InitChannels, "Initial channels C")
	fl.IntVar(&d.BatchSize, "batch-size", d.BatchSize, "Batch size of each split")
	fl.Float64Var(&d.LR, "lr", d.LR, "Weight learning rate (cosine to --lr-min)")
	fl.Float64Var(&d.ArchLR, "arch-lr", d.ArchLR, "Architecture (α) learning rate")
	fl.Float64Var(&d.TrainPortion, "train-portion", d.TrainPortion, "Fraction of the training images that train the weights")
	fl.BoolVar(&d.Unrolled, "unrolled", d.Unrolled, "Second-order DARTS")
	fl.Uint64Var(&d.Seed, "seed", d.Seed, "Random seed")
	fl.IntVar(&d.Subset, "subset", d.Subset, "Use only the first `N` training images (0: all)")
	fl.Float64Var(&d.MaskRatio, "mask-ratio", d.MaskRatio, "Fraction of patches masked per image")
	fl.IntVar(&d.PatchSize, "patch-size", d.PatchSize, "Mask patch size in pixels")
	fl.Float64Var(&d.MaskFill, "mask-fill", d.MaskFill, "Value of masked pixels (normalised space)")
	fl.BoolVar(&d.NormPixLoss, "norm-pix-loss", d.NormPixLoss, "Normalise each target patch (MAE)")
}

// ApplyFlags copies into dst the fields of src whose flags were given on
// cmd, and applies --mim (mim), which must not contradict --task.
func ApplyFlags(cmd *cobra.Command, dst, src *configs.Search, mim bool) error {
	if mim && cmd.Flags().Changed("task") && src.Task != "cls_mask" {
		return cli.FlagErrorf("--mim means --task cls_mask; it conflicts with --task %s", src.Task)
	}
	for name, set := range flagFields(dst, src) {
		if cmd.Flags().Lookup(name) != nil && cmd.Flags().Changed(name) {
			set()
		}
	}
	if mim {
		dst.Task = "cls_mask"
	}
	return nil
}

// flagFields maps each config flag to the field it sets (JSON key = flag
// name with _ for -).
func flagFields(dst, src *configs.Search) map[string]func() {
	return map[string]func(){
		"dataset":       func() { dst.Dataset = src.Dataset },
		"space":         func() { dst.Space = src.Space },
		"task":          func() { dst.Task = src.Task },
		"epochs":        func() { dst.Epochs = src.Epochs },
		"layers":        func() { dst.Layers = src.Layers },
		"init-channels": func() { dst.InitChannels = src.InitChannels },
		"batch-size":    func() { dst.BatchSize = src.BatchSize },
		"lr":            func() { dst.LR = src.LR },
		"lr-min":        func() { dst.LRMin = src.LRMin },
		"arch-lr":       func() { dst.ArchLR = src.ArchLR },
		"train-portion": func() { dst.TrainPortion = src.TrainPortion },
		"unrolled":      func() { dst.Unrolled = src.Unrolled },
		"seed":          func() { dst.Seed = src.Seed },
		"data-dir":      func() { dst.DataDir = src.DataDir },
		"subset":        func() { dst.Subset = src.Subset },
		"mask-ratio":    func() { dst.MaskRatio = src.MaskRatio },
		"patch-size":    func() { dst.PatchSize = src.PatchSize },
		"mask-fill":     func() { dst.MaskFill = src.MaskFill },
		"norm-pix-loss": func() { dst.NormPixLoss = src.NormPixLoss },
		"workers":       func() { dst.Workers = src.Workers },
		"bench":         func() { dst.Bench = src.Bench },
	}
}

// resolveConfig applies defaults → file (or, with --resume, the run's
// config.json) → changed flags, then validates.
func resolveConfig(cmd *cobra.Command, opts *Options) error {
	if opts.OutDir == "" {
		return cli.FlagErrorf("--out is required")
	}
	if opts.mim && cmd.Flags().Changed("task") && opts.flags.Task != "cls_mask" {
		return cli.FlagErrorf("--mim means --task cls_mask; it conflicts with --task %s", opts.flags.Task)
	}
	cfg := configs.DefaultSearch()
	var err error
	switch {
	case opts.Resume:
		if opts.CfgPath != "" {
			return cli.FlagErrorf("--resume reads %s; do not pass --config", filepath.Join(opts.OutDir, "config.json"))
		}
		if cfg, err = loadRunConfig(opts.OutDir); err != nil {
			return err
		}
	case opts.CfgPath != "":
		if cfg, err = configs.LoadSearch(opts.CfgPath, cfg); err != nil {
			return err
		}
	}
	for name, set := range flagFields(&cfg, &opts.flags) {
		if cmd.Flags().Changed(name) {
			if opts.Resume && name != "data-dir" && name != "workers" && name != "bench" {
				return cli.FlagErrorf("--%s cannot change a resumed run (only --data-dir, --workers and --bench may)", name)
			}
			set()
		}
	}
	if opts.mim {
		cfg.Task = "cls_mask"
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid search configuration:\n%w", err)
	}
	opts.Config = cfg
	return nil
}

// loadRunConfig reads <dir>/config.json written by an earlier run.
func loadRunConfig(dir string) (configs.Search, error) {
	p := filepath.Join(dir, "config.json")
	b, err := os.ReadFile(p)
	if err != nil {
		return configs.Search{}, fmt.Errorf("resume: %w (is %s the --out of a search?)", err, dir)
	}
	var rc runConfig
	if err := decodeStrict(b, &rc); err != nil {
		return configs.Search{}, fmt.Errorf("resume: %s: %w", p, err)
	}
	return rc.Search, nil
}

var _ = context.Background
