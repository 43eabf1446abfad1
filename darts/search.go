package darts

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"gorgonia.org/tensor"

	"github.com/nasx/nasx/data"
	"github.com/nasx/nasx/internal/optim"
	"github.com/nasx/nasx/mim"
	"github.com/nasx/nasx/searchspace"
)

// SearchConfig holds everything a search needs besides the data.
type SearchConfig struct {
	// Net is the supernet; Net.Batch is the batch size of both splits and
	// Net.Classes, Height, Width are taken from the dataset by Search.
	Net NetConfig
	// Epochs is the number of search epochs (DARTS: 50).
	Epochs int
	// LR and LRMin are the weight learning rate and the end of its cosine
	// schedule (DARTS: 0.025 → 0.001).
	LR, LRMin float64
	// Momentum, WeightDecay and GradClip configure the weight SGD (0.9, 3e-4, 5).
	Momentum, WeightDecay, GradClip float64
	// ArchLR, ArchBeta1, ArchBeta2 and ArchWeightDecay configure the α Adam
	// (3e-4, 0.5, 0.999, 1e-3).
	ArchLR, ArchBeta1, ArchBeta2, ArchWeightDecay float64
	// Unrolled selects second-order DARTS.
	Unrolled bool
	// Seed seeds initialisation, data order, augmentation and masks.
	Seed uint64
	// TrainPortion splits the training images: the first part trains the
	// weights, the rest the α (DARTS: 0.5).
	TrainPortion float64
	// Subset uses only the first Subset training images; 0 uses all.
	Subset int
	// Mask configures masking for the masking tasks.
	Mask mim.MaskConfig
	// NormPixLoss normalises each target patch (MAE's norm_pix_loss).
	NormPixLoss bool
	// Workers is the number of data goroutines (0: GOMAXPROCS).
	Workers int
}

// EpochRecord is what one search epoch produced.
type EpochRecord struct {
	Epoch     int     `json:"epoch"` // 0-based
	Epochs    int     `json:"epochs"`
	LR        float64 `json:"lr"`
	TrainLoss float64 `json:"train_loss"`
	TrainAcc  float64 `json:"train_acc"` // percent; 0 for tasks without classification
	TrainCls  float64 `json:"train_cls"`
	TrainRec  float64 `json:"train_rec"`
	// The validation figures are those of the α steps' forward passes on
	// the validation split (training-mode BatchNorm, before each weight
	// step), averaged over the epoch.
	ValLoss float64 `json:"val_loss"`
	ValAcc  float64 `json:"val_acc"`
	ValRec  float64 `json:"val_rec"`
	// Alphas are the softmax(α) tables: [normal, reduce] (DARTS) or
	// [arch_parameters] (NAS-Bench-201).
	Alphas    [][][]float64         `json:"alphas"`
	Genotype  *searchspace.Genotype `json:"genotype,omitempty"` // DARTS
	NB201Arch string                `json:"nb201_arch,omitempty"`
	// BenchVal and BenchTest are the derived NAS-Bench-201 cell's true
	// 200-epoch accuracies (percent) on the search dataset, when a benchmark
	// file is given (filled by the caller's Recorder).
	BenchVal  *float64 `json:"bench_val_acc,omitempty"`
	BenchTest *float64 `json:"bench_test_acc,omitempty"`
	// SkipCount is the number of skip_connect edges in the derived normal cell (or NB201 cell).
	SkipCount int     `json:"skip_connect_count"`
	Seconds   float64 `json:"seconds"`
	Steps     int     `json:"steps"`
}

// Recorder receives the progress of a search. Step is called after each
// step, Epoch after each completed epoch (its error stops the search);
// Checkpoint receives the state to persist after each epoch.
type Recorder interface {
	Step(epoch, step, steps int, loss float64)
	Epoch(rec EpochRecord, st *State) error
}

// Searcher is a running search: the supernet, optimisers and data.
type Searcher struct {
	cfg       SearchConfig
	net       *Supernet
	arch      *Architect[float32]
	wOpt      *optim.SGD[float32]
	aOpt      *optim.Adam[float32]
	sched     optim.Cosine
	train     *data.Loader
	val       *data.Loader
	ds        *data.Dataset
	startEpoc int
}

// ClampRange returns the decoder clamp for a dataset: α-DARTS'
// DATA_STATS for CIFAR-10 (-1.99, 2.13) and CIFAR-100 (-1.9, 2.03), else
// the normalised range of [0, 1] pixels, min and max over the channels.
func ClampRange(ds *data.Dataset) (lo, hi float64) {
	switch ds.Name {
	case "cifar10":
		return -1.99, 2.13
	case "cifar100":
		return -1.9, 2.03
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for c := 0; c < 3; c++ {
		lo = math.Min(lo, float64(-ds.Mean[c]/ds.Std[c]))
		hi = math.Max(hi, float64((1-ds.Mean[c])/ds.Std[c]))
	}
	return lo, hi
}

// NewSearcher builds the supernet for ds and the loaders of the DARTS split.
func NewSearcher(cfg SearchConfig, ds *data.Dataset) (*Searcher, error) {
	if cfg.Epochs <= 0 {
		return nil, fmt.Errorf("darts: epochs: got %d, want > 0", cfg.Epochs)
	}
	if cfg.Net.Dtype == (tensor.Dtype{}) {
		cfg.Net.Dtype = tensor.Float32
	}
	if cfg.Net.Dtype != tensor.Float32 {
		return nil, fmt.Errorf("darts: search: dtype %v, want float32", cfg.Net.Dtype)
	}
	trainTf, testTf, err := data.DefaultTransforms(ds, 0)
	if err != nil {
		return nil, fmt.Errorf("darts: %w", err)
	}
	c, h, w := trainTf.OutShape()
	if c != 3 {
		return nil, fmt.Errorf("darts: dataset %s has %d channels, want 3", ds.Name, c)
	}
	if cfg.Net.Task == mim.TaskRec || cfg.Net.Task == mim.TaskMaskRec {
		trainTf = testTf // α-DARTS: rec tasks train on normalised images without augmentation
	}
	cfg.Net.Classes, cfg.Net.Height, cfg.Net.Width = ds.Classes, h, w
	cfg.Net.ClampLo, cfg.Net.ClampHi = ClampRange(ds)
	if cfg.Net.Task.Masks() {
		cfg.Net.PatchSize = cfg.Mask.PatchSize
		if err := cfg.Mask.Validate(); err != nil {
			return nil, err
		}
	} else if cfg.Net.PatchSize == 0 {
		cfg.Net.PatchSize = 4
	}
	n := ds.Train.Len()
	if cfg.Subset > 0 {
		n = min(n, cfg.Subset)
	}
	first, second, err := data.SplitIndices(n, cfg.TrainPortion)
	if err != nil {
		return nil, fmt.Errorf("darts: train_portion: %w", err)
	}
	if len(first) < cfg.Net.Batch || len(second) < cfg.Net.Batch {
		return nil, fmt.Errorf("darts: split of %d images at portion %v gives %d train and %d val images, want at least one batch (%d) each (raise --subset or lower --batch-size)",
			n, cfg.TrainPortion, len(first), len(second), cfg.Net.Batch)
	}
	lc := data.LoaderConfig{BatchSize: cfg.Net.Batch, Shuffle: true, DropLast: true, Seed: cfg.Seed, Workers: cfg.Workers}
	train, err := data.NewLoader(ds.Train, first, trainTf, lc)
	if err != nil {
		return nil, fmt.Errorf("darts: train loader: %w", err)
	}
	lc.Seed = cfg.Seed + 0x5eed // a different stream for the α split (data.LoaderConfig.Seed)
	val, err := data.NewLoader(ds.Train, second, trainTf, lc)
	if err != nil {
		return nil, fmt.Errorf("darts: val loader: %w", err)
	}
	net, err := NewSupernet(cfg.Net)
	if err != nil {
		return nil, err
	}
	if err := net.Init(rand.New(rand.NewPCG(cfg.Seed, 0x696e6974))); err != nil { // stream "init"
		return nil, err
	}
	wOpt, err := optim.NewSGD[float32](optim.SGDConfig{LR: cfg.LR, Momentum: cfg.Momentum, WeightDecay: cfg.WeightDecay})
	if err != nil {
		return nil, err
	}
	aOpt, err := optim.NewAdam[float32](optim.AdamConfig{LR: cfg.ArchLR, Beta1: cfg.ArchBeta1, Beta2: cfg.ArchBeta2, Eps: 1e-8, WeightDecay: cfg.ArchWeightDecay})
	if err != nil {
		return nil, err
	}
	arch, err := NewArchitect(net, wOpt, aOpt, ArchConfig{Unrolled: cfg.Unrolled, GradClip: cfg.GradClip})
	if err != nil {
		return nil, err
	}
	sched := optim.Cosine{Base: cfg.LR, Min: cfg.LRMin, TMax: cfg.Epochs}
	if err := sched.Validate(); err != nil {
		return nil, err
	}
	return &Searcher{cfg: cfg, net: net, arch: arch, wOpt: wOpt, aOpt: aOpt, sched: sched, train: train, val: val, ds: ds}, nil
}

// Supernet returns the searcher's supernet.
func (s *Searcher) Supernet() *Supernet { return s.net }

// Close releases the supernet.
func (s *Searcher) Close() error { return s.net.Close() }

// StepsPerEpoch returns the number of steps of one epoch.
func (s *Searcher) StepsPerEpoch() int { return min(s.train.StepsPerEpoch(), s.val.StepsPerEpoch()) }

// prep turns a loader batch into the supernet's input for the task.
type prep struct {
	task   mim.Task
	masker *mim.Masker
	norm   bool
	geo    mim.Geometry
	x, lab []float32
	target []float32
	mask   []float32
}

func newPrep(cfg SearchConfig, seed uint64) (*prep, error) {
	n := cfg.Net
	p := &prep{task: n.Task, norm: cfg.NormPixLoss, geo: mim.Geometry{N: n.Batch, C: 3, H: n.Height, W: n.Width, P: n.PatchSize}}
	p.x = make([]float32, n.Batch*3*n.Height*n.Width)
	if n.Task.Classifies() {
		p.lab = make([]float32, n.Batch)
	}
	if n.Task.Reconstructs() {
		p.target = make([]float32, len(p.x))
		p.mask = make([]float32, n.Batch*p.geo.L())
	}
	if n.Task.Masks() {
		m, err := mim.NewMasker(cfg.Mask, seed)
		if err != nil {
			return nil, err
		}
		p.masker = m
	}
	return p, nil
}

func (p *prep) batch(b *data.Batch) (Batch[float32], error) {
	out := Batch[float32]{X: p.x, Labels: p.lab, Target: p.target, Mask: p.mask}
	for i := range p.lab {
		p.lab[i] = float32(b.Y[i])
	}
	switch {
	case p.task.Masks():
		if err := mim.Mask(p.masker, p.x, p.target, p.mask, b.X, b.N, b.C, b.H, b.W); err != nil {
			return out, err
		}
	case p.task == mim.TaskRec: // autoencoding: clean input, every patch counts
		copy(p.x, b.X)
		if err := mim.Patchify(p.target, b.X, p.geo); err != nil {
			return out, err
		}
		for i := range p.mask {
			p.mask[i] = 1
		}
	default:
		copy(p.x, b.X)
	}
	if p.norm && p.target != nil {
		if err := mim.NormPixTarget(p.target, p.geo.D()); err != nil {
			return out, err
		}
	}
	return out, nil
}

// Run searches from epoch start (0, or the epoch after a restored state)
// to cfg.Epochs, calling rec after each step and epoch.
func (s *Searcher) Run(ctx context.Context, start int, rec Recorder) error {
	steps := s.StepsPerEpoch()
	for e := start; e < s.cfg.Epochs; e++ {
		t0 := time.Now()
		lr := s.sched.LR(e) // DARTS: scheduler.step() at the start of the epoch (optim.Cosine doc)
		s.wOpt.SetLR(lr)
		// Masks are drawn from generators seeded per epoch, so a resumed
		// epoch draws the same masks as an uninterrupted one.
		tp, err := newPrep(s.cfg, s.cfg.Seed^uint64(e)<<20^0x747261696e) // "train"
		if err != nil {
			return err
		}
		vp, err := newPrep(s.cfg, s.cfg.Seed^uint64(e)<<20^0x76616c) // "val"
		if err != nil {
			return err
		}
		tIt, err := s.train.Epoch(ctx, e, 0)
		if err != nil {
			return err
		}
		vIt, err := s.val.Epoch(ctx, e, 0)
		if err != nil {
			tIt.Close()
			return err
		}
		r := EpochRecord{Epoch: e, Epochs: s.cfg.Epochs, LR: lr, Steps: steps}
		var nSeen, tCorrect, vCorrect int
		for i := 0; i < steps; i++ {
			if err := ctx.Err(); err != nil {
				tIt.Close()
				vIt.Close()
				return err
			}
			tb, err := tIt.Next()
			if err != nil {
				tIt.Close()
				vIt.Close()
				return err
			}
			vb, err := vIt.Next() // the val split has as many steps (equal halves); it cycles per epoch
			if err != nil {
				tb.Release()
				tIt.Close()
				vIt.Close()
				return err
			}
			tin, err1 := tp.batch(tb)
			vin, err2 := vp.batch(vb)
			if err := errors.Join(err1, err2); err != nil {
				tIt.Close()
				vIt.Close()
				return err
			}
			res, err := s.arch.Step(tin, vin)
			tb.Release()
			vb.Release()
			if err != nil {
				tIt.Close()
				vIt.Close()
				return fmt.Errorf("darts: epoch %d step %d: %w", e, i, err)
			}
			n := s.cfg.Net.Batch
			nSeen += n
			r.TrainLoss += res.Train.Loss * float64(n)
			r.TrainCls += res.Train.Cls * float64(n)
			r.TrainRec += res.Train.Rec * float64(n)
			r.ValLoss += res.Val.Loss * float64(n)
			r.ValRec += res.Val.Rec * float64(n)
			tCorrect += res.Train.Correct
			vCorrect += res.Val.Correct
			if rec != nil {
				rec.Step(e, i, steps, res.Train.Loss)
			}
		}
		tIt.Close()
		vIt.Close()
		f := float64(nSeen)
		r.TrainLoss /= f
		r.TrainCls /= f
		r.TrainRec /= f
		r.ValLoss /= f
		r.ValRec /= f
		if s.cfg.Net.Task.Classifies() {
			r.TrainAcc = 100 * float64(tCorrect) / f
			r.ValAcc = 100 * float64(vCorrect) / f
		}
		if err := s.describe(&r); err != nil {
			return err
		}
		r.Seconds = time.Since(t0).Seconds()
		if rec != nil {
			st, err := s.State(e + 1)
			if err != nil {
				return err
			}
			if err := rec.Epoch(r, st); err != nil {
				return err
			}
		}
	}
	return nil
}

// describe fills the α tables and the derived architecture of r.
func (s *Searcher) describe(r *EpochRecord) error {
	raw := s.net.AlphaValues()
	r.Alphas = Softmax(raw)
	if s.cfg.Net.Space == SpaceDARTS {
		g, err := searchspace.Derive(raw[0], raw[1])
		if err != nil {
			return fmt.Errorf("darts: derive: %w", err)
		}
		r.Genotype = &g
		for _, e := range g.Normal {
			if e.Op == "skip_connect" {
				r.SkipCount++
			}
		}
		return nil
	}
	a := DeriveNB201(raw[0])
	r.NB201Arch = a.String()
	for _, op := range a {
		if searchspace.NB201Ops[op] == "skip_connect" {
			r.SkipCount++
		}
	}
	return nil
}

// DeriveNB201 returns the NAS-Bench-201 cell of an α table (6×5): the
// argmax op of each edge over all ops, "none" included, as AutoDL's
// TinyNetworkDarts.genotype() does; ties keep the first op.
func DeriveNB201(alpha [][]float64) searchspace.NB201Arch {
	var a searchspace.NB201Arch
	for e := range a {
		a[e] = argmax(alpha[e])
	}
	return a
}
