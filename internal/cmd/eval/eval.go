package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/spf13/cobra"

	"github.com/nasx/nasx/configs"
	"github.com/nasx/nasx/darts"
	dataset "github.com/nasx/nasx/data"
	"github.com/nasx/nasx/internal/atomicio"
	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
	"github.com/nasx/nasx/searchspace"
)

// Options are the options of `nasx eval`.
type Options struct {
	IO     *iostreams.IOStreams
	Getenv func(string) string
	Now    func() time.Time
	// Arg is the genotype (built-in name or file) or, with --space
	// nasbench201, the NB201 arch string.
	Arg string
	// Config is the resolved configuration: defaults for the space and
	// dataset → --config file → explicit flags → Validate.
	Config  configs.Eval
	CfgPath string
	OutDir  string
	Resume  bool
	DryRun  bool
	JSON    bool
	Arch    darts.EvalArch

	flags configs.Eval // flag targets; copied into Config only where changed
}

// flagNames maps each config flag to its field; the JSON key is the name with
// "-" replaced by "_" (checked by a test).
var flagNames = []string{"space", "dataset", "data-dir", "layers", "init-channels", "epochs", "batch-size", "lr",
	"lr-min", "schedule", "gamma", "warmup", "momentum", "nesterov", "weight-decay", "grad-clip", "auxiliary",
	"aux-weight", "cutout", "drop-path", "label-smoothing", "seed", "subset", "test-subset", "workers"}

// NewCmdEval returns `nasx eval`. If runF is nil, evalRun runs.
func NewCmdEval(f *cli.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Getenv: f.Getenv, Now: f.Now, flags: configs.DefaultEvalCIFAR()}
	cmd := &cobra.Command{
		Use:   "eval {<genotype> | --space nasbench201 <arch>} [flags]",
		Short: "Train an architecture from scratch and report its test accuracy",
		Long: `Train a DARTS genotype (a built-in name such as DARTS_V2, or a genotype.json /
Python-literal file) or a NAS-Bench-201 cell (--space nasbench201 and an arch
string) from scratch, with the evaluation recipe of the papers:

  darts, cifar10/cifar100: 20 cells, C=36, batch 96, 600 epochs, SGD 0.025
    cosine, momentum 0.9, wd 3e-4, clip 5, auxiliary 0.4, cutout 16,
    drop-path 0.2 (quark0/darts train.py);
  darts, imagenet: 14 cells, C=48, batch 128, 250 epochs, lr 0.1 ×0.97 per
    epoch, wd 3e-5, label smoothing 0.1, auxiliary 0.4 (train_imagenet.py);
    --schedule linear --warmup --lr 0.5 is the α-DARTS variant;
  nasbench201: C=16, N=5, batch 256, 200 epochs, Nesterov SGD 0.1 cosine,
    wd 5e-4.

Defaults follow --space and --dataset; a --config JSON file (keys are the flag
names with _ for -) overrides them, and explicit flags override the file.
Every epoch writes <out>/checkpoint.safetensors and <out>/metrics.jsonl
atomically; --resume continues from the checkpoint, bit-exact on CPU. At the
end <out>/weights.safetensors holds the model under the reference PyTorch
state_dict names and <out>/result.json the report. Parameter counts exclude
the auxiliary head (as DARTS counts); mult-adds count convolutions and linear
layers for one image, auxiliary head excluded. For DARTS_V2 on ImageNet
(224×224) that is 529.9M, where the DARTS paper reports about 574M: no
counting convention tried reproduces 574M (adding BatchNorm, ReLU, pools and
node sums: 542.3M; the auxiliary head: 531.5M; thop's rules: 546.5M to
554.3M; the DARTS_V1 genotype: 505.9M; see darts/testdata/gen_multadds.py).`,
		Example: "  nasx eval DARTS_V2 --dry-run --json\n" +
			"  nasx eval DARTS_V2 --data-dir ../shared/data/cifar10 --layers 8 --init-channels 16 --epochs 5 --out runs/v2\n" +
			"  nasx eval genotype.json --resume --out runs/v2\n" +
			"  nasx eval --space nasbench201 '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|'",
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Arg = args[0]
			if err := resolveConfig(cmd, opts); err != nil {
				return err
			}
			if opts.Resume && opts.DryRun {
				return cli.FlagErrorf("--resume and --dry-run cannot be used together")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return evalRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	d := &opts.flags
	cli.StringEnumFlag(cmd, &d.Space, "space", "", d.Space, configs.EvalSpaces, "Search space of the architecture")
	cli.StringEnumFlag(cmd, &d.Dataset, "dataset", "d", d.Dataset, configs.EvalDatasets, "Dataset")
	fl.StringVar(&d.DataDir, "data-dir", "", "Dataset `folder` (default $NASX_DATA/<dataset> or ~/.cache/nasx/data/<dataset>)")
	fl.IntVar(&d.Layers, "layers", d.Layers, "Cells (darts) or cells per stage (nasbench201 N) (default per recipe)")
	fl.IntVar(&d.InitChannels, "init-channels", d.InitChannels, "Initial channels C (default per recipe)")
	fl.IntVar(&d.Epochs, "epochs", d.Epochs, "Training epochs (default per recipe)")
	fl.IntVar(&d.BatchSize, "batch-size", d.BatchSize, "Images per step (default per recipe)")
	fl.Float64Var(&d.LR, "lr", d.LR, "Initial learning rate (default per recipe)")
	fl.Float64Var(&d.LRMin, "lr-min", d.LRMin, "Final learning rate of the cosine schedule")
	cli.StringEnumFlag(cmd, &d.Schedule, "schedule", "", d.Schedule, configs.EvalSchedules, "Learning-rate schedule (default per recipe)")
	fl.Float64Var(&d.Gamma, "gamma", d.Gamma, "Decay per epoch of the step schedule")
	fl.BoolVar(&d.Warmup, "warmup", d.Warmup, "5-epoch linear warm-up (linear schedule)")
	fl.Float64Var(&d.Momentum, "momentum", d.Momentum, "SGD momentum")
	fl.BoolVar(&d.Nesterov, "nesterov", d.Nesterov, "Nesterov momentum (default per recipe)")
	fl.Float64Var(&d.WeightDecay, "weight-decay", d.WeightDecay, "L2 weight decay (default per recipe)")
	fl.Float64Var(&d.GradClip, "grad-clip", d.GradClip, "Gradient-norm clipping; 0 disables it")
	fl.BoolVar(&d.Auxiliary, "auxiliary", d.Auxiliary, "Auxiliary head (darts; default per recipe)")
	fl.Float64Var(&d.AuxWeight, "aux-weight", d.AuxWeight, "Weight of the auxiliary loss")
	fl.IntVar(&d.Cutout, "cutout", d.Cutout, "Cutout side in pixels; 0 disables it (default per recipe)")
	fl.Float64Var(&d.DropPath, "drop-path", d.DropPath, "Final drop-path probability, ramped linearly (darts)")
	fl.Float64Var(&d.LabelSmoothing, "label-smoothing", d.LabelSmoothing, "Label smoothing (default per recipe)")
	fl.Uint64Var(&d.Seed, "seed", d.Seed, "Seed of initialisation, data order, augmentation and drop-path")
	fl.IntVar(&d.Subset, "subset", d.Subset, "Train on the first N training images only; 0: all")
	fl.IntVar(&d.TestSubset, "test-subset", d.TestSubset, "Test on the first N test images only; 0: all")
	fl.IntVar(&d.Workers, "workers", d.Workers, "Data-loading goroutines; 0: all CPUs")
	fl.StringVar(&opts.CfgPath, "config", "", "JSON config `file`; explicit flags override it")
	fl.StringVarP(&opts.OutDir, "out", "o", "eval-out", "Output `folder` for checkpoint, metrics, weights and result")
	fl.BoolVar(&opts.Resume, "resume", false, "Continue from <out>/checkpoint.safetensors")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "Build the network and print its size and the resolved config; train nothing")
	fl.BoolVar(&opts.JSON, "json", false, "Print the report as JSON")
	return cmd
}

// resolveConfig applies defaults (per space and dataset) → --config file →
// changed flags → Validate, and parses the architecture argument.
func resolveConfig(cmd *cobra.Command, opts *Options) error {
	changed := cmd.Flags().Changed
	space, ds := "darts", "cifar10"
	if opts.CfgPath != "" { // the file may choose the space and dataset, which choose the defaults
		peek, err := configs.LoadEval(opts.CfgPath, configs.DefaultEval(space, ds))
		if err != nil {
			return err
		}
		space, ds = peek.Space, peek.Dataset
	}
	if changed("space") {
		space = opts.flags.Space
	}
	if changed("dataset") {
		ds = opts.flags.Dataset
	}
	cfg := configs.DefaultEval(space, ds)
	if opts.CfgPath != "" {
		var err error
		if cfg, err = configs.LoadEval(opts.CfgPath, cfg); err != nil {
			return err
		}
		if !changed("space") {
			space = cfg.Space
		}
		cfg.Space, cfg.Dataset = space, ds
	}
	f := &opts.flags
	for _, name := range flagNames {
		if !changed(name) {
			continue
		}
		switch name {
		case "data-dir":
			cfg.DataDir = f.DataDir
		case "layers":
			cfg.Layers = f.Layers
		case "init-channels":
			cfg.InitChannels = f.InitChannels
		case "epochs":
			cfg.Epochs = f.Epochs
		case "batch-size":
			cfg.BatchSize = f.BatchSize
		case "lr":
			cfg.LR = f.LR
		case "lr-min":
			cfg.LRMin = f.LRMin
		case "schedule":
			cfg.Schedule = f.Schedule
		case "gamma":
			cfg.Gamma = f.Gamma
		case "warmup":
			cfg.Warmup = f.Warmup
		case "momentum":
			cfg.Momentum = f.Momentum
		case "nesterov":
			cfg.Nesterov = f.Nesterov
		case "weight-decay":
			cfg.WeightDecay = f.WeightDecay
		case "grad-clip":
			cfg.GradClip = f.GradClip
		case "auxiliary":
			cfg.Auxiliary = f.Auxiliary
		case "aux-weight":
			cfg.AuxWeight = f.AuxWeight
		case "cutout":
			cfg.Cutout = f.Cutout
		case "drop-path":
			cfg.DropPath = f.DropPath
		case "label-smoothing":
			cfg.LabelSmoothing = f.LabelSmoothing
		case "seed":
			cfg.Seed = f.Seed
		case "subset":
			cfg.Subset = f.Subset
		case "test-subset":
			cfg.TestSubset = f.TestSubset
		case "workers":
			cfg.Workers = f.Workers
		}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	opts.Config = cfg
	switch cfg.Space {
	case "darts":
		g, err := searchspace.LoadGenotype(opts.Arg)
		if err != nil {
			return err
		}
		if err := g.Validate(); err != nil {
			return fmt.Errorf("genotype %s: %w", opts.Arg, err)
		}
		opts.Arch.Genotype = g
	case "nasbench201":
		a, err := searchspace.ParseNB201(opts.Arg)
		if err != nil {
			return fmt.Errorf("nasbench201 arch %q: %w", opts.Arg, err)
		}
		opts.Arch.NB201 = a
	}
	return nil
}

// datasetShape gives the classes and image shape of each dataset without
// reading it (for --dry-run).
func datasetShape(name string) (classes, c, h, w int) {
	switch name {
	case "cifar100":
		return 100, 3, 32, 32
	case "imagenet":
		return 1000, 3, 224, 224
	case "imagenet16":
		return dataset.ImageNet16Classes, 3, 16, 16
	case "synthetic":
		s := dataset.DefaultSynthetic()
		return s.Classes, 3, s.Size, s.Size
	}
	return 10, 3, 32, 32
}

// DryRun is the report of --dry-run.
type DryRun struct {
	Arch   string `json:"arch"`
	Params int    `json:"params"` // without the auxiliary head
	// ParamsM is Params in millions, as DARTS reports it.
	ParamsM       float64      `json:"params_m"`
	ParamsWithAux int          `json:"params_with_aux"`
	MultAdds      int64        `json:"mult_adds"`
	MultAddsM     float64      `json:"mult_adds_m"`
	Config        configs.Eval `json:"config"`
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func evalRun(ctx context.Context, opts *Options) error {
	cfg := opts.Config
	if opts.DryRun {
		classes, c, h, w := datasetShape(cfg.Dataset)
		size, err := darts.DescribeEval(cfg, opts.Arch, classes, c, h, w)
		if err != nil {
			return err
		}
		r := DryRun{Arch: opts.Arg, Params: size.Params, ParamsM: round2(float64(size.Params) / 1e6),
			ParamsWithAux: size.ParamsWithAux, MultAdds: size.MultAdds, MultAddsM: round2(float64(size.MultAdds) / 1e6), Config: cfg}
		if opts.JSON {
			return writeJSON(opts.IO, r)
		}
		fmt.Fprintf(opts.IO.Out, "%s on %s (%s): %d cells, C=%d\n", opts.Arg, cfg.Dataset, cfg.Space, cfg.Layers, cfg.InitChannels)
		fmt.Fprintf(opts.IO.Out, "params      %.2fM (%d; %d with the auxiliary head)\n", r.ParamsM, r.Params, r.ParamsWithAux)
		fmt.Fprintf(opts.IO.Out, "mult-adds   %.1fM per %dx%d image\n", float64(r.MultAdds)/1e6, h, w)
		fmt.Fprintf(opts.IO.Out, "recipe      %d epochs, batch %d, lr %g (%s), wd %g\n", cfg.Epochs, cfg.BatchSize, cfg.LR, cfg.Schedule, cfg.WeightDecay)
		return nil
	}
	unlock, err := atomicio.LockDir(opts.OutDir) // one run per folder, before the data loads
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	defer unlock()
	dir := cfg.DataDir
	if dir == "" && cfg.Dataset != "synthetic" {
		if dir, err = dataset.DefaultDir(cfg.Dataset, opts.Getenv); err != nil {
			return err
		}
	}
	ds, err := dataset.Open(ctx, cfg.Dataset, dataset.OpenOptions{Dir: dir})
	if err != nil {
		return fmt.Errorf("%w (fetch CIFAR with `nasx data download`, or pass --data-dir)", err)
	}
	bar := opts.IO.Progress(-1, "epoch 1")
	defer bar.Close()
	spec := darts.TrainSpec{Config: cfg, Arch: opts.Arch, Data: ds, OutDir: opts.OutDir, Resume: opts.Resume, Now: opts.Now,
		OnStep: func(epoch, step, steps int) {
			if step == 1 {
				bar.ChangeMax(steps)
				bar.Reset()
				bar.Describe(fmt.Sprintf("epoch %d/%d", epoch+1, cfg.Epochs))
			}
			_ = bar.Set(step)
		},
		OnEpoch: func(m darts.EpochMetrics) {
			_ = bar.Clear()
			fmt.Fprintf(opts.IO.ErrOut, "epoch %d/%d  lr %.5f  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%  %.1fs\n",
				m.Epoch, cfg.Epochs, m.LR, m.TrainLoss, m.TrainAcc, m.TestLoss, m.TestAcc, m.Seconds)
		}}
	res, err := darts.Train(ctx, spec)
	if err != nil {
		return err
	}
	_ = bar.Finish()
	if opts.JSON {
		return writeJSON(opts.IO, res)
	}
	fmt.Fprintf(opts.IO.Out, "%s on %s: top-1 %.2f%%", opts.Arg, cfg.Dataset, res.Top1)
	if cfg.Dataset == "imagenet" {
		fmt.Fprintf(opts.IO.Out, ", top-5 %.2f%%", res.Top5)
	}
	fmt.Fprintf(opts.IO.Out, " after %d epochs\nparams %.2fM, mult-adds %.1fM, wall time %s\nresults in %s\n",
		res.Epochs, float64(res.Params)/1e6, float64(res.MultAdds)/1e6,
		time.Duration(res.WallSeconds*float64(time.Second)).Round(time.Second), opts.OutDir)
	return nil
}

func writeJSON(io *iostreams.IOStreams, v any) error {
	enc := json.NewEncoder(io.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
