package ranker

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Scorer runs the ranker on one batch of architectures in search mode.
type Scorer interface {
	// ScoreBatch returns each architecture's predicted tier (0 = best) and
	// score-head value, and updates the scorer's search-time tier
	// embeddings with the predicted tiers (NAR classify_enc_emb_by_pred).
	ScoreBatch(idx []int) (tiers []int, scores []float64, err error)
}

// SearchConfig holds the search settings (NAR:config*.yml, sampler section
// and train.py).
type SearchConfig struct {
	// Iterations is the number of sampling iterations: 50.
	Iterations int `json:"iterations"`
	// SampleSize is the batch size of one iteration (NB101 256, NB201 128).
	SampleSize int `json:"sample_size"`
	// NoisyFactor is the share of each batch filled with uniformly random
	// architectures of the whole benchmark: 0.5.
	NoisyFactor float64 `json:"noisy_factor"`
	// TopK lists the k of the top-k picks (NB101 1,3,5,7,10; NB201 1,5).
	TopK []int `json:"top_k"`
}

// Validate reports every bad field.
func (c SearchConfig) Validate() error {
	var errs []error
	if c.Iterations <= 0 {
		errs = append(errs, fmt.Errorf("search.iterations: got %d, want > 0", c.Iterations))
	}
	if c.SampleSize <= 0 {
		errs = append(errs, fmt.Errorf("search.sample_size: got %d, want > 0", c.SampleSize))
	}
	if c.NoisyFactor < 0 || c.NoisyFactor > 1 {
		errs = append(errs, fmt.Errorf("search.noisy_factor: got %g, want in [0, 1]", c.NoisyFactor))
	}
	if len(c.TopK) == 0 || c.TopK[0] != 1 {
		errs = append(errs, fmt.Errorf("search.top_k: got %v, want a list starting with 1", c.TopK))
	}
	for i, k := range c.TopK {
		if k <= 0 || (i > 0 && k <= c.TopK[i-1]) {
			errs = append(errs, fmt.Errorf("search.top_k: got %v, want increasing values > 0", c.TopK))
			break
		}
	}
	return errors.Join(errs...)
}

// Pick is one architecture the search reports.
type Pick struct {
	Index   int     `json:"index"`
	Arch    string  `json:"arch"`
	ValAcc  float64 `json:"val_acc"`
	TestAcc float64 `json:"test_acc"`
	// Rank is the global rank by test accuracy, 1 = best.
	Rank int `json:"rank"`
	// Percentile is Rank / N · 100.
	Percentile float64 `json:"percentile"`
	// Score is the score-head value.
	Score float64 `json:"score"`
	// Iteration is the 0-based search iteration that produced it.
	Iteration int `json:"iteration"`
}

// IterResult is one search iteration.
type IterResult struct {
	// Sampled is the number of sampler draws that succeeded; the rest of
	// the batch was noise.
	Sampled int `json:"sampled"`
	// PredTier1 is the number of architectures predicted as tier 1.
	PredTier1 int `json:"pred_tier1"`
	// Best[k] is the best true pick among the top-TopK[k] tier-1
	// architectures by score, nil when fewer than TopK[k] were predicted
	// tier 1.
	Best []*Pick `json:"best"`
}

// TopKResult is the reference's report for one k: the best of the
// iterations' top-k picks (by true test accuracy, i.e. with oracle
// knowledge), and the mean over the iterations that had a pick.
type TopKResult struct {
	K           int     `json:"k"`
	Best        *Pick   `json:"best"`
	MeanTestAcc float64 `json:"mean_test_acc"`
	Iterations  int     `json:"iterations"`
}

// SearchResult is the outcome of Search.
type SearchResult struct {
	// TopK is the reference's "[Result] Top-k Best Arch" per k.
	TopK []TopKResult `json:"top_k"`
	// Found is TopK[0].Best: the best of the top-1 picks (oracle).
	Found *Pick `json:"found"`
	// Queries is the number of distinct architectures whose test accuracy
	// the reference's report reads: the union of all top-k picks.
	Queries int `json:"queries"`
	// Pick is the non-oracle pick: the sampled architecture with the highest
	// predicted score over all iterations.
	Pick Pick `json:"pick"`
	// Distinct is the number of distinct architectures scored.
	Distinct   int          `json:"distinct"`
	Iterations []IterResult `json:"iterations"`
}

// Search runs NAR's tier-guided search (NAR:train.py, process/sample*.py):
// the distri list (per-batch tier statistics of the best checkpoint's epoch)
// is shuffled; iteration it uses distri[it / ceil(Iterations/len(distri))];
// each iteration draws SampleSize·(1−NoisyFactor) architectures with the
// sampler, fills the batch to SampleSize with uniformly random benchmark
// architectures, runs the scorer, keeps those predicted tier 1, ranks them
// by score and records the best true test accuracy among the top-k. ranks
// holds each architecture's global test rank (Features.TestRanks). seed
// drives the shuffle and the noise.
func Search(ctx context.Context, cfg SearchConfig, f *Features, ranks []int, distri []Distri, s Sampler, sc Scorer, seed uint64, progress func(it int)) (*SearchResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(distri) == 0 {
		return nil, errors.New("ranker: search: no tier statistics (the checkpoint holds an empty distri list)")
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	dl := append([]Distri(nil), distri...)
	rng.Shuffle(len(dl), func(i, j int) { dl[i], dl[j] = dl[j], dl[i] })
	per := (cfg.Iterations + len(dl) - 1) / len(dl)
	nSample := int(float64(cfg.SampleSize) * (1 - cfg.NoisyFactor))
	n := f.Len()
	res := &SearchResult{Pick: Pick{Score: math.Inf(-1)}}
	queried := map[int]bool{}
	scored := map[int]bool{}
	mk := func(i, it int, score float64) *Pick {
		rec, err := f.Table().Record(i, f.Dataset)
		arch := ""
		if err == nil {
			arch = rec.Arch
		}
		return &Pick{Index: i, Arch: arch, ValAcc: f.Val[i], TestAcc: f.Test[i], Rank: ranks[i],
			Percentile: 100 * float64(ranks[i]) / float64(n), Score: score, Iteration: it}
	}
	sums := make([]float64, len(cfg.TopK))
	res.TopK = make([]TopKResult, len(cfg.TopK))
	for it := range cfg.Iterations {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d := dl[min(it/per, len(dl)-1)]
		batch := s.SampleBatch(d, nSample)
		ir := IterResult{Sampled: len(batch), Best: make([]*Pick, len(cfg.TopK))}
		for len(batch) < cfg.SampleSize {
			batch = append(batch, rng.IntN(n))
		}
		tiers, scores, err := sc.ScoreBatch(batch)
		if err != nil {
			return nil, fmt.Errorf("ranker: search iteration %d: %w", it, err)
		}
		var top []int
		for k, i := range batch {
			scored[i] = true
			if scores[k] > res.Pick.Score {
				res.Pick = *mk(i, it, scores[k])
			}
			if tiers[k] == 0 {
				top = append(top, k)
			}
		}
		ir.PredTier1 = len(top)
		sort.SliceStable(top, func(a, b int) bool { return scores[top[a]] > scores[top[b]] })
		for ki, kk := range cfg.TopK {
			if len(top) < kk {
				continue
			}
			var best *Pick
			for _, k := range top[:kk] {
				i := batch[k]
				queried[i] = true
				if best == nil || f.Test[i] > best.TestAcc {
					best = mk(i, it, scores[k])
				}
			}
			ir.Best[ki] = best
			tk := &res.TopK[ki]
			tk.Iterations++
			sums[ki] += best.TestAcc
			if tk.Best == nil || best.TestAcc > tk.Best.TestAcc {
				tk.Best = best
			}
		}
		res.Iterations = append(res.Iterations, ir)
		if progress != nil {
			progress(it + 1)
		}
	}
	for ki, kk := range cfg.TopK {
		res.TopK[ki].K = kk
		if res.TopK[ki].Iterations > 0 {
			res.TopK[ki].MeanTestAcc = sums[ki] / float64(res.TopK[ki].Iterations)
		}
	}
	res.Found = res.TopK[0].Best
	res.Queries = len(queried)
	res.Distinct = len(scored)
	return res, nil
}
