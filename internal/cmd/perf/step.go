package perf

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/nasx/nasx/configs"
	"github.com/nasx/nasx/darts"
	"github.com/nasx/nasx/data"
	"github.com/nasx/nasx/internal/cli"
	dartscmd "github.com/nasx/nasx/internal/cmd/search/darts"
	"github.com/nasx/nasx/internal/iostreams"
)

// StepOptions are the options of `nasx perf step`.
type StepOptions struct {
	IO *iostreams.IOStreams
	// Config is the search configuration: the DARTS defaults, then the
	// supernet flags given (the same flags as `nasx search darts`).
	Config configs.Search
	// ImageSize is the side of the synthetic images; 0 means the
	// dataset's (16 for imagenet16, else 32).
	ImageSize int
	// Steps are the timed steps, after Warmup untimed ones.
	Steps, Warmup int
	JSON          bool

	flags configs.Search
	mim   bool
}

// NewCmdStep returns `nasx perf step`. If runF is nil, stepRun runs.
func NewCmdStep(f *cli.Factory, runF func(*StepOptions) error) *cobra.Command {
	opts := &StepOptions{IO: f.IOStreams, flags: configs.DefaultSearch(), Steps: 5, Warmup: 1}
	cmd := &cobra.Command{
		Use:   "step [--space {darts | nasbench201}] [--layers <n>] [--init-channels <c>] [--batch-size <n>] [--image-size <px>] [--mim] [--unrolled] [--steps <n>]",
		Short: "Time one search step of the supernet and project a search epoch",
		Long: `Build the supernet that ` + "`nasx search darts`" + ` would build with the same flags, feed it
synthetic images of the given size (no dataset files are read), and run
--warmup untimed and then --steps timed search iterations (the α step on a
validation batch, then the weight step on a training batch), exactly as a
search does.

It prints the milliseconds per step spent in the forward passes, the
backward passes and the updates (optimiser steps, gradient clipping and, with
--unrolled, the virtual-step arithmetic), the peak resident memory, and the
projected time of one search epoch: step time × steps per epoch of the
dataset's split (CIFAR: 50,000 training images × train_portion / batch). The
forward time is measured by re-running the forward pass alone after the
timed steps; the backward time is the rest of the forward+backward passes.

Defaults are the DARTS reference search: 8 cells, C=16, batch 64, 32×32.`,
		Example: `  nasx perf step --steps 2
  nasx perf step --space nasbench201 --layers 5 --json
  nasx perf step --mim --unrolled --batch-size 32`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := configs.DefaultSearch()
			if err := dartscmd.ApplyFlags(cmd, &cfg, &opts.flags, opts.mim); err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return fmt.Errorf("invalid search configuration:\n%w", err)
			}
			if opts.Steps < 1 {
				return cli.FlagErrorf("--steps: got %d, want >= 1", opts.Steps)
			}
			if opts.Warmup < 0 {
				return cli.FlagErrorf("--warmup: got %d, want >= 0", opts.Warmup)
			}
			if opts.ImageSize != 0 && opts.ImageSize < 4 {
				return cli.FlagErrorf("--image-size: got %d, want >= 4 (or 0 for the dataset's size)", opts.ImageSize)
			}
			opts.Config = cfg
			if runF != nil {
				return runF(opts)
			}
			return stepRun(cmd.Context(), opts)
		},
	}
	dartscmd.AddSupernetFlags(cmd, &opts.flags, &opts.mim)
	fl := cmd.Flags()
	fl.IntVar(&opts.ImageSize, "image-size", 0, "Side of the synthetic images in `px` (0: the dataset's, 32 or 16)")
	fl.IntVar(&opts.Steps, "steps", opts.Steps, "Timed steps")
	fl.IntVar(&opts.Warmup, "warmup", opts.Warmup, "Untimed steps before the timed ones")
	fl.BoolVar(&opts.JSON, "json", false, "Print the measurement as JSON")
	return cmd
}

// StepMS is the mean time of one search step by phase, in milliseconds.
type StepMS struct {
	Forward  float64 `json:"forward"`
	Backward float64 `json:"backward"`
	Update   float64 `json:"update"`
	Total    float64 `json:"total"`
}

// StepReport is the result of `nasx perf step` (its --json output).
type StepReport struct {
	Config    configs.Search `json:"config"`
	ImageSize int            `json:"image_size"`
	Warmup    int            `json:"warmup"`
	Steps     int            `json:"steps"`
	// PassesPerStep is the number of forward+backward passes in a step (2
	// first order, 5 unrolled).
	PassesPerStep int    `json:"passes_per_step"`
	StepMS        StepMS `json:"step_ms"`
	// PeakRSSMB is the peak resident set (VmHWM) in MiB during the steps;
	// null where /proc/self/status is unavailable.
	PeakRSSMB *float64 `json:"peak_rss_mb"`
	// TrainImages is the dataset's training set size (or --subset), the
	// base of StepsPerEpoch.
	TrainImages   int     `json:"train_images"`
	StepsPerEpoch int     `json:"steps_per_epoch"`
	EpochS        float64 `json:"epoch_s"`
	// SearchH is EpochS × Config.Epochs in hours.
	SearchH    float64 `json:"search_h"`
	GOMAXPROCS int     `json:"gomaxprocs"`
}

// trainImages is the training set size of each dataset: CIFAR-10/100
// 50,000 (Krizhevsky 2009), ImageNet16-120 151,700 (Dong & Yang 2020,
// NAS-Bench-201 §2.2), the synthetic set 5,000 (data.DefaultSynthetic).
var trainImages = map[string]int{"cifar10": 50000, "cifar100": 50000, "imagenet16": 151700, "synthetic": 5000}

// classes is the class count of each dataset.
var classes = map[string]int{"cifar10": 10, "cifar100": 100, "imagenet16": data.ImageNet16Classes, "synthetic": 10}

// stepsPerEpoch is what darts.Searcher.StepsPerEpoch gives for the split:
// both halves drop their last incomplete batch.
func stepsPerEpoch(c configs.Search) (images, steps int, err error) {
	n := trainImages[c.Dataset]
	if c.Subset > 0 {
		n = min(n, c.Subset)
	}
	first, second, err := data.SplitIndices(n, c.TrainPortion)
	if err != nil {
		return n, 0, err
	}
	return n, min(len(first), len(second)) / c.BatchSize, nil
}

// stepRecorder counts steps for the progress bar, starts the timing after
// the warm-up and stops the search after the timed steps.
type stepRecorder struct {
	arch   *darts.Architect[float32]
	timing *darts.StepTiming
	warmup int
	total  int
	done   int
	stop   context.CancelFunc
	tick   func()
}

func (r *stepRecorder) Step(epoch, step, steps int, loss float64) {
	r.done++
	r.tick()
	if r.done == r.warmup {
		r.arch.SetTiming(r.timing)
	}
	if r.done == r.total {
		r.arch.SetTiming(nil)
		r.stop()
	}
}

func (r *stepRecorder) Epoch(darts.EpochRecord, *darts.State) error { return nil }

func stepRun(ctx context.Context, opts *StepOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	cfg := opts.Config
	size := opts.ImageSize
	if size == 0 {
		size = 32
		if cfg.Dataset == "imagenet16" {
			size = 16
		}
	}
	images, perEpoch, err := stepsPerEpoch(cfg)
	if err != nil {
		return err
	}
	// Enough synthetic images that both halves of the split hold every
	// step's batch; the search is stopped after the timed steps.
	total := opts.Warmup + opts.Steps
	half := math.Min(cfg.TrainPortion, 1-cfg.TrainPortion)
	n := int(math.Ceil(float64(total*cfg.BatchSize)/half)) + 2
	ds, err := data.Synthetic(data.SyntheticConfig{Train: n, Test: 0, Classes: classes[cfg.Dataset], Size: size, Seed: cfg.Seed})
	if err != nil {
		return err
	}
	sc := dartscmd.SearchConfig(cfg)
	sc.Epochs, sc.Subset = 1, 0
	s, err := darts.NewSearcher(sc, ds)
	if err != nil {
		return err
	}
	defer s.Close()

	var tm darts.StepTiming
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	bar := opts.IO.Progress(int64(total), "perf step")
	rec := &stepRecorder{arch: s.Architect(), timing: &tm, warmup: opts.Warmup, total: total, stop: stop,
		tick: func() { _ = bar.Add(1) }}
	if opts.Warmup == 0 {
		s.Architect().SetTiming(&tm)
	}
	err = s.Run(runCtx, 0, rec)
	_ = bar.Finish()
	if err := ctx.Err(); err != nil {
		return err
	}
	if err != nil && !(errors.Is(err, context.Canceled) && rec.done == total) {
		return err
	}
	if tm.Steps != opts.Steps {
		return fmt.Errorf("perf step: timed %d steps, want %d", tm.Steps, opts.Steps)
	}
	rss, rssOK := peakRSSMB()

	// The forward pass alone, once untimed (it compiles the forward
	// machine), then once per timed step.
	net := s.Supernet()
	if _, err := net.Forward(); err != nil {
		return err
	}
	var fwd time.Duration
	for range opts.Steps {
		t0 := time.Now()
		if _, err := net.Forward(); err != nil {
			return err
		}
		fwd += time.Since(t0)
	}

	k := float64(opts.Steps)
	passes := tm.MachineRuns / tm.Steps
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	st := StepMS{
		Forward: ms(fwd) / k * float64(passes),
		Update:  ms(tm.Update) / k,
		Total:   ms(tm.Runs+tm.Update) / k,
	}
	// Backward is the rest of the passes; noise can make the separately
	// measured forward exceed it on tiny networks, where it is reported as 0.
	st.Backward = math.Max(0, ms(tm.Runs)/k-st.Forward)
	rep := StepReport{Config: cfg, ImageSize: size, Warmup: opts.Warmup, Steps: opts.Steps, PassesPerStep: passes,
		StepMS: st, TrainImages: images, StepsPerEpoch: perEpoch, GOMAXPROCS: runtime.GOMAXPROCS(0)}
	rep.EpochS = st.Total * float64(perEpoch) / 1000
	rep.SearchH = rep.EpochS * float64(cfg.Epochs) / 3600
	if rssOK {
		rep.PeakRSSMB = &rss
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return printReport(opts.IO, rep)
}

func printReport(io *iostreams.IOStreams, r StepReport) error {
	c := r.Config
	order := "first order"
	if c.Unrolled {
		order = "second order (unrolled)"
	}
	w := io.Out
	fmt.Fprintf(w, "supernet   %s, %d layers, C=%d, batch %d, %d×%d, task %s, %s\n",
		c.Space, c.Layers, c.InitChannels, c.BatchSize, r.ImageSize, r.ImageSize, c.Task, order)
	fmt.Fprintf(w, "step       %.1f ms = forward %.1f + backward %.1f + update %.1f (mean of %d steps after %d warm-up; %d passes per step; GOMAXPROCS %d)\n",
		r.StepMS.Total, r.StepMS.Forward, r.StepMS.Backward, r.StepMS.Update, r.Steps, r.Warmup, r.PassesPerStep, r.GOMAXPROCS)
	if r.PeakRSSMB != nil {
		fmt.Fprintf(w, "peak RSS   %.0f MiB\n", *r.PeakRSSMB)
	} else {
		fmt.Fprintf(w, "peak RSS   unavailable (no /proc/self/status)\n")
	}
	fmt.Fprintf(w, "epoch      %.1f s (%d steps: %s, %d training images, train_portion %v, batch %d)\n",
		r.EpochS, r.StepsPerEpoch, c.Dataset, r.TrainImages, c.TrainPortion, c.BatchSize)
	_, err := fmt.Fprintf(w, "search     %.2f h for %d epochs (compute only; data loading and per-epoch bookkeeping excluded)\n", r.SearchH, c.Epochs)
	return err
}

// peakRSSMB reads the peak resident set size (VmHWM) of this process from
// /proc/self/status, in MiB; ok is false where that file does not exist or
// lacks the field (non-Linux systems).
func peakRSSMB() (mb float64, ok bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	return parseVmHWM(b)
}

// parseVmHWM extracts "VmHWM:   123456 kB" from a /proc/<pid>/status text.
func parseVmHWM(status []byte) (float64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) == 3 && string(f[0]) == "VmHWM:" && string(f[2]) == "kB" {
			kb, err := strconv.ParseFloat(string(f[1]), 64)
			if err != nil {
				return 0, false
			}
			return kb / 1024, true
		}
	}
	return 0, false
}
