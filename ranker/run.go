package ranker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/nasx/nasx/data/bench"
	"github.com/nasx/nasx/internal/atomicio"
)

// RunConfig is everything one NAR run needs.
type RunConfig struct {
	Model     ModelConfig
	Train     TrainConfig
	Sampler   SamplerConfig
	Search    SearchConfig
	TrainSize int
	ValSize   int
	// EvalSize, when > 0, limits the held-out evaluation to the first
	// EvalSize held-out architectures in split order (validation first,
	// then the random rest); 0 evaluates every architecture not used for
	// training, as the reference protocol does.
	EvalSize int
	Seed     uint64
	// Ensemble, when > 1, trains that many models on the same split with
	// different initialisation, dropout and batch-order seeds, and ranks by
	// the mean of their standardised scores (the improved mode). The first
	// model is the one checkpointed and searched with.
	Ensemble int
	// Verify, when > 0, adds the verified pick (the improved mode): the
	// Verify held-out architectures with the best (ensemble) scores have
	// their validation accuracy looked up, and the pick is the one with the
	// best validation accuracy among them and the training and validation
	// architectures, whose accuracies are known already. Test accuracies
	// are never read. Verify lookups are its queries.
	Verify int
}

// Validate reports every bad field of the parts.
func (c RunConfig) Validate() error {
	var errs []error
	if c.Ensemble < 0 || c.Ensemble > 16 {
		errs = append(errs, fmt.Errorf("ensemble: got %d, want 0..16 (0 and 1: one model)", c.Ensemble))
	}
	if c.Verify < 0 {
		errs = append(errs, fmt.Errorf("verify: got %d, want >= 0", c.Verify))
	}
	return errors.Join(append(errs, c.Model.Validate(), c.Train.Validate(), c.Sampler.Validate(), c.Search.Validate())...)
}

// Hooks receive progress and carry the checkpointing of a run; every field
// may be nil (or false).
type Hooks struct {
	OnEpoch  func(EpochStats)
	OnStep   func()
	OnSearch func(iteration int)
	// Phase is called when a phase starts: "train", "evaluate", "search".
	Phase func(name string, steps int)
	// Checkpoints, when set, saves every model's training state after each
	// epoch (member 0 is the single model, k > 0 ensemble member k).
	Checkpoints Checkpointer
	// Resume continues the run whose states Checkpoints holds: member 0
	// must have one; each model continues from its state (a finished model
	// trains no more epochs) or, without one, starts afresh. The held-out
	// evaluation and the search are redone from the trained models.
	Resume bool
	// Now is the clock of the reported seconds (time.Now when nil).
	Now func() time.Time
}

// train trains ensemble member k (0: the single or first model) with seed,
// resuming and checkpointing through h.
func (h Hooks) train(ctx context.Context, cfg RunConfig, f *Features, sp Split, k int, seed uint64, phase string) (*Trained, error) {
	o := TrainOptions{OnEpoch: h.OnEpoch, OnStep: h.OnStep, Now: h.Now}
	if h.Checkpoints != nil {
		if h.Resume {
			st, err := h.Checkpoints.Load(k)
			if err != nil {
				return nil, err
			}
			if st == nil && k == 0 {
				return nil, errors.New("ranker: resume: no training checkpoint to resume from")
			}
			o.Resume = st
		}
		o.Checkpoint = func(st *TrainState) error { return h.Checkpoints.Save(k, st) }
	}
	if h.Phase != nil {
		done := 0
		if o.Resume != nil {
			done = min(o.Resume.Epoch, cfg.Train.Epochs)
		}
		h.Phase(phase, (cfg.Train.Epochs-done)*(cfg.TrainSize/cfg.Train.Batch))
	}
	tr, err := TrainWith(ctx, cfg.Model, cfg.Train, f, sp, seed, o)
	if err != nil && k > 0 {
		return nil, fmt.Errorf("ensemble member %d: %w", k, err)
	}
	return tr, err
}

// Report is the outcome of Run, as `nasx rank --json` prints it.
type Report struct {
	Benchmark string `json:"benchmark"`
	Dataset   string `json:"dataset"`
	Seed      uint64 `json:"seed"`
	TrainSize int    `json:"train_size"`
	ValSize   int    `json:"val_size"`
	Epochs    int    `json:"epochs"`
	// BestEpoch and BestValAcc identify the checkpoint (0-based epoch).
	BestEpoch  int     `json:"best_epoch"`
	BestValAcc float64 `json:"best_val_tier_acc"`
	// Held-out metrics: every architecture not used for training.
	HeldOut       int     `json:"held_out"`
	KendallTau    float64 `json:"kendall_tau"`
	KendallTauNAR float64 `json:"kendall_tau_nar"`
	SpearmanRho   float64 `json:"spearman_rho"`
	PrecisionTop1 float64 `json:"precision_at_top1pct"`
	TierAcc       float64 `json:"tier_acc"`
	// BestPredicted is the held-out architecture with the highest score.
	BestPredicted Pick `json:"best_predicted"`
	// Found is the reference's "best of the iterations' top-1 picks"
	// (oracle: chosen by true test accuracy); TopK has every k.
	Found   *Pick        `json:"found"`
	TopK    []TopKResult `json:"top_k"`
	Queries int          `json:"queries"`
	// Pick is the non-oracle pick: the highest predicted score among the
	// search's samples.
	Pick     Pick `json:"pick"`
	Distinct int  `json:"distinct_scored"`
	// SearchIterations is every search iteration's sample count, tier-1
	// count and top-k picks (the oracle Found is the best of their top-1
	// picks), for studying the search beyond its one best figure.
	SearchIterations []IterResult `json:"search_iterations"`
	// Ensemble is the number of models whose scores the held-out metrics
	// rank by (1: the reference's single model; TierAcc is always the
	// first model's).
	Ensemble int `json:"ensemble"`
	// FirstKendallTau is the first model's τ-b alone when Ensemble > 1.
	FirstKendallTau float64 `json:"first_model_kendall_tau,omitempty"`
	// Verified is the verified pick (RunConfig.Verify), nil when off;
	// VerifiedQueries is its number of accuracy lookups.
	Verified        *Pick `json:"verified_pick,omitempty"`
	VerifiedQueries int   `json:"verified_queries,omitempty"`
	// Seconds is the wall time of this Run call (Hooks.Now's clock); a
	// resumed run counts only its own part.
	Seconds float64 `json:"seconds"`
}

// Run trains NAR on f, evaluates it on the held-out architectures and runs
// the search with sampler s. The returned Trained holds the model (close it
// with Model.Close).
func Run(ctx context.Context, cfg RunConfig, f *Features, s Sampler, h Hooks) (*Report, *Trained, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	if h.Now == nil {
		h.Now = time.Now
	}
	start := h.Now()
	sp, err := NewSplit(f.Len(), cfg.TrainSize, cfg.ValSize, cfg.Seed)
	if err != nil {
		return nil, nil, err
	}
	tr, err := h.train(ctx, cfg, f, sp, 0, cfg.Seed, "train")
	if err != nil {
		return nil, nil, err
	}
	ranks := f.TestRanks()
	if h.Phase != nil {
		h.Phase("evaluate", 0)
	}
	held := sp.HeldOut()
	if cfg.EvalSize > 0 && cfg.EvalSize < len(held) {
		held = append(append([]int(nil), sp.Val...), sp.Rest...)[:cfg.EvalSize]
	}
	ev, err := Evaluate(tr.Model, f, held, ranks)
	if err != nil {
		tr.Model.Close()
		return nil, nil, err
	}
	ensemble := max(cfg.Ensemble, 1)
	var verified *Pick
	var firstTau float64
	if ensemble > 1 || cfg.Verify > 0 {
		all, err := ensembleScores(ctx, cfg, f, sp, tr.Model, h)
		if err != nil {
			tr.Model.Close()
			return nil, nil, err
		}
		if ensemble > 1 {
			firstTau = ev.KendallTau
			tierAcc := ev.TierAcc
			if ev, err = EvaluateScores(f, held, ranks, pick(all, held)); err != nil {
				tr.Model.Close()
				return nil, nil, err
			}
			ev.TierAcc = tierAcc
		}
		if cfg.Verify > 0 {
			verified = VerifiedPick(f, sp, all, cfg.Verify, ranks)
		}
	}
	if h.Phase != nil {
		h.Phase("search", cfg.Search.Iterations)
	}
	sr, err := SearchModel(ctx, cfg, f, s, tr, h.OnSearch)
	if err != nil {
		tr.Model.Close()
		return nil, nil, err
	}
	verifiedQueries := 0
	if verified != nil {
		verifiedQueries = min(cfg.Verify, len(sp.Rest))
	}
	rep := &Report{
		Benchmark: string(f.Kind), Dataset: f.Dataset.String(), Seed: cfg.Seed,
		TrainSize: cfg.TrainSize, ValSize: cfg.ValSize, Epochs: cfg.Train.Epochs,
		BestEpoch: tr.BestEpoch, BestValAcc: tr.BestAcc,
		HeldOut: ev.N, KendallTau: ev.KendallTau, KendallTauNAR: ev.KendallTauNAR, SpearmanRho: ev.SpearmanRho,
		PrecisionTop1: ev.PrecisionTop1, TierAcc: ev.TierAcc, BestPredicted: ev.Best,
		Found: sr.Found, TopK: sr.TopK, Queries: sr.Queries, Pick: sr.Pick, Distinct: sr.Distinct, SearchIterations: sr.Iterations,
		Ensemble: ensemble, FirstKendallTau: firstTau, Verified: verified, VerifiedQueries: verifiedQueries,
		Seconds: h.Now().Sub(start).Seconds(),
	}
	return rep, tr, nil
}

// SearchModel runs NAR's search (Search) with the trained model tr: its best
// epoch's tier statistics, a scorer over its model, cfg.Search's settings and
// seed cfg.Seed, with the sampler s. Run searches with this call, so a model
// saved by SaveCheckpoint and loaded by LoadCheckpoint, with a sampler from
// Load with the run's seed, repeats the run's search exactly; other seeds
// show how far the search's figures move for one trained model.
func SearchModel(ctx context.Context, cfg RunConfig, f *Features, s Sampler, tr *Trained, progress func(it int)) (*SearchResult, error) {
	return Search(ctx, cfg.Search, f, f.TestRanks(), tr.Distri, s, NewSearchScorer(tr.Model, f), cfg.Seed, progress)
}

// ensembleScores returns, for every architecture of f, the mean of the
// standardised scores of first and of cfg.Ensemble−1 more models trained on
// the same split with seeds derived from cfg.Seed (first alone when
// Ensemble <= 1). The extra models are closed after scoring.
func ensembleScores(ctx context.Context, cfg RunConfig, f *Features, sp Split, first *Model, h Hooks) ([]float64, error) {
	all := make([]int, f.Len())
	for i := range all {
		all[i] = i
	}
	sum := make([]float64, len(all))
	add := func(m *Model) error {
		s, err := m.Scores(f, all)
		if err != nil {
			return err
		}
		standardise(s)
		for i, v := range s {
			sum[i] += v
		}
		return nil
	}
	if err := add(first); err != nil {
		return nil, err
	}
	n := max(cfg.Ensemble, 1)
	for k := 1; k < n; k++ {
		tr, err := h.train(ctx, cfg, f, sp, k, memberSeed(cfg.Seed, k), fmt.Sprintf("train %d/%d", k+1, n))
		if err != nil {
			return nil, err
		}
		err = add(tr.Model)
		tr.Model.Close()
		if err != nil {
			return nil, err
		}
	}
	for i := range sum {
		sum[i] /= float64(n)
	}
	return sum, nil
}

// memberSeed is the seed of ensemble member k > 0 (member 0 uses seed).
func memberSeed(seed uint64, k int) uint64 { return seed + uint64(k)*0x9e3779b97f4a7c15 }

// standardise rescales v to mean 0 and standard deviation 1 (constant v
// becomes all zeros).
func standardise(v []float64) {
	var mean float64
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(ss / float64(len(v)))
	for i := range v {
		if sd > 0 {
			v[i] = (v[i] - mean) / sd
		} else {
			v[i] = 0
		}
	}
}

// VerifiedPick is the improved mode's non-oracle pick: the verify held-out
// architectures (not in the training or validation split) with the best
// scores (one per architecture of f) have their validation accuracy looked
// up; the pick is the architecture with the best validation accuracy among
// them and the training and validation architectures, whose validation
// accuracies the run already used. Ties go to the higher score. Test
// accuracies are only reported, never used.
func VerifiedPick(f *Features, sp Split, scores []float64, verify int, ranks []int) *Pick {
	cand := append(append([]int(nil), sp.Train...), sp.Val...)
	rest := append([]int(nil), sp.Rest...)
	sort.SliceStable(rest, func(a, b int) bool { return scores[rest[a]] > scores[rest[b]] })
	cand = append(cand, rest[:min(verify, len(rest))]...)
	best := -1
	for _, i := range cand {
		if best < 0 || f.Val[i] > f.Val[best] || (f.Val[i] == f.Val[best] && scores[i] > scores[best]) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	arch := ""
	if t := f.Table(); t != nil {
		if rec, err := t.Record(best, f.Dataset); err == nil {
			arch = rec.Arch
		}
	}
	return &Pick{Index: best, Arch: arch, ValAcc: f.Val[best], TestAcc: f.Test[best], Rank: ranks[best],
		Percentile: 100 * float64(ranks[best]) / float64(f.Len()), Score: scores[best], Iteration: -1}
}

// Checkpoint file names inside a model folder.
const (
	ModelFile  = "model.safetensors"
	DistriFile = "distri.json"
)

// SaveCheckpoint writes the model's weights (safetensors, torch state-dict
// names) and the best epoch's distri list into dir, each atomically.
func SaveCheckpoint(dir string, tr *Trained) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("ranker: %w", err)
	}
	if err := tr.Model.Params().Save(filepath.Join(dir, ModelFile)); err != nil {
		return fmt.Errorf("ranker: save model: %w", err)
	}
	b, err := json.Marshal(struct {
		BestEpoch int      `json:"best_epoch"`
		BestAcc   float64  `json:"best_val_tier_acc"`
		Distri    []Distri `json:"distri"`
	}{tr.BestEpoch, tr.BestAcc, tr.Distri})
	if err != nil {
		return err
	}
	if err := atomicio.WriteFile(filepath.Join(dir, DistriFile), b, 0o644); err != nil {
		return fmt.Errorf("ranker: save distri: %w", err)
	}
	return nil
}

// LoadCheckpoint builds a model of cfg for batches of batch architectures of
// f, its decoder run in micro-batches of micro (0: the whole batch), and loads the weights and distri list saved in dir by SaveCheckpoint.
func LoadCheckpoint(dir string, cfg ModelConfig, batch, micro int, f *Features) (*Trained, error) {
	cfg.Tokens, cfg.DPatch = f.Tokens, f.Dim
	m, err := NewModel(cfg, batch, micro, 0)
	if err != nil {
		return nil, err
	}
	if err := m.Params().Load(filepath.Join(dir, ModelFile), true); err != nil {
		m.Close()
		return nil, fmt.Errorf("ranker: load model (does --config match the trained model?): %w", err)
	}
	p := filepath.Join(dir, DistriFile)
	b, err := os.ReadFile(p)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("ranker: %w", err)
	}
	var d struct {
		BestEpoch int      `json:"best_epoch"`
		BestAcc   float64  `json:"best_val_tier_acc"`
		Distri    []Distri `json:"distri"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		m.Close()
		return nil, fmt.Errorf("ranker: %s: %w", p, err)
	}
	for i, dd := range d.Distri {
		if err := dd.Validate(cfg.NTier); err != nil {
			m.Close()
			return nil, fmt.Errorf("ranker: %s: distri[%d]: %w", p, i, err)
		}
	}
	return &Trained{Model: m, BestEpoch: d.BestEpoch, BestAcc: d.BestAcc, Distri: d.Distri}, nil
}

// Prediction is the score of one architecture by a trained model.
type Prediction struct {
	Index   int     `json:"index"`
	Arch    string  `json:"arch"`
	Score   float64 `json:"score"`
	Tier    int     `json:"tier"`
	TestAcc float64 `json:"test_acc"`
	Rank    int     `json:"rank"`
}

// Predict scores idx with m; tiers are predicted with buckets grown from
// zero by predicted tier, batch by batch, as in the search.
func Predict(m *Model, f *Features, idx []int) ([]Prediction, error) {
	c, err := m.classify(f, idx, nil, false)
	if err != nil {
		return nil, err
	}
	ranks := f.TestRanks()
	out := make([]Prediction, len(idx))
	nt := m.Cfg.NTier
	for k, i := range idx {
		rec, _ := f.Table().Record(i, f.Dataset)
		out[k] = Prediction{Index: i, Arch: rec.Arch, Score: c.scores[k], Tier: argmax(c.logits[k*nt : (k+1)*nt]),
			TestAcc: f.Test[i], Rank: ranks[i]}
	}
	return out, nil
}

// Load encodes the benchmark t for ds and returns its features and sampler.
func Load(t bench.Table, ds bench.Dataset, sc SamplerConfig, seed uint64) (*Features, Sampler, error) {
	switch tab := t.(type) {
	case *bench.NB201:
		f, err := EncodeNB201(tab, ds)
		if err != nil {
			return nil, nil, err
		}
		s, err := NewNB201Sampler(f, tab, sc, seed)
		return f, s, err
	case *bench.NB101:
		if ds != bench.CIFAR10 {
			return nil, nil, fmt.Errorf("ranker: nasbench101 has only cifar10, got %s", ds)
		}
		f, err := EncodeNB101(tab)
		if err != nil {
			return nil, nil, err
		}
		s, err := NewNB101Sampler(f, tab, sc, seed)
		return f, s, err
	}
	return nil, nil, fmt.Errorf("ranker: unsupported benchmark table %T", t)
}
