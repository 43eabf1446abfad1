package darts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/schollz/progressbar/v3"

	"github.com/nasx/nasx/configs"
	"github.com/nasx/nasx/darts"
	"github.com/nasx/nasx/data"
	databench "github.com/nasx/nasx/data/bench"
	"github.com/nasx/nasx/internal/atomicio"
	"github.com/nasx/nasx/internal/build"
	"github.com/nasx/nasx/mim"
)

// runConfig is <out>/config.json: the resolved configuration, the nasx
// version and the seed.
type runConfig struct {
	configs.Search
	Version string `json:"nasx_version"`
}

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// SearchConfig translates the command configuration into darts' (the
// supernet, optimisers, split and masking of a search).
func SearchConfig(c configs.Search) darts.SearchConfig {
	return darts.SearchConfig{
		Net: darts.NetConfig{Space: darts.Space(c.Space), C: c.InitChannels, Layers: c.Layers, Batch: c.BatchSize,
			Task: mim.Task(c.Task), PatchSize: c.PatchSize},
		Epochs: c.Epochs, LR: c.LR, LRMin: c.LRMin, Momentum: c.Momentum, WeightDecay: c.WeightDecay, GradClip: c.GradClip,
		ArchLR: c.ArchLR, ArchBeta1: c.ArchBeta1, ArchBeta2: c.ArchBeta2, ArchWeightDecay: c.ArchWeightDecay,
		Unrolled: c.Unrolled, Seed: c.Seed, TrainPortion: c.TrainPortion, Subset: c.Subset,
		Mask:        mim.MaskConfig{Ratio: c.MaskRatio, PatchSize: c.PatchSize, Fill: c.MaskFill},
		NormPixLoss: c.NormPixLoss, Workers: c.Workers,
	}
}

func openDataset(ctx context.Context, c configs.Search, getenv func(string) string) (*data.Dataset, error) {
	opt := data.OpenOptions{Dir: c.DataDir}
	if c.Dataset == "synthetic" {
		n := 5000 // data.DefaultSynthetic's train size
		if c.Subset > 0 {
			n = c.Subset
		}
		size := c.SyntheticSize
		if size == 0 {
			size = 32
		}
		opt.Synthetic = data.SyntheticConfig{Train: n, Test: 16, Classes: 10, Size: size, Seed: c.Seed}
	} else if opt.Dir == "" {
		dir, err := data.DefaultDir(c.Dataset, getenv)
		if err != nil {
			return nil, err
		}
		opt.Dir = dir
	}
	return data.Open(ctx, c.Dataset, opt)
}

func dartsRun(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	cfg := opts.Config
	out := opts.OutDir
	ckpt := filepath.Join(out, "checkpoint.safetensors")
	checkOut := func() error {
		if !opts.Resume {
			if _, err := os.Stat(ckpt); err == nil {
				return fmt.Errorf("%s already holds a search (%s); pass --resume to continue it or choose another --out", out, ckpt)
			}
		}
		return nil
	}
	if err := checkOut(); err != nil {
		return err
	}
	// Hold the folder for this run (LockDir creates it), then check again under
	// the lock: another run may have filled it meanwhile.
	unlock, err := atomicio.LockDir(out)
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	defer unlock()
	if err := checkOut(); err != nil {
		return err
	}
	ds, err := openDataset(ctx, cfg, opts.Getenv)
	if err != nil {
		return err
	}
	s, err := darts.NewSearcher(SearchConfig(cfg), ds)
	if err != nil {
		return err
	}
	defer s.Close()
	w := &writer{io: opts, dir: out}
	if cfg.Bench != "" {
		if w.bench, w.benchDS, err = openBench(cfg, opts); err != nil {
			return err
		}
	}
	start := 0
	if opts.Resume {
		b, err := os.ReadFile(ckpt)
		if err != nil {
			return fmt.Errorf("resume: %w", err)
		}
		st, err := darts.DecodeState(b)
		if err != nil {
			return fmt.Errorf("resume: %s: %w", ckpt, err)
		}
		if start, err = s.Restore(st); err != nil {
			return fmt.Errorf("resume: %s: %w", ckpt, err)
		}
		if err := w.loadHistory(start); err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.ErrOut, "resuming %s at epoch %d/%d\n", out, start+1, cfg.Epochs)
	} else {
		rc, err := json.MarshalIndent(runConfig{Search: cfg, Version: build.Version}, "", "  ")
		if err != nil {
			return err
		}
		if err := atomicio.WriteFile(filepath.Join(out, "config.json"), append(rc, '\n'), 0o644); err != nil {
			return err
		}
	}
	steps := s.StepsPerEpoch()
	w.bar = opts.IO.Progress(int64(steps*(cfg.Epochs-start)), "search")
	err = s.Run(ctx, start, w)
	_ = w.bar.Finish()
	if err != nil {
		if errors.Is(err, darts.ErrNonFinite) {
			if w.lastEpoch == 0 {
				return fmt.Errorf("%w\nthe run stopped in its first epoch; no checkpoint was written (try a lower --lr or --arch-lr)", err)
			}
			return fmt.Errorf("%w\nthe run stopped; %s holds the last good state (after epoch %d)", err, ckpt, w.lastEpoch)
		}
		return err
	}
	return w.final()
}

// writer is the command's darts.Recorder: progress, summaries and files.
type writer struct {
	io        *Options
	dir       string
	bar       *progressbar.ProgressBar
	history   []darts.EpochRecord
	lastEpoch int
	bench     databench.Table
	benchDS   databench.Dataset
}

// openBench opens the NAS-Bench-201 file of --bench and picks the dataset
// matching the search's (synthetic data is looked up on CIFAR-10).
func openBench(cfg configs.Search, opts *Options) (databench.Table, databench.Dataset, error) {
	uc, _ := os.UserCacheDir()
	if uc != "" {
		uc = filepath.Join(uc, "nasx")
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	t, err := databench.Open(cfg.Bench, databench.Options{CacheDir: getenv("NASX_CACHE"), UserCacheDir: uc,
		Logf: func(format string, args ...any) { fmt.Fprintf(opts.IO.ErrOut, format+"\n", args...) }})
	if err != nil {
		return nil, 0, fmt.Errorf("--bench: %w", err)
	}
	if t.Kind() != databench.KindNB201 {
		return nil, 0, fmt.Errorf("--bench: %s holds %s, want a NAS-Bench-201 file", cfg.Bench, t.Kind())
	}
	ds := databench.CIFAR10
	switch cfg.Dataset {
	case "cifar100":
		ds = databench.CIFAR100
	case "imagenet16":
		ds = databench.ImageNet16
	}
	return t, ds, nil
}

func (w *writer) Step(epoch, step, steps int, loss float64) {
	w.bar.Describe(fmt.Sprintf("epoch %d loss %.3f", epoch+1, loss))
	_ = w.bar.Add(1)
}

func (w *writer) Epoch(r darts.EpochRecord, st *darts.State) error {
	if w.bench != nil && r.NB201Arch != "" {
		i, err := w.bench.Lookup(r.NB201Arch)
		if err != nil {
			return fmt.Errorf("--bench: derived cell %s: %w", r.NB201Arch, err)
		}
		rec, err := w.bench.Record(i, w.benchDS)
		if err != nil {
			return fmt.Errorf("--bench: %w", err)
		}
		r.BenchVal, r.BenchTest = &rec.ValAcc, &rec.TestAcc
	}
	w.history = append(w.history, r)
	w.lastEpoch = r.Epoch + 1
	// metrics.jsonl, rewritten whole and atomically so a kill never leaves a torn line
	var mb bytes.Buffer
	for _, h := range w.history {
		line, err := json.Marshal(h)
		if err != nil {
			return err
		}
		mb.Write(line)
		mb.WriteByte('\n')
	}
	if err := atomicio.WriteFile(filepath.Join(w.dir, "metrics.jsonl"), mb.Bytes(), 0o644); err != nil {
		return err
	}
	type alphaEpoch struct {
		Epoch  int           `json:"epoch"`
		Alphas [][][]float64 `json:"softmax_alphas"`
	}
	var all []alphaEpoch
	for _, h := range w.history {
		all = append(all, alphaEpoch{h.Epoch + 1, h.Alphas})
	}
	ab, err := json.Marshal(all)
	if err != nil {
		return err
	}
	if err := atomicio.WriteFile(filepath.Join(w.dir, "alphas.json"), ab, 0o644); err != nil {
		return err
	}
	if err := atomicio.WriteFile(filepath.Join(w.dir, "genotype.json"), genotypeJSON(r), 0o644); err != nil {
		return err
	}
	if err := atomicio.WriteFile(filepath.Join(w.dir, "curves.svg"), curvesSVG(w.history), 0o644); err != nil {
		return err
	}
	b, err := st.Encode()
	if err != nil {
		return err
	}
	// the checkpoint goes last: a kill before this line resumes this epoch again
	if err := atomicio.WriteFile(filepath.Join(w.dir, "checkpoint.safetensors"), b, 0o644); err != nil {
		return err
	}
	_ = w.bar.Clear()
	fmt.Fprintln(w.io.IO.ErrOut, summary(r))
	return nil
}

func genotypeJSON(r darts.EpochRecord) []byte {
	if r.Genotype != nil {
		return append(r.Genotype.JSON(), '\n')
	}
	b, _ := json.Marshal(map[string]string{"space": "nasbench201", "arch": r.NB201Arch})
	return append(b, '\n')
}

func summary(r darts.EpochRecord) string {
	var b strings.Builder
	fmt.Fprintf(&b, "epoch %d/%d lr %.5f train loss %.4f", r.Epoch+1, r.Epochs, r.LR, r.TrainLoss)
	if r.TrainAcc > 0 || r.ValAcc > 0 {
		fmt.Fprintf(&b, " acc %.2f%%", r.TrainAcc)
	}
	fmt.Fprintf(&b, " | val loss %.4f", r.ValLoss)
	if r.TrainAcc > 0 || r.ValAcc > 0 {
		fmt.Fprintf(&b, " acc %.2f%%", r.ValAcc)
	}
	if r.TrainRec > 0 {
		fmt.Fprintf(&b, " | rec %.4f/%.4f", r.TrainRec, r.ValRec)
	}
	fmt.Fprintf(&b, " | skip %d | %.1fs", r.SkipCount, r.Seconds)
	if r.BenchTest != nil {
		fmt.Fprintf(&b, " | NB201 true val %.2f%% test %.2f%%", *r.BenchVal, *r.BenchTest)
	}
	if r.Genotype != nil {
		fmt.Fprintf(&b, "\n  %s", r.Genotype.String())
	} else {
		fmt.Fprintf(&b, "\n  %s", r.NB201Arch)
	}
	return b.String()
}

// loadHistory reads the first n epoch records of metrics.jsonl (a resumed run).
func (w *writer) loadHistory(n int) error {
	b, err := os.ReadFile(filepath.Join(w.dir, "metrics.jsonl"))
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	for len(w.history) < n {
		var r darts.EpochRecord
		if err := dec.Decode(&r); err == io.EOF {
			return fmt.Errorf("resume: metrics.jsonl has %d epochs, the checkpoint %d", len(w.history), n)
		} else if err != nil {
			return fmt.Errorf("resume: metrics.jsonl line %d: %w", len(w.history)+1, err)
		}
		w.history = append(w.history, r)
	}
	w.lastEpoch = n
	return nil
}

// final prints the result: the last epoch's architecture.
func (w *writer) final() error {
	if len(w.history) == 0 {
		return nil
	}
	r := w.history[len(w.history)-1]
	o := w.io.IO.Out
	if w.io.JSON {
		enc := json.NewEncoder(o)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Out       string            `json:"out"`
			Epochs    int               `json:"epochs"`
			Genotype  any               `json:"genotype,omitempty"`
			NB201Arch string            `json:"nb201_arch,omitempty"`
			Last      darts.EpochRecord `json:"last_epoch"`
		}{w.dir, len(w.history), r.Genotype, r.NB201Arch, r})
	}
	if r.Genotype != nil {
		fmt.Fprintln(o, r.Genotype.String())
	} else {
		fmt.Fprintln(o, r.NB201Arch)
	}
	return nil
}
