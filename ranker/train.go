package ranker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/nasx/nasx/internal/optim"
)

// TrainConfig holds the training settings (NAR:config*.yml; algorithms.md
// B.3-B.4).
type TrainConfig struct {
	// Epochs is ranker_epochs (NB101 35, NB201 55).
	Epochs int `json:"epochs"`
	// Batch is the train, validation and search batch size (NB101 256,
	// NB201 128); incomplete batches are dropped (drop_last).
	Batch int `json:"batch"`
	// MicroBatch is the number of architectures the model runs on at a
	// time within a batch; 0 runs the whole batch at once. It must divide
	// Batch. The gradients are the whole batch's either way (see Model);
	// what changes is the memory, and, with dropout, which random numbers
	// the decoder's masks take.
	MicroBatch int `json:"micro_batch,omitempty"`
	// LRMul and Warmup are the Noam schedule's (NB101 0.1/50, NB201
	// 0.07/30).
	LRMul  float64 `json:"lr_mul"`
	Warmup int     `json:"warmup"`
	// Beta1, Beta2, Eps, WeightDecay are AdamW's (NB101 0.9/0.982/1e-9/5e-4,
	// NB201 0.9/0.99/1e-9/1e-2).
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	Eps         float64 `json:"eps"`
	WeightDecay float64 `json:"weight_decay"`
	// LossFactor weighs the RankLoss (NB101 9, NB201 1).
	LossFactor float64 `json:"loss_factor"`
	// Bins is the number of histogram bins of the tier statistics (NB101 8,
	// NB201 5).
	Bins int `json:"bins"`
	// Select is how the best checkpoint is chosen: SelectTierAcc (NAR's,
	// the default when empty) or SelectValTau.
	Select string `json:"select"`
}

// Checkpoint selections (TrainConfig.Select).
const (
	// SelectTierAcc keeps the epoch with the best validation tier
	// accuracy (NAR:train.py).
	SelectTierAcc = "val_tier_acc"
	// SelectValTau keeps the epoch whose score head ranks the validation
	// split best: Kendall τ-b against its validation accuracies (the
	// improved mode; it never reads test accuracies).
	SelectValTau = "val_tau"
)

// Validate reports every bad field.
func (c TrainConfig) Validate() error {
	var errs []error
	if c.Epochs <= 0 {
		errs = append(errs, fmt.Errorf("train.epochs: got %d, want > 0", c.Epochs))
	}
	if c.Batch < 2 {
		errs = append(errs, fmt.Errorf("train.batch: got %d, want >= 2", c.Batch))
	}
	if c.MicroBatch < 0 || (c.MicroBatch > 0 && c.Batch >= 2 && c.Batch%c.MicroBatch != 0) {
		errs = append(errs, fmt.Errorf("train.micro_batch: got %d, want a divisor of train.batch %d (0: the whole batch)", c.MicroBatch, c.Batch))
	}
	if c.LRMul <= 0 {
		errs = append(errs, fmt.Errorf("train.lr_mul: got %g, want > 0", c.LRMul))
	}
	if c.Warmup <= 0 {
		errs = append(errs, fmt.Errorf("train.warmup: got %d, want > 0", c.Warmup))
	}
	if c.Beta1 < 0 || c.Beta1 >= 1 || c.Beta2 < 0 || c.Beta2 >= 1 {
		errs = append(errs, fmt.Errorf("train.beta1/beta2: got %g/%g, want in [0, 1)", c.Beta1, c.Beta2))
	}
	if c.Eps < 0 || c.WeightDecay < 0 || c.LossFactor < 0 {
		errs = append(errs, fmt.Errorf("train.eps/weight_decay/loss_factor: got %g/%g/%g, want >= 0", c.Eps, c.WeightDecay, c.LossFactor))
	}
	if c.Bins <= 0 {
		errs = append(errs, fmt.Errorf("train.bins: got %d, want > 0", c.Bins))
	}
	switch c.Select {
	case "", SelectTierAcc, SelectValTau:
	default:
		errs = append(errs, fmt.Errorf("train.select: got %q, want %q or %q", c.Select, SelectTierAcc, SelectValTau))
	}
	return errors.Join(errs...)
}

// Buckets are NAR's tier embeddings (NAR:architecture/bucket.py): for each
// tier, the running mean of the (detached) encoder outputs of the
// architectures assigned to it so far. They start at zero and are not
// learned.
type Buckets struct {
	sum [][]float64
	n   []int
}

// NewBuckets returns nTier empty buckets of size values each.
func NewBuckets(nTier, size int) *Buckets {
	b := &Buckets{sum: make([][]float64, nTier), n: make([]int, nTier)}
	for t := range b.sum {
		b.sum[t] = make([]float64, size)
	}
	return b
}

// Add absorbs one encoder output into tier t's mean.
func (b *Buckets) Add(t int, emb []float32) {
	for i, v := range emb {
		b.sum[t][i] += float64(v)
	}
	b.n[t]++
}

// Means returns each tier's mean (zeros for an empty tier) as float32.
func (b *Buckets) Means() [][]float32 {
	out := make([][]float32, len(b.sum))
	for t, s := range b.sum {
		out[t] = make([]float32, len(s))
		if b.n[t] == 0 {
			continue
		}
		for i, v := range s {
			out[t][i] = float32(v / float64(b.n[t]))
		}
	}
	return out
}

// absorb adds the first n encoder outputs of a batch to the buckets of tiers.
func (b *Buckets) absorb(enc []float32, tiers []int, size int) {
	for k, t := range tiers {
		b.Add(t, enc[k*size:(k+1)*size])
	}
}

// EpochStats is one line of metrics.jsonl.
type EpochStats struct {
	Epoch     int     `json:"epoch"`
	TrainLoss float64 `json:"train_loss"`
	TrainCE   float64 `json:"train_ce"`
	TrainRank float64 `json:"train_rank_loss"`
	TrainAcc  float64 `json:"train_tier_acc"`
	ValAcc    float64 `json:"val_tier_acc"`
	// ValTau is Kendall τ-b of the score head against the validation
	// split's validation accuracies.
	ValTau  float64 `json:"val_tau"`
	LR      float64 `json:"lr"`
	Best    bool    `json:"best"`
	Seconds float64 `json:"seconds"`
}

// MarshalJSON writes the stats with NaN and ±Inf as null, which JSON has no
// number for (val_tau is NaN when the score head gives every validation
// architecture the same score).
func (s EpochStats) MarshalJSON() ([]byte, error) {
	num := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	return json.Marshal(struct {
		Epoch     int      `json:"epoch"`
		TrainLoss *float64 `json:"train_loss"`
		TrainCE   *float64 `json:"train_ce"`
		TrainRank *float64 `json:"train_rank_loss"`
		TrainAcc  *float64 `json:"train_tier_acc"`
		ValAcc    *float64 `json:"val_tier_acc"`
		ValTau    *float64 `json:"val_tau"`
		LR        *float64 `json:"lr"`
		Best      bool     `json:"best"`
		Seconds   *float64 `json:"seconds"`
	}{s.Epoch, num(s.TrainLoss), num(s.TrainCE), num(s.TrainRank), num(s.TrainAcc), num(s.ValAcc), num(s.ValTau),
		num(s.LR), s.Best, num(s.Seconds)})
}

// Trained is the outcome of Train: the model with the best checkpoint's
// weights loaded, and that epoch's tier statistics.
type Trained struct {
	Model     *Model
	BestEpoch int
	// BestAcc is the selection criterion's value at BestEpoch: the
	// validation tier accuracy, or τ-b with SelectValTau.
	BestAcc float64
	// Distri is the distri list of the best epoch: one Distri per training
	// batch (NB201: 7, NB101: 16).
	Distri  []Distri
	History []EpochStats
}

// TrainOptions are Train's optional hooks and its checkpointing; every
// field may be nil.
type TrainOptions struct {
	// OnEpoch receives each epoch's stats (after Checkpoint has saved the
	// epoch); OnStep is called after each batch.
	OnEpoch func(EpochStats)
	OnStep  func()
	// Resume, when set, continues the run that wrote it: training starts
	// after its last completed epoch with its weights, optimiser state,
	// random streams, batch order and best checkpoint, and takes the steps
	// an uninterrupted run would have taken.
	Resume *TrainState
	// Checkpoint, when set, receives the state after every completed
	// epoch; an error stops training.
	Checkpoint func(*TrainState) error
	// Now is the clock of EpochStats.Seconds (time.Now when nil).
	Now func() time.Time
}

// Train trains a new model on the split's training architectures of f; see
// TrainWith. onEpoch and onStep may be nil.
func Train(ctx context.Context, mc ModelConfig, tc TrainConfig, f *Features, sp Split, seed uint64, onEpoch func(EpochStats), onStep func()) (*Trained, error) {
	return TrainWith(ctx, mc, tc, f, sp, seed, TrainOptions{OnEpoch: onEpoch, OnStep: onStep})
}

// TrainWith trains a new model (or continues o.Resume) on the split's
// training architectures of f (NAR:train.py, process/train_val.py): per
// epoch, new buckets; per batch, forward with the current bucket means,
// loss = soft CE(tier) + LossFactor·RankLoss, the Noam rate set, AdamW
// step, gradients zeroed, the buckets absorb the batch's encoder outputs by
// ground-truth tier, and the batch's tier statistics are recorded. After
// each epoch the validation split is classified with buckets grown from
// zero with its ground-truth tiers; the epoch with the best validation tier
// accuracy (first on ties) is kept.
func TrainWith(ctx context.Context, mc ModelConfig, tc TrainConfig, f *Features, sp Split, seed uint64, o TrainOptions) (*Trained, error) {
	if err := tc.Validate(); err != nil {
		return nil, err
	}
	if len(sp.Train) < tc.Batch {
		return nil, fmt.Errorf("ranker: train: %d training architectures, fewer than one batch of %d", len(sp.Train), tc.Batch)
	}
	if len(sp.Val) < tc.Batch {
		return nil, fmt.Errorf("ranker: train: %d validation architectures, fewer than one batch of %d (set --val-size >= the batch)", len(sp.Val), tc.Batch)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	mc.Tokens, mc.DPatch = f.Tokens, f.Dim
	m, err := NewModel(mc, tc.Batch, tc.MicroBatch, seed)
	if err != nil {
		return nil, err
	}
	opt, err := optim.NewAdamW[float32](optim.AdamConfig{Beta1: tc.Beta1, Beta2: tc.Beta2, Eps: tc.Eps, WeightDecay: tc.WeightDecay})
	if err != nil {
		m.Close()
		return nil, err
	}
	noam := optim.Noam{LRMul: tc.LRMul, DModel: mc.DModel, Warmup: tc.Warmup}
	trainTiers := TierLabels(pick(f.Val, sp.Train), mc.NTier)
	tierOf := make(map[int]int, len(sp.Train))
	for k, i := range sp.Train {
		tierOf[i] = trainTiers[k]
	}
	valAcc := pick(f.Val, sp.Val)
	valTiers := TierLabels(valAcc, mc.NTier)
	src := rand.NewPCG(seed, 0x747261696e)
	rng := rand.New(src)
	order := append([]int(nil), sp.Train...)
	size := mc.Tokens * mc.DModel
	B := tc.Batch
	in := batchIn{x: make([]float32, B*f.Size()), target: make([]float32, B*mc.NTier), val: make([]float64, B), factor: tc.LossFactor}
	res := &Trained{BestEpoch: -1, BestAcc: math.Inf(-1)}
	var best []float32
	step, first := 0, 0
	if st := o.Resume; st != nil {
		if err := st.checkResume(mc, tc, seed, sp.Train); err != nil {
			m.Close()
			return nil, fmt.Errorf("ranker: resume: %w", err)
		}
		if best, err = m.restoreState(st, opt, src); err != nil {
			m.Close()
			return nil, fmt.Errorf("ranker: resume: %w", err)
		}
		copy(order, st.Order)
		step, first = st.Step, st.Epoch
		res.BestEpoch, res.BestAcc = st.BestEpoch, st.BestAcc
		res.Distri = st.Distri
		res.History = append([]EpochStats(nil), st.History...)
		// The restored tensors (the model's size about four times over:
		// weights, AdamW's moments, the best checkpoint) are in the model
		// now; dropping the state lets them go before training resumes.
		o.Resume = nil
	}
	for epoch := first; epoch < tc.Epochs; epoch++ {
		start := now()
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		buckets := NewBuckets(mc.NTier, size)
		var distri []Distri
		st := EpochStats{Epoch: epoch}
		nb := len(order) / B
		hits := 0
		for bi := range nb {
			if err := ctx.Err(); err != nil {
				m.Close()
				return nil, err
			}
			idx := order[bi*B : (bi+1)*B]
			tiers := make([]int, B)
			clear(in.target)
			for k, i := range idx {
				tiers[k] = tierOf[i]
				in.target[k*mc.NTier+tiers[k]] = 1
				in.val[k] = f.Val[i]
			}
			f.EncodeBatch(idx, in.x)
			in.tiers = buckets.Means()
			out, err := m.trainStep(in)
			if err != nil {
				m.Close()
				return nil, err
			}
			step++
			lr := noam.LR(step)
			opt.SetLR(lr)
			if err := opt.Step(m.params); err != nil {
				m.Close()
				return nil, err
			}
			if err := optim.ZeroGrad(m.params); err != nil {
				m.Close()
				return nil, err
			}
			buckets.absorb(out.enc, tiers, size)
			distri = append(distri, BatchStats(f, idx, tiers, mc.NTier, tc.Bins))
			st.TrainLoss += out.loss / float64(nb)
			st.TrainCE += out.ce / float64(nb)
			st.TrainRank += out.rank / float64(nb)
			for k := range B {
				if argmax(out.logits[k*mc.NTier:(k+1)*mc.NTier]) == tiers[k] {
					hits++
				}
			}
			st.LR = lr
			if o.OnStep != nil {
				o.OnStep()
			}
		}
		st.TrainAcc = float64(hits) / float64(nb*B)
		acc, err := m.classify(f, sp.Val, valTiers, true)
		if err != nil {
			m.Close()
			return nil, err
		}
		st.ValAcc = acc.tierAcc
		if st.ValTau, err = KendallTauB(acc.scores, valAcc); err != nil {
			m.Close()
			return nil, err
		}
		crit := st.ValAcc
		if tc.Select == SelectValTau {
			crit = st.ValTau
		}
		if crit > res.BestAcc || res.BestEpoch < 0 {
			st.Best = true
			res.BestAcc, res.BestEpoch, res.Distri = crit, epoch, distri
			if best, err = m.snapshot(best); err != nil {
				m.Close()
				return nil, err
			}
		}
		st.Seconds = now().Sub(start).Seconds()
		res.History = append(res.History, st)
		if o.Checkpoint != nil {
			ts, err := m.state(epoch+1, step, order, src, opt, res, best, mc, tc, seed)
			if err == nil {
				err = o.Checkpoint(ts)
			}
			if err != nil {
				m.Close()
				return nil, err
			}
		}
		if o.OnEpoch != nil {
			o.OnEpoch(st)
		}
	}
	if err := m.restore(best); err != nil {
		m.Close()
		return nil, err
	}
	res.Model = m
	return res, nil
}

// state returns the training state after epoch completed epochs (see
// TrainState); the best weights are left out when the last epoch is the
// best.
func (m *Model) state(epoch, step int, order []int, src *rand.PCG, opt *optim.Adam[float32], res *Trained, best []float32,
	mc ModelConfig, tc TrainConfig, seed uint64) (*TrainState, error) {
	w, err := m.Params().StateDict()
	if err != nil {
		return nil, err
	}
	shapes := make(map[string][]int, len(w))
	for _, t := range w {
		shapes[t.Name] = t.Shape
	}
	ost, err := optim.StateTensors(opt.StateDict(), shapes, optimPrefix)
	if err != nil {
		return nil, err
	}
	shuffle, err := src.MarshalBinary()
	if err != nil {
		return nil, err
	}
	drop := make([][]byte, len(m.b.Dropouts))
	for i, d := range m.b.Dropouts {
		if drop[i], err = d.RNGState(); err != nil {
			return nil, err
		}
	}
	mc.Tokens, mc.DPatch = 0, 0
	st := &TrainState{Epoch: epoch, Step: step, Order: append([]int(nil), order...), ShuffleRNG: shuffle, DropoutRNG: drop,
		Weights: w, Optim: ost, BestEpoch: res.BestEpoch, BestAcc: res.BestAcc, Distri: res.Distri,
		History: append([]EpochStats(nil), res.History...), Model: mc, Train: tc, Seed: seed}
	if res.BestEpoch != epoch-1 {
		st.Best = append([]float32(nil), best...)
	}
	return st, nil
}

// restoreState loads st's weights, optimiser state and random streams into
// m, opt and src, and returns the best weights (flat, as snapshot).
func (m *Model) restoreState(st *TrainState, opt *optim.Adam[float32], src *rand.PCG) ([]float32, error) {
	if err := m.Params().LoadStateDict(st.Weights, true); err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	sd, err := optim.StateFromTensors[float32](st.Optim, optimPrefix)
	if err != nil {
		return nil, err
	}
	for _, p := range m.params {
		if _, ok := sd[p.Name()+".exp_avg"]; !ok {
			return nil, fmt.Errorf("optimiser state: no moments for %q", p.Name())
		}
	}
	if err := opt.LoadStateDict(sd); err != nil {
		return nil, fmt.Errorf("optimiser state: %w", err)
	}
	if err := src.UnmarshalBinary(st.ShuffleRNG); err != nil {
		return nil, fmt.Errorf("batch-order random state: %w", err)
	}
	if len(st.DropoutRNG) != len(m.b.Dropouts) {
		return nil, fmt.Errorf("%d dropout random states, want the model's %d", len(st.DropoutRNG), len(m.b.Dropouts))
	}
	for i, d := range m.b.Dropouts {
		if err := d.SetRNGState(st.DropoutRNG[i]); err != nil {
			return nil, err
		}
	}
	best, err := m.snapshot(nil)
	if err != nil {
		return nil, err
	}
	if st.Best != nil {
		if len(st.Best) != len(best) {
			return nil, fmt.Errorf("best weights: %d values, want the model's %d", len(st.Best), len(best))
		}
		copy(best, st.Best)
	}
	return best, nil
}

// snapshot copies every learnable's values into dst (grown as needed).
func (m *Model) snapshot(dst []float32) ([]float32, error) {
	dst = dst[:0]
	for _, p := range m.params {
		d, err := p.Data()
		if err != nil {
			return nil, err
		}
		dst = append(dst, d...)
	}
	return dst, nil
}

// restore writes a snapshot back into the learnables.
func (m *Model) restore(src []float32) error {
	off := 0
	for _, p := range m.params {
		d, err := p.Data()
		if err != nil {
			return err
		}
		off += copy(d, src[off:])
	}
	return nil
}

// classified is the outcome of classify.
type classified struct {
	scores  []float64 // one per architecture
	logits  []float64 // NTier per architecture
	tierAcc float64   // against the given tiers, when given
}

// classify runs the eval machine over idx in batches, with buckets grown
// from zero: by the given ground-truth tiers when byTruth (NAR's
// validation), else by the predicted tiers (NAR's search). A last partial
// batch is padded with its first architecture; the padding is ignored.
func (m *Model) classify(f *Features, idx, tiers []int, byTruth bool) (classified, error) {
	c := m.Cfg
	B := m.Batch
	size := c.Tokens * c.DModel
	buckets := NewBuckets(c.NTier, size)
	in := batchIn{x: make([]float32, B*f.Size())}
	res := classified{scores: make([]float64, len(idx)), logits: make([]float64, len(idx)*c.NTier)}
	hits := 0
	batch := make([]int, B)
	for lo := 0; lo < len(idx); lo += B {
		n := fillBatch(batch, idx, lo)
		f.EncodeBatch(batch, in.x)
		in.tiers = buckets.Means()
		out, err := m.forward(in)
		if err != nil {
			return classified{}, err
		}
		pred := make([]int, n)
		for k := range n {
			res.scores[lo+k] = float64(out.score[k])
			for t := range c.NTier {
				res.logits[(lo+k)*c.NTier+t] = float64(out.logits[k*c.NTier+t])
			}
			pred[k] = argmax(out.logits[k*c.NTier : (k+1)*c.NTier])
			if tiers != nil && pred[k] == tiers[lo+k] {
				hits++
			}
		}
		if byTruth {
			buckets.absorb(out.enc, tiers[lo:lo+n], size)
		} else {
			buckets.absorb(out.enc, pred, size)
		}
	}
	if tiers != nil && len(idx) > 0 {
		res.tierAcc = float64(hits) / float64(len(idx))
	}
	return res, nil
}

// SearchScorer is the Scorer of a trained model for Search: its buckets
// start at zero once and absorb each scored batch by predicted tier
// (NAR classify_enc_emb_by_pred).
type SearchScorer struct {
	m       *Model
	f       *Features
	buckets *Buckets
}

// NewSearchScorer returns a scorer over the architectures of f.
func NewSearchScorer(m *Model, f *Features) *SearchScorer {
	return &SearchScorer{m: m, f: f, buckets: NewBuckets(m.Cfg.NTier, m.Cfg.Tokens*m.Cfg.DModel)}
}

// ScoreBatch implements Scorer; idx must hold exactly the model's batch.
func (s *SearchScorer) ScoreBatch(idx []int) ([]int, []float64, error) {
	m := s.m
	if len(idx) != m.Batch {
		return nil, nil, fmt.Errorf("ranker: search batch of %d, want the model's %d", len(idx), m.Batch)
	}
	in := batchIn{x: make([]float32, m.Batch*s.f.Size()), tiers: s.buckets.Means()}
	s.f.EncodeBatch(idx, in.x)
	out, err := m.forward(in)
	if err != nil {
		return nil, nil, err
	}
	nt := m.Cfg.NTier
	tiers := make([]int, len(idx))
	scores := make([]float64, len(idx))
	for k := range idx {
		tiers[k] = argmax(out.logits[k*nt : (k+1)*nt]) // argmax of softmax = argmax of logits
		scores[k] = float64(out.score[k])
	}
	s.buckets.absorb(out.enc, tiers, m.Cfg.Tokens*m.Cfg.DModel)
	return tiers, scores, nil
}

// Evaluation is the ranking quality of a trained model on a set of
// architectures.
type Evaluation struct {
	N int `json:"n"`
	// KendallTau is τ-b of the score head against test accuracy.
	KendallTau float64 `json:"kendall_tau"`
	// KendallTauNAR is the reference's variant (ties concordant).
	KendallTauNAR float64 `json:"kendall_tau_nar"`
	SpearmanRho   float64 `json:"spearman_rho"`
	// PrecisionTop1 is precision@k for the top 1% (k = max(1, N/100)).
	PrecisionTop1 float64 `json:"precision_at_top1pct"`
	K             int     `json:"k"`
	// TierAcc is the tier accuracy against tiers cut from the set's
	// validation accuracies, buckets grown with those tiers as in
	// validation.
	TierAcc float64 `json:"tier_acc"`
	// Best is the architecture with the highest score in the set.
	Best Pick `json:"best_predicted"`
	// Scores are the score-head values, in the order of the set.
	Scores []float64 `json:"-"`
}

// Evaluate scores idx with m and computes the ranking metrics against test
// accuracy; ranks are the global test ranks (Features.TestRanks).
func Evaluate(m *Model, f *Features, idx []int, ranks []int) (*Evaluation, error) {
	tiers := TierLabels(pick(f.Val, idx), m.Cfg.NTier)
	c, err := m.classify(f, idx, tiers, true)
	if err != nil {
		return nil, err
	}
	ev, err := EvaluateScores(f, idx, ranks, c.scores)
	if err != nil {
		return nil, err
	}
	ev.TierAcc = c.tierAcc
	return ev, nil
}

// EvaluateScores computes the ranking metrics of scores (one per element of
// idx) against test accuracy; TierAcc is left zero.
func EvaluateScores(f *Features, idx []int, ranks []int, scores []float64) (*Evaluation, error) {
	if len(scores) != len(idx) {
		return nil, fmt.Errorf("ranker: evaluate: %d scores for %d architectures", len(scores), len(idx))
	}
	if len(idx) == 0 {
		return nil, errors.New("ranker: evaluate: no architectures")
	}
	test := pick(f.Test, idx)
	ev := &Evaluation{N: len(idx), Scores: scores, K: TopOnePercent(len(idx))}
	var err error
	if ev.KendallTau, err = KendallTauB(scores, test); err != nil {
		return nil, err
	}
	if ev.KendallTauNAR, err = KendallTauNAR(scores, test); err != nil {
		return nil, err
	}
	if ev.SpearmanRho, err = SpearmanRho(scores, test); err != nil {
		return nil, err
	}
	if ev.PrecisionTop1, err = PrecisionAtK(scores, test, ev.K); err != nil {
		return nil, err
	}
	bk := argmax(scores)
	i := idx[bk]
	rec, _ := f.Table().Record(i, f.Dataset)
	ev.Best = Pick{Index: i, Arch: rec.Arch, ValAcc: f.Val[i], TestAcc: f.Test[i], Rank: ranks[i],
		Percentile: 100 * float64(ranks[i]) / float64(f.Len()), Score: scores[bk], Iteration: -1}
	return ev, nil
}
