package rank

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/nasx/nasx/configs"
	databench "github.com/nasx/nasx/data/bench"
	"github.com/nasx/nasx/internal/atomicio"
	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
	"github.com/nasx/nasx/ranker"
)

// Options are the options of `nasx rank <benchmark>`.
type Options struct {
	IO        *iostreams.IOStreams
	Getenv    func(string) string
	Benchmark string
	// Config is resolved in RunE: preset → --config file → changed flags.
	Config   configs.Rank
	CfgPath  string
	Bench    string
	OutDir   string
	JSON     bool
	ModelDir string
	Predict  bool
	// Search runs only the tier-guided search with the model in ModelDir.
	Search  bool
	NoCache bool
	// Resume continues the run in OutDir from its training checkpoint.
	Resume bool
	// Now is the clock of the reported seconds (time.Now when nil).
	Now func() time.Time
	// Mode is "faithful" (NAR's preset), "plus" (NB201 only: the improved
	// mode, configs/nar_nb201_plus.json) or "fast" (plus with one model,
	// configs.RankNB201Fast), the base the config file and flags apply to.
	Mode string
	// Archs are the architectures to score with --predict (indices, NB201
	// arch strings or NB101 hashes); empty means the whole benchmark.
	Archs []string

	flags configs.Rank
}

// NewCmdRank returns `nasx rank` with its two benchmark subcommands.
func NewCmdRank(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rank <benchmark>",
		Short: "Train and search with NAR, the Neural Architecture Ranker",
		Long: `Train NAR (Guo et al., arXiv:2201.12725) on a benchmark file, report its
ranking quality (Kendall τ-b, the reference's τ, Spearman ρ, precision@1%,
tier accuracy) on every architecture not used for training, and run its
50-iteration tier-guided search. The defaults are NAR's committed configs
(configs/nar_nb201.json, configs/nar_nb101.json). On NAS-Bench-201,
--mode plus is the improved mode (configs/nar_nb201_plus.json): checkpoints
by validation Kendall τ, an ensemble of three, and a verified pick among the
200 best-scored architectures by their validation accuracy; --mode fast is the
same with one model (about 6 minutes on 2 cores).`,
	}
	cmd.AddCommand(NewCmdBenchmark(f, "nasbench201", nil), NewCmdBenchmark(f, "nasbench101", nil))
	return cmd
}

// plusSummary describes the improved mode in the --mode help text.
const plusSummary = "one-hot op tokens beside NAR's scaled features, an ensemble of 3 small NAR models without dropout ranked by their mean standardised score, checkpoints chosen by validation Kendall τ, and a verified pick among the 200 best-scored architectures; see configs/nar_nb201_plus.json"

// NewCmdBenchmark returns `nasx rank <benchmark>`. If runF is nil, rankRun
// runs.
func NewCmdBenchmark(f *cli.Factory, benchmark string, runF func(*Options) error) *cobra.Command {
	def, err := configs.DefaultRank(benchmark)
	if err != nil {
		panic(err) // programmer error: only the two names above
	}
	opts := &Options{IO: f.IOStreams, Getenv: f.Getenv, Now: f.Now, Benchmark: benchmark, flags: def}
	example := "  nasx rank nasbench201 --bench nb201.json.gz --dataset cifar10 --out run1\n" +
		"  nasx rank nasbench201 --bench nb201.json.gz --epochs 5 --train-size 256 --val-size 128 --json\n" +
		"  nasx rank nasbench201 --bench nb201.json.gz --dataset cifar10 --out run1 --resume\n" +
		"  nasx rank nasbench201 --bench nb201.json.gz --model run1/model --predict 1462 6111\n" +
		"  nasx rank nasbench201 --bench nb201.json.gz --model run1/model --search --seed 2 --json"
	if benchmark == "nasbench101" {
		example = "  nasx rank nasbench101 --bench nasbench_only108_with_vertex_flops_and_params.json --out run101"
	}
	cmd := &cobra.Command{
		Use:   benchmark + " [--bench <file>] [--config <file>] [--out <dir> [--resume]] [--model <dir> (--predict [<arch>...] | --search)]",
		Short: "Train NAR on " + benchmark + ", evaluate it and search",
		Long: `Train NAR on ` + benchmark + `, report its ranking quality on every architecture not
used for training, and run its tier-guided search.

With --out DIR the run writes DIR/config.json, DIR/metrics.jsonl (one line per
epoch), DIR/report.json and DIR/model/ (the best checkpoint and its tier
statistics, for --predict and --search). After every training epoch it also writes
DIR/checkpoint/train.safetensors (ensemble member k > 0 of --mode plus:
train_member<k>.safetensors) atomically: the weights, AdamW's moments and step
counts, the random streams of dropout and batch order, the batch order, the
best checkpoint so far and the per-epoch stats. The checkpoint stays after the
run (up to 4 times the model's size: 126 MB for the NB201 preset); delete
DIR/checkpoint when the space matters, --predict needs only DIR/model.

--model DIR --predict and --model DIR --search start from the trained run's
settings (DIR/config.json: its dataset, features and model size, sampler and
search), under --config and the flags; the model size and features stay the
run's. --search runs the tier-guided search alone with the trained model and
the tier statistics saved beside it. With the run's seed it repeats the run's
search exactly; other --seed values show how far the found architecture, the
top-k picks and the non-oracle pick move for one trained model (the reference
reports one search).

--resume continues a stopped run (Ctrl-C, SIGTERM, a crash or a kill) from the
last completed epoch of DIR's checkpoint, with the same benchmark, config file
and flags; only --epochs may be raised (the extra epochs continue the same
run), and train.micro_batch changed. The result is bit-identical to a run
that was never stopped (with the same train.micro_batch). A run
stopped after training (in the held-out scoring or the search) trains no more:
those phases are redone from the saved models. Without --resume, an --out DIR
that holds a checkpoint is refused.

Memory: the model runs train.micro_batch architectures at a time (presets: 16
of a batch of 128 or 256). The gradients are the whole batch's either way and
the time per step is the same; what changes is the memory (an NB201 preset
run peaks at 0.68 GB with 16, 3.3 GB with whole batches) and, with dropout,
which random numbers the decoder's masks take. "train": {"micro_batch": 0} in
a --config file runs whole batches.`,
		Example: example,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && !opts.Predict {
				return cli.FlagErrorf("architectures as arguments need --predict")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Archs = args
			if err := resolveConfig(cmd, opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return rankRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Bench, "bench", "", "Benchmark `file` (default: search $NASX_DATA, then ~/.cache/nasx)")
	fl.BoolVar(&opts.NoCache, "no-cache", false, "Neither read nor write the benchmark's binary cache")
	if benchmark == "nasbench201" {
		cli.StringEnumFlag(cmd, &opts.flags.Dataset, "dataset", "d", def.Dataset, []string{"cifar10", "cifar100", "imagenet16"}, "Dataset")
		cli.StringEnumFlag(cmd, &opts.Mode, "mode", "", "faithful", []string{"faithful", "plus", "fast"},
			"Preset: faithful (NAR's config201.yml), plus (improved mode: "+plusSummary+"), or fast (plus with one model instead of three: about 6 min and 0.5 GB on 2 cores)")
	}
	fl.IntVar(&opts.flags.TrainSize, "train-size", def.TrainSize, "Training architectures")
	fl.IntVar(&opts.flags.ValSize, "val-size", def.ValSize, "Validation architectures (best-checkpoint selection)")
	fl.IntVar(&opts.flags.EvalSize, "eval-size", def.EvalSize, "Evaluate on this many held-out architectures (0: all)")
	fl.IntVar(&opts.flags.Epochs, "epochs", def.Epochs, "Training epochs")
	fl.Uint64Var(&opts.flags.Seed, "seed", def.Seed, "Seed of the split, initialisation, dropout, batch order and search")
	fl.StringVar(&opts.CfgPath, "config", "", "JSON config `file` over the preset; explicit flags override it")
	fl.StringVar(&opts.OutDir, "out", "", "Write config.json, metrics.jsonl, report.json and model/ into `dir`")
	fl.BoolVar(&opts.JSON, "json", false, "Print the report (or predictions) as JSON")
	fl.StringVar(&opts.ModelDir, "model", "", "Trained model `dir` (the model/ folder of a run's --out)")
	fl.BoolVar(&opts.Predict, "predict", false, "Score the benchmark (or the given architectures) with --model")
	fl.BoolVar(&opts.Search, "search", false, "Run only the tier-guided search with --model (--seed: the search's seed; default the run's, which repeats its search)")
	fl.BoolVar(&opts.Resume, "resume", false, "Continue the stopped run in --out DIR from DIR/checkpoint (same flags; --epochs may grow); training finished: redo scoring and search")
	return cmd
}

// resolveConfig merges preset, file and changed flags, then validates.
func resolveConfig(cmd *cobra.Command, opts *Options) error {
	if opts.Predict && opts.ModelDir == "" {
		return cli.FlagErrorf("--predict needs --model DIR")
	}
	if opts.Search && opts.ModelDir == "" {
		return cli.FlagErrorf("--search needs --model DIR, the model/ folder of a trained run")
	}
	if opts.Predict && opts.Search {
		return cli.FlagErrorf("--predict and --search cannot be used together")
	}
	if opts.ModelDir != "" && !opts.Predict && !opts.Search {
		return cli.FlagErrorf("--model is only used with --predict or --search")
	}
	if opts.Search && (opts.OutDir != "" || opts.Resume) {
		return cli.FlagErrorf("--search writes no run folder: print its report with --json (drop --out and --resume)")
	}
	if opts.Resume && opts.OutDir == "" {
		return cli.FlagErrorf("--resume needs --out DIR, the folder of the run to continue")
	}
	if opts.Resume && opts.Predict {
		return cli.FlagErrorf("--resume and --predict cannot be used together")
	}
	c, _ := configs.DefaultRank(opts.Benchmark)
	switch opts.Mode {
	case "plus":
		c = configs.RankNB201Plus()
	case "fast":
		c = configs.RankNB201Fast()
	}
	ch := cmd.Flags().Changed
	var saved *configs.Rank
	if opts.Predict || opts.Search {
		// The trained run's settings are the base (its dataset, seed,
		// features, sampler and search), under --config and the changed
		// flags; its model and features stay, since the weights need them.
		if err := checkModelDir(opts.ModelDir); err != nil {
			return err
		}
		r, err := runModelConfig(opts.ModelDir, c)
		if err != nil {
			return err
		}
		c, saved = r, &r
	}
	if opts.CfgPath != "" {
		var err error
		if c, err = configs.LoadRank(opts.CfgPath, c); err != nil {
			return err
		}
		if c.Benchmark != opts.Benchmark {
			return fmt.Errorf("rank: %s: benchmark %q, but the command is `nasx rank %s`", opts.CfgPath, c.Benchmark, opts.Benchmark)
		}
	}
	if ch("dataset") {
		c.Dataset = opts.flags.Dataset
	}
	if ch("train-size") {
		c.TrainSize = opts.flags.TrainSize
	}
	if ch("val-size") {
		c.ValSize = opts.flags.ValSize
	}
	if ch("eval-size") {
		c.EvalSize = opts.flags.EvalSize
	}
	if ch("epochs") {
		c.Epochs = opts.flags.Epochs
	}
	if ch("seed") {
		c.Seed = opts.flags.Seed
	}
	if saved != nil {
		c.Model, c.Features = saved.Model, saved.Features
	}
	opts.Config = c
	return errors.Join(c.Validate(), runConfig(c).Validate())
}

// runConfig converts the typed command config into the library's.
func runConfig(c configs.Rank) ranker.RunConfig {
	m, t, s, q := c.Model, c.Train, c.Sampler, c.Search
	return ranker.RunConfig{
		Model: ranker.ModelConfig{NTier: m.NTier, DModel: m.DModel, DInner: m.DInner, DTierInner: m.DTierInner,
			DValInner: m.DValInner, NLayers: m.NLayers, NHead: m.NHead, DK: m.DK, DV: m.DV, Dropout: m.Dropout,
			NPosition: m.NPosition, ScalePrj: m.ScalePrj},
		Train: ranker.TrainConfig{Epochs: c.Epochs, Batch: t.Batch, MicroBatch: t.MicroBatch, LRMul: t.LRMul, Warmup: t.Warmup, Beta1: t.Beta1,
			Beta2: t.Beta2, Eps: t.Eps, WeightDecay: t.WeightDecay, LossFactor: t.LossFactor, Bins: t.Bins, Select: t.Select},
		Sampler: ranker.SamplerConfig{FlopsThr: s.FlopsThr, ParamsThr: s.ParamsThr, EdgesThr: s.EdgesThr,
			ForceUniform: s.ForceUniform, ReuseStep: s.ReuseStep, MaxTrails: s.MaxTrails},
		Search:    ranker.SearchConfig{Iterations: q.Iterations, SampleSize: q.SampleSize, NoisyFactor: q.NoisyFactor, TopK: q.TopK},
		TrainSize: c.TrainSize, ValSize: c.ValSize, EvalSize: c.EvalSize, Seed: c.Seed,
		Ensemble: c.Ensemble, Verify: c.Verify,
	}
}

func rankRun(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.Getenv("GOGC") == "" {
		// A training step allocates much of its memory afresh (at the NB201
		// preset's batch 128: 7.1 GB per step originally, 1.2 GB since the
		// machines free values after their last use into a buffer pool), and
		// the default GOGC=100 lets the heap grow to twice the live set. 25
		// cut the peak RSS of BenchmarkNB201/train (batch 32, before the
		// pool) from 3.7 to 2.4 GB for 4% more CPU. An explicit GOGC wins.
		debug.SetGCPercent(25)
	}
	if opts.OutDir != "" && !opts.Predict {
		// Before the benchmark loads: refuse a wrong --out or --resume at once,
		// then hold the folder for this run, and check again under the lock
		// (another run may have filled it meanwhile).
		if err := checkOutDir(opts); err != nil {
			return err
		}
		unlock, err := atomicio.LockDir(opts.OutDir)
		if err != nil {
			return fmt.Errorf("rank: --out: %w", err)
		}
		defer unlock()
		if err := checkOutDir(opts); err != nil {
			return err
		}
	}
	t, err := loadTable(opts)
	if err != nil {
		return err
	}
	ds, err := databench.ParseDataset(opts.Config.Dataset)
	if err != nil {
		return err
	}
	rc := runConfig(opts.Config)
	f, s, err := ranker.Load(t, ds, rc.Sampler, rc.Seed)
	if err != nil {
		return err
	}
	if err := encodeFeatures(f, opts.Config.Features); err != nil {
		return err
	}
	if opts.Predict {
		return predictRun(opts, rc, t, f)
	}
	if opts.Search {
		return searchRun(ctx, opts, rc, f, s)
	}
	h := hooks(opts)
	var cp *checkpoints
	if opts.OutDir != "" {
		if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
			return fmt.Errorf("rank: --out: %w", err)
		}
		if err := writeJSON(filepath.Join(opts.OutDir, "config.json"), opts.Config); err != nil {
			return err
		}
		cp = &checkpoints{dir: ranker.DirCheckpointer{Dir: filepath.Join(opts.OutDir, checkpointDir)}, metrics: h.metrics, errOut: opts.IO.ErrOut}
		h.Checkpoints, h.Resume = cp, opts.Resume
	}
	rep, tr, err := ranker.Run(ctx, rc, f, s, h.Hooks)
	if err != nil {
		if cp != nil {
			cp.hint(opts.IO.ErrOut, err, rc.Train.Epochs, max(rc.Ensemble, 1))
		}
		return err
	}
	defer tr.Model.Close()
	if opts.OutDir != "" {
		if err := ranker.SaveCheckpoint(filepath.Join(opts.OutDir, "model"), tr); err != nil {
			return err
		}
		if err := writeJSON(filepath.Join(opts.OutDir, "model", modelConfigFile), opts.Config); err != nil {
			return err
		}
		if err := writeJSON(filepath.Join(opts.OutDir, "report.json"), rep); err != nil {
			return err
		}
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, rep)
	}
	printReport(opts.IO.Out, rep)
	return nil
}

// runHooks are the hooks of a run and its metrics.jsonl writer.
type runHooks struct {
	ranker.Hooks
	metrics *metricsFile
}

// metricsFile is metrics.jsonl, rewritten atomically after every epoch (or
// when a resumed model brings the epochs of its checkpoint).
type metricsFile struct {
	path  string // "" without --out
	lines []byte
}

// add appends the stats and rewrites the file.
func (m *metricsFile) add(errOut io.Writer, sts ...ranker.EpochStats) {
	if m.path == "" {
		return
	}
	for _, st := range sts {
		b, err := json.Marshal(st)
		if err != nil {
			fmt.Fprintf(errOut, "warning: metrics.jsonl: epoch %d: %v\n", st.Epoch, err)
			continue
		}
		m.lines = append(append(m.lines, b...), '\n')
	}
	if err := atomicio.WriteFile(m.path, m.lines, 0o644); err != nil {
		fmt.Fprintf(errOut, "warning: %v\n", err)
	}
}

// hooks draws progress bars on stderr and keeps metrics.jsonl up to date.
func hooks(opts *Options) runHooks {
	bar := opts.IO.Progress(0, "")
	mf := &metricsFile{}
	if opts.OutDir != "" {
		mf.path = filepath.Join(opts.OutDir, "metrics.jsonl")
	}
	return runHooks{metrics: mf, Hooks: ranker.Hooks{
		Now: opts.Now,
		Phase: func(name string, steps int) {
			_ = bar.Finish()
			if steps > 0 {
				bar = opts.IO.Progress(int64(steps), name)
			} else {
				bar = opts.IO.Progress(-1, name)
			}
		},
		OnStep:   func() { _ = bar.Add(1) },
		OnSearch: func(int) { _ = bar.Add(1) },
		OnEpoch: func(st ranker.EpochStats) {
			if !opts.IO.ShowProgress() {
				fmt.Fprintf(opts.IO.ErrOut, "epoch %d: loss %.4f, train tier acc %.3f, val tier acc %.3f, %.1fs\n",
					st.Epoch, st.TrainLoss, st.TrainAcc, st.ValAcc, st.Seconds)
			}
			mf.add(opts.IO.ErrOut, st)
		},
	}}
}

func predictRun(opts *Options, rc ranker.RunConfig, t databench.Table, f *ranker.Features) error {
	tr, err := ranker.LoadCheckpoint(opts.ModelDir, rc.Model, rc.Train.Batch, rc.Train.MicroBatch, f)
	if err != nil {
		return err
	}
	defer tr.Model.Close()
	var idx []int
	for _, a := range opts.Archs {
		i, err := t.Lookup(a)
		if err != nil {
			return fmt.Errorf("rank: --predict %q: %w", a, err)
		}
		idx = append(idx, i)
	}
	if len(opts.Archs) == 0 {
		idx = make([]int, f.Len())
		for i := range idx {
			idx[i] = i
		}
	}
	preds, err := ranker.Predict(tr.Model, f, idx)
	if err != nil {
		return err
	}
	sort.SliceStable(preds, func(a, b int) bool { return preds[a].Score > preds[b].Score })
	if opts.JSON {
		return printJSON(opts.IO.Out, preds)
	}
	fmt.Fprintf(opts.IO.Out, "%-6s %-7s %10s %4s %8s %6s  %s\n", "#", "index", "score", "tier", "test_acc", "rank", "arch")
	for k, p := range preds {
		fmt.Fprintf(opts.IO.Out, "%-6d %-7d %10.4f %4d %8.2f %6d  %s\n", k+1, p.Index, p.Score, p.Tier+1, p.TestAcc, p.Rank, p.Arch)
	}
	return nil
}

// SearchReport is what `--model DIR --search` prints: the search figures of
// a run's report (the same keys as report.json), for the model in Model.
type SearchReport struct {
	Benchmark        string              `json:"benchmark"`
	Dataset          string              `json:"dataset"`
	Seed             uint64              `json:"seed"`
	Model            string              `json:"model"`
	Found            *ranker.Pick        `json:"found"`
	TopK             []ranker.TopKResult `json:"top_k"`
	Queries          int                 `json:"queries"`
	Pick             ranker.Pick         `json:"pick"`
	Distinct         int                 `json:"distinct_scored"`
	SearchIterations []ranker.IterResult `json:"search_iterations"`
	Seconds          float64             `json:"seconds"`
}

func searchRun(ctx context.Context, opts *Options, rc ranker.RunConfig, f *ranker.Features, s ranker.Sampler) error {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	tr, err := ranker.LoadCheckpoint(opts.ModelDir, rc.Model, rc.Train.Batch, rc.Train.MicroBatch, f)
	if err != nil {
		return err
	}
	defer tr.Model.Close()
	bar := opts.IO.Progress(int64(rc.Search.Iterations), "search")
	sr, err := ranker.SearchModel(ctx, rc, f, s, tr, func(int) { _ = bar.Add(1) })
	_ = bar.Finish()
	if err != nil {
		return err
	}
	r := &SearchReport{Benchmark: string(f.Kind), Dataset: f.Dataset.String(), Seed: rc.Seed, Model: opts.ModelDir,
		Found: sr.Found, TopK: sr.TopK, Queries: sr.Queries, Pick: sr.Pick, Distinct: sr.Distinct,
		SearchIterations: sr.Iterations, Seconds: now().Sub(start).Seconds()}
	if opts.JSON {
		return printJSON(opts.IO.Out, r)
	}
	fmt.Fprintf(opts.IO.Out, "NAR search on %s/%s with %s, seed %d\n", r.Benchmark, r.Dataset, r.Model, r.Seed)
	printSearch(opts.IO.Out, r.TopK, r.Queries, r.Distinct, r.Pick)
	fmt.Fprintf(opts.IO.Out, "time %.1fs\n", r.Seconds)
	return nil
}

func printReport(w io.Writer, r *ranker.Report) {
	fmt.Fprintf(w, "NAR on %s/%s, seed %d: %d training archs, %d epochs (best epoch %d, val tier acc %.3f)\n",
		r.Benchmark, r.Dataset, r.Seed, r.TrainSize, r.Epochs, r.BestEpoch, r.BestValAcc)
	fmt.Fprintf(w, "held-out (%d archs): Kendall τ-b %.4f (NAR variant %.4f), Spearman ρ %.4f, precision@1%% %.3f, tier acc %.3f\n",
		r.HeldOut, r.KendallTau, r.KendallTauNAR, r.SpearmanRho, r.PrecisionTop1, r.TierAcc)
	fmt.Fprintf(w, "best predicted (held-out): %s test %.2f, rank %d\n", r.BestPredicted.Arch, r.BestPredicted.TestAcc, r.BestPredicted.Rank)
	printSearch(w, r.TopK, r.Queries, r.Distinct, r.Pick)
	if r.Ensemble > 1 {
		fmt.Fprintf(w, "ensemble of %d models: the held-out metrics above rank by their mean standardised score (tier acc: first model; its τ-b alone %.4f)\n",
			r.Ensemble, r.FirstKendallTau)
	}
	if v := r.Verified; v != nil {
		fmt.Fprintf(w, "verified pick (best val acc among %d looked-up best-scored + the training/validation archs): %s test %.2f, rank %d (%.3f%%)\n",
			r.VerifiedQueries, v.Arch, v.TestAcc, v.Rank, v.Percentile)
	}
	fmt.Fprintf(w, "time %.1fs\n", r.Seconds)
}

// printSearch prints the search lines of a report.
func printSearch(w io.Writer, topK []ranker.TopKResult, queries, distinct int, pick ranker.Pick) {
	for _, k := range topK {
		if k.Best == nil {
			fmt.Fprintf(w, "search top-%d: no iteration had %d tier-1 predictions\n", k.K, k.K)
			continue
		}
		fmt.Fprintf(w, "search top-%d (oracle best of %d iterations): %s test %.2f, rank %d (%.3f%%), mean %.2f\n",
			k.K, k.Iterations, k.Best.Arch, k.Best.TestAcc, k.Best.Rank, k.Best.Percentile, k.MeanTestAcc)
	}
	fmt.Fprintf(w, "queries %d; non-oracle pick (best score among %d sampled): %s test %.2f, rank %d\n",
		queries, distinct, pick.Arch, pick.TestAcc, pick.Rank)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicio.WriteFile(path, append(b, '\n'), 0o644)
}

// loadTable finds and opens the benchmark, as `nasx bench` does.
func loadTable(opts *Options) (databench.Table, error) {
	var dirs []string
	if d := opts.Getenv("NASX_DATA"); d != "" {
		dirs = append(dirs, d)
	}
	userCache := ""
	if d, err := os.UserCacheDir(); err == nil {
		userCache = filepath.Join(d, "nasx")
		dirs = append(dirs, userCache)
	}
	path, err := databench.Locate(databench.Kind(opts.Benchmark), opts.Bench, dirs...)
	if err != nil {
		return nil, err
	}
	bar := opts.IO.Progress(-1, "loading "+filepath.Base(path))
	defer bar.Finish()
	t, err := databench.Open(path, databench.Options{
		CacheDir: opts.Getenv("NASX_CACHE"), UserCacheDir: userCache, NoCache: opts.NoCache,
		Logf: func(format string, args ...any) { fmt.Fprintf(opts.IO.ErrOut, format+"\n", args...) },
	})
	if err != nil {
		return nil, err
	}
	if string(t.Kind()) != opts.Benchmark {
		return nil, fmt.Errorf("rank: %s holds %s, not %s", path, t.Kind(), opts.Benchmark)
	}
	return t, nil
}

// encodeFeatures applies the config's feature encoding (configs.Rank.Features)
// to NAR's tensors.
func encodeFeatures(f *ranker.Features, enc string) error {
	switch enc {
	case "scaled":
		return f.ScaleTokens()
	case "onehot":
		if err := f.ScaleTokens(); err != nil {
			return err
		}
		return f.AddOpTokens()
	}
	return nil
}

// checkModelDir refuses a --model folder without the weights before the
// benchmark loads, and points at DIR/model when DIR is the run's --out folder.
func checkModelDir(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, ranker.ModelFile)); err == nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "model", ranker.ModelFile)); err == nil {
		return fmt.Errorf("rank: --model %s: that is a run's folder; its model is %s", dir, filepath.Join(dir, "model"))
	}
	return fmt.Errorf("rank: --model %s: no %s there (want the model/ folder of a run's --out)", dir, ranker.ModelFile)
}

// runModelConfig returns the whole configuration of the run whose model/
// folder is dir (dir/config.json) over c, or c when the folder has no
// config.json (models saved before it existed).
func runModelConfig(dir string, c configs.Rank) (configs.Rank, error) {
	saved, err := configs.LoadRank(filepath.Join(dir, modelConfigFile), c)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("rank: --model: %w", err)
	}
	if saved.Benchmark != c.Benchmark {
		return c, fmt.Errorf("rank: --model %s: trained on %s, but the command is `nasx rank %s`", dir, saved.Benchmark, c.Benchmark)
	}
	return saved, nil
}

// modelConfigFile is the run's configuration saved beside the weights, so
// that --predict and --search rebuild the trained model (its size and
// feature encoding) and take the run's settings without the training flags.
const modelConfigFile = "config.json"
