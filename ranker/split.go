package ranker

import (
	"fmt"
	"sort"
)

// Split is a partition of a benchmark's indices into a training set, a
// validation set and the held-out rest.
type Split struct {
	Train, Val, Rest []int
}

// NewSplit draws a seeded permutation of 0..n-1 and takes the first
// trainSize indices for training and the next valSize for validation, as NAR
// does with torch.randperm(n, generator.manual_seed(seed))
// (NAR:dataset/*_dataset.py, train.py). The permutation is TorchRandperm, so
// a seed gives the reference's own split.
func NewSplit(n, trainSize, valSize int, seed uint64) (Split, error) {
	if trainSize <= 0 || valSize < 0 || trainSize+valSize > n {
		return Split{}, fmt.Errorf("ranker: split: train %d + val %d of %d architectures (want train > 0, val >= 0, sum <= %d)", trainSize, valSize, n, n)
	}
	if uint64(n) >= 1<<32 {
		return Split{}, fmt.Errorf("ranker: split: %d architectures, want < 2^32 (torch's 32-bit randperm path)", n)
	}
	perm := TorchRandperm(n, seed)
	return Split{
		Train: perm[:trainSize],
		Val:   perm[trainSize : trainSize+valSize],
		Rest:  perm[trainSize+valSize:],
	}, nil
}

// HeldOut returns every index not in the training set (validation + rest),
// sorted: the set the ranking metrics are computed on.
func (s Split) HeldOut() []int {
	out := make([]int, 0, len(s.Val)+len(s.Rest))
	out = append(out, s.Val...)
	out = append(out, s.Rest...)
	sort.Ints(out)
	return out
}

// TierLabels returns the tier (0 = best) of each element of a subset from its
// validation accuracies acc (NAR:dataset/subset.py, SplitSubet._sort): the
// subset is sorted by accuracy, descending (ties keep subset order, as a
// stable sort), and cut into nTier chunks of floor(N/nTier); the last tier
// takes the remainder. With fewer than nTier elements every chunk is empty
// and all go to the last tier, as the reference's slicing does.
func TierLabels(acc []float64, nTier int) []int {
	n := len(acc)
	order := argsortDesc(acc)
	step := n / nTier
	tiers := make([]int, n)
	for pos, i := range order {
		t := nTier - 1
		if step > 0 && pos/step < nTier-1 {
			t = pos / step
		}
		tiers[i] = t
	}
	return tiers
}

// argsortDesc returns the indices of v sorted by value, descending; equal
// values keep their order.
func argsortDesc(v []float64) []int {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] > v[idx[b]] })
	return idx
}

// pick returns v at the indices idx.
func pick(v []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for k, i := range idx {
		out[k] = v[i]
	}
	return out
}
