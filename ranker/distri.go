package ranker

import (
	"errors"
	"fmt"
	"math"
)

// Hist is one tier's histogram of a batch statistic: Keys[b] is bin b's key
// (NAR's dict key) and Counts[b] its count. All tiers of one batch share the
// same keys, so their counts can be compared bin by bin.
type Hist struct {
	Keys   []int64   `json:"keys"`
	Counts []float64 `json:"counts"`
}

// Total returns the sum of the counts.
func (h Hist) Total() float64 {
	var s float64
	for _, c := range h.Counts {
		s += c
	}
	return s
}

// Distri is the tier statistics of one training batch
// (NAR:process/train_utils.py classify_tier_counts_by_target): for each tier,
// the histograms of params and FLOPs and, NB101, the counts of vertex numbers
// (NNodes) or, NB201, the summed op-type counts over the edges (Edges).
type Distri struct {
	Params []Hist `json:"params"`
	Flops  []Hist `json:"flops"`
	NNodes []Hist `json:"n_nodes,omitempty"`
	Edges  []Hist `json:"edges,omitempty"`
}

// BatchStats computes the Distri of one batch of architectures idx of f with
// ground-truth (or predicted) tiers, nTier tiers and bins histogram bins
// (NAR:sampler/prob_calculate.py):
//   - params: values ceil(params/1e3); bins equal-width bins from the batch
//     minimum to the batch maximum with step ceil((max−min)/bins); bin i
//     (1-based) holds (min+(i−1)·step, min+i·step], a value equal to min goes
//     into bin 1; its key is the upper edge in raw units, 1e3·(i·step+min);
//   - flops: the same with ceil(flops/1e6) and keys 1e6·(i·step+min);
//   - NB101 n_nodes: one key per integer from the batch min to max;
//   - NB201 edges: keys 0..4, the summed op counts of the tier's cells.
//
// When max = min the step is 0 and every value falls in bin 1, whose keys all
// coincide; the histogram then has that single bin, as the reference's dict
// (whose equal keys collapse) does.
func BatchStats(f *Features, idx, tiers []int, nTier, bins int) Distri {
	d := Distri{
		Params: valueHist(f.Params, idx, tiers, nTier, bins, 1e3),
		Flops:  valueHist(f.Flops, idx, tiers, nTier, bins, 1e6),
	}
	if f.NNodes != nil {
		lo, hi := math.MaxInt, math.MinInt
		for _, i := range idx {
			lo, hi = min(lo, f.NNodes[i]), max(hi, f.NNodes[i])
		}
		d.NNodes = newHists(nTier, hi-lo+1, func(b int) int64 { return int64(lo + b) })
		for k, i := range idx {
			d.NNodes[tiers[k]].Counts[f.NNodes[i]-lo]++
		}
	}
	if f.OpCounts != nil {
		d.Edges = newHists(nTier, 5, func(b int) int64 { return int64(b) })
		for k, i := range idx {
			for op, c := range f.OpCounts[i] {
				d.Edges[tiers[k]].Counts[op] += float64(c)
			}
		}
	}
	return d
}

func newHists(nTier, nb int, key func(b int) int64) []Hist {
	h := make([]Hist, nTier)
	for t := range h {
		h[t] = Hist{Keys: make([]int64, nb), Counts: make([]float64, nb)}
		for b := range nb {
			h[t].Keys[b] = key(b)
		}
	}
	return h
}

func valueHist(raw []int64, idx, tiers []int, nTier, bins int, unit float64) []Hist {
	v := make([]int64, len(idx))
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for k, i := range idx {
		v[k] = ceilDiv(raw[i], unit)
		lo, hi = min(lo, v[k]), max(hi, v[k])
	}
	step := int64(math.Ceil(float64(hi-lo) / float64(bins)))
	nb := bins
	if step == 0 {
		nb = 1
	}
	h := newHists(nTier, nb, func(b int) int64 { return int64(unit) * (int64(b+1)*step + lo) })
	for k := range idx {
		b := 0
		if step > 0 {
			b = int(math.Ceil(float64(v[k]-lo)/float64(step))) - 1
			b = max(0, min(b, nb-1))
		}
		h[tiers[k]].Counts[b]++
	}
	return h
}

// Distribution parameters of the reference (NAR:sampler/prob_calculate.py,
// select_distri called with top_tier=1, last_tier=4, batch_factor=0.1).
const (
	selectBatchFactor = 0.1
	selectFirstLast   = 3 // 0-based: tiers 4 and 5 are compared with tier 1
)

// SelectDistri is NAR's select_distri: it returns tier 0's counts normalised
// to probabilities when tier 0 holds at least 10% of the batch's count and
// its distribution differs enough from those of tiers 4 and 5, and nil
// otherwise (the caller then draws uniformly from tier 0's keys). "Differs"
// means KL(P₀‖P_j) ≥ thr for every j in {4, 5} (1-based), where P is the
// softmax of the raw counts and the KL is divided by the number of bins
// (F.kl_div(log_softmax(c_j), log_softmax(c_0), log_target=True,
// reduction="batchmean") on 1-D tensors).
func SelectDistri(tiers []Hist, thr float64) []float64 {
	first := tiers[0]
	var total float64
	for _, h := range tiers {
		total += h.Total()
	}
	c0 := first.Total()
	if c0 < selectBatchFactor*total {
		return nil
	}
	lp0 := logSoftmax(first.Counts)
	for j := selectFirstLast; j < len(tiers); j++ {
		lpj := logSoftmax(tiers[j].Counts)
		var kl float64
		for b := range lp0 {
			kl += math.Exp(lp0[b]) * (lp0[b] - lpj[b])
		}
		kl /= float64(len(lp0))
		if kl < thr {
			return nil
		}
	}
	p := make([]float64, len(first.Counts))
	for b, c := range first.Counts {
		p[b] = c / c0
	}
	return p
}

func logSoftmax(v []float64) []float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = max(m, x)
	}
	var z float64
	for _, x := range v {
		z += math.Exp(x - m)
	}
	lz := m + math.Log(z)
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x - lz
	}
	return out
}

// Validate checks that d has nTier histograms per statistic, each with as
// many counts as keys and at least one bin, as BatchStats builds them, so
// that a distri list read from a file cannot crash the sampler.
func (d Distri) Validate(nTier int) error {
	check := func(name string, hs []Hist, optional bool) error {
		if len(hs) == 0 && optional {
			return nil
		}
		if len(hs) != nTier {
			return fmt.Errorf("%s: %d tiers, want %d", name, len(hs), nTier)
		}
		for t, h := range hs {
			if len(h.Keys) == 0 || len(h.Keys) != len(h.Counts) {
				return fmt.Errorf("%s[%d]: %d keys and %d counts, want equal and > 0", name, t, len(h.Keys), len(h.Counts))
			}
			for b, c := range h.Counts {
				if c < 0 || math.IsNaN(c) || math.IsInf(c, 0) {
					return fmt.Errorf("%s[%d]: count %d is %v, want finite and >= 0", name, t, b, c)
				}
			}
		}
		return nil
	}
	if err := check("params", d.Params, false); err != nil {
		return err
	}
	if err := check("flops", d.Flops, false); err != nil {
		return err
	}
	if err := check("n_nodes", d.NNodes, true); err != nil {
		return err
	}
	if err := check("edges", d.Edges, true); err != nil {
		return err
	}
	if len(d.NNodes) == 0 && len(d.Edges) == 0 {
		return errors.New("neither n_nodes nor edges")
	}
	if len(d.Edges) > 0 && len(d.Edges[0].Keys) != 5 {
		return fmt.Errorf("edges: %d keys, want the 5 NB201 ops", len(d.Edges[0].Keys))
	}
	return nil
}
