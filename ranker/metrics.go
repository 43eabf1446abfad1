package ranker

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// errLen is returned by metrics given slices of different lengths.
var errLen = errors.New("ranker: metric inputs differ in length")

// KendallTauB returns Kendall's τ-b of x and y, with ties handled as τ-b
// does: (n_c − n_d) / sqrt((n0 − n1)(n0 − n2)), where n1 and n2 count the
// pairs tied in x and in y. It runs in O(n log n) (Knight, 1966: sort by x
// then y, count discordant pairs as the swaps of a merge sort on y). It
// returns NaN when either input is constant.
func KendallTauB(x, y []float64) (float64, error) {
	n := len(x)
	if len(y) != n {
		return 0, errLen
	}
	if n < 2 {
		return math.NaN(), nil
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool {
		i, j := idx[a], idx[b]
		if x[i] != x[j] {
			return x[i] < x[j]
		}
		return y[i] < y[j]
	})
	// n1: pairs tied in x; n3: pairs tied in both.
	var n1, n3 int64
	for a := 0; a < n; {
		b := a + 1
		for b < n && x[idx[b]] == x[idx[a]] {
			b++
		}
		n1 += pairs(b - a)
		for c := a; c < b; {
			d := c + 1
			for d < b && y[idx[d]] == y[idx[c]] {
				d++
			}
			n3 += pairs(d - c)
			c = d
		}
		a = b
	}
	ys := make([]float64, n)
	for k, i := range idx {
		ys[k] = y[i]
	}
	swaps := mergeCount(ys, make([]float64, n))
	// ys is now sorted: n2 counts pairs tied in y.
	var n2 int64
	for a := 0; a < n; {
		b := a + 1
		for b < n && ys[b] == ys[a] {
			b++
		}
		n2 += pairs(b - a)
		a = b
	}
	n0 := pairs(n)
	// Knight: n_c − n_d = n0 − n1 − n2 + n3 − 2·swaps.
	num := float64(n0 - n1 - n2 + n3 - 2*swaps)
	den := math.Sqrt(float64(n0-n1)) * math.Sqrt(float64(n0-n2))
	if den == 0 {
		return math.NaN(), nil
	}
	return num / den, nil
}

func pairs(k int) int64 { return int64(k) * int64(k-1) / 2 }

// mergeCount sorts v ascending and returns the number of pairs i<j with
// v[i] > v[j] (strict inversions), using buf as scratch.
func mergeCount(v, buf []float64) int64 {
	n := len(v)
	if n < 2 {
		return 0
	}
	m := n / 2
	c := mergeCount(v[:m], buf[:m]) + mergeCount(v[m:], buf[m:])
	i, j, k := 0, m, 0
	for i < m && j < n {
		if v[j] < v[i] {
			buf[k] = v[j]
			c += int64(m - i)
			j++
		} else {
			buf[k] = v[i]
			i++
		}
		k++
	}
	k += copy(buf[k:], v[i:m])
	copy(buf[k:], v[j:n])
	copy(v, buf[:n])
	return c
}

// KendallTauNAR returns the reference's τ (NAR:utils/metric.py,
// compute_kendall_tau): Σ_{i<j} sign(p_i−p_j)·sign(t_i−t_j) / (n(n−1)/2)
// with sign(0) = +1, so ties count as concordant. It is O(n²): 107 M pairs
// for the 14,625 held-out NB201 cells, well under a second.
func KendallTauNAR(p, t []float64) (float64, error) {
	n := len(p)
	if len(t) != n {
		return 0, errLen
	}
	if n < 2 {
		return math.NaN(), nil
	}
	var s int64
	for i := 0; i < n; i++ {
		pi, ti := p[i], t[i]
		for j := i + 1; j < n; j++ {
			if (pi-p[j] >= 0) == (ti-t[j] >= 0) {
				s++
			} else {
				s--
			}
		}
	}
	return float64(s) / float64(pairs(n)), nil
}

// SpearmanRho returns Spearman's ρ: the Pearson correlation of the average
// ranks of x and y (ties get the mean of their positions, as
// scipy.stats.spearmanr). It returns NaN when either input is constant.
func SpearmanRho(x, y []float64) (float64, error) {
	if len(x) != len(y) {
		return 0, errLen
	}
	if len(x) < 2 {
		return math.NaN(), nil
	}
	return pearson(avgRanks(x), avgRanks(y)), nil
}

// avgRanks returns the 1-based ranks of v (ascending), ties averaged.
func avgRanks(v []float64) []float64 {
	n := len(v)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	r := make([]float64, n)
	for a := 0; a < n; {
		b := a + 1
		for b < n && v[idx[b]] == v[idx[a]] {
			b++
		}
		avg := float64(a+b+1) / 2 // mean of positions a+1..b
		for k := a; k < b; k++ {
			r[idx[k]] = avg
		}
		a = b
	}
	return r
}

func pearson(x, y []float64) float64 {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}

// PrecisionAtK returns |top-k by pred ∩ top-k by truth| / k, the share of the
// truly best k that the predicted best k recover. Ties at the cut are broken
// by index order (a stable sort), for both lists.
func PrecisionAtK(pred, truth []float64, k int) (float64, error) {
	if len(pred) != len(truth) {
		return 0, errLen
	}
	if k <= 0 || k > len(pred) {
		return 0, fmt.Errorf("ranker: precision@k: k = %d, want 1..%d", k, len(pred))
	}
	top := make(map[int]bool, k)
	for _, i := range argsortDesc(truth)[:k] {
		top[i] = true
	}
	hit := 0
	for _, i := range argsortDesc(pred)[:k] {
		if top[i] {
			hit++
		}
	}
	return float64(hit) / float64(k), nil
}

// TopOnePercent returns k for precision@k at the top 1% of n items:
// max(1, floor(n/100)).
func TopOnePercent(n int) int { return max(1, n/100) }

// TierAccuracy returns the share of rows of logits (n × nTier, row-major)
// whose argmax (the first, on ties) equals the label (NAR:utils/metric.py,
// compute_accuracy).
func TierAccuracy(logits []float64, labels []int, nTier int) float64 {
	hit := 0
	for r, l := range labels {
		if argmax(logits[r*nTier:(r+1)*nTier]) == l {
			hit++
		}
	}
	return float64(hit) / float64(len(labels))
}

func argmax[T float32 | float64](v []T) int {
	b := 0
	for i := range v {
		if v[i] > v[b] {
			b = i
		}
	}
	return b
}

// RankLoss is ReNAS' pairwise ranking loss as NAR uses it
// (NAR:utils/loss_ops.py): mean over ordered pairs i≠j of
// log(1 + exp(−(s_i − s_j)·sign(y_i − y_j))), normaliser B(B−1), with
// sign(0) = 0 as torch.sign. It is the plain-Go reference the model's loss is
// tested against.
func RankLoss(s, y []float64) float64 {
	b := len(s)
	var sum float64
	for i := range b {
		for j := range b {
			if i == j {
				continue
			}
			sg := 0.0
			if y[i] > y[j] {
				sg = 1
			} else if y[i] < y[j] {
				sg = -1
			}
			sum += softplus(-(s[i] - s[j]) * sg)
		}
	}
	return sum / float64(b*(b-1))
}

// softplus returns log(1+exp(x)) without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// SoftCrossEntropy is NAR's CrossEntropyLossSoft: the batch mean of
// −Σ_c q_c·log_softmax(logits)_c, for logits and targets q given as n rows of
// nc values.
func SoftCrossEntropy(logits, q []float64, nc int) float64 {
	n := len(logits) / nc
	var sum float64
	for r := range n {
		l := logits[r*nc : (r+1)*nc]
		m := l[argmax(l)]
		var z float64
		for _, v := range l {
			z += math.Exp(v - m)
		}
		lz := m + math.Log(z)
		for c, v := range l {
			sum -= q[r*nc+c] * (v - lz)
		}
	}
	return sum / float64(n)
}
