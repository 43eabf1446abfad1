package kernel

import "math"

// Softmax writes dst = softmax(x) over the last axis, for x laid out as (rows, d). With log true it writes
// log_softmax(x) instead. The row maximum is subtracted first, so large logits do not overflow; each element
// costs one exp (expf for float32, math.Exp for float64).
func Softmax[T Float](dst, x []T, rows, d int, log bool) {
	ParallelFor(rows, func(lo, hi int) {
		switch ds := any(dst[lo*d : hi*d]).(type) {
		case []float32:
			softmax32(ds, any(x[lo*d:hi*d]).([]float32), d, log)
			return
		}
		for r := lo; r < hi; r++ {
			xs, ys := x[r*d:(r+1)*d], dst[r*d:(r+1)*d]
			mx := float64(rowMax(xs))
			var s float64
			if log {
				for _, v := range xs {
					s += math.Exp(float64(v) - mx)
				}
				z := mx + math.Log(s)
				for j, v := range xs {
					ys[j] = T(float64(v) - z)
				}
				continue
			}
			for j, v := range xs {
				e := math.Exp(float64(v) - mx)
				ys[j] = T(e)
				s += e
			}
			inv := T(1 / s)
			for j := range ys {
				ys[j] *= inv
			}
		}
	})
}

// softmax32 is Softmax's float32 loop (rows of length d in x and dst) as a plain function with its own exp,
// written inline for t = x − max ∈ [−104, 0] (clamped below: e^−104 is under float32's smallest subnormal):
// t = −k·ln2 + r with |r| ≤ ln2/2, then e^r by its degree-7 Taylor polynomial (truncation below
// (ln2/2)^8/8! ≈ 5.5e-9, a tenth of a float32 ulp) times the exact 2^−k. No call, floor or range branch is
// left in the loop; it measured 1.6× faster in CPU time than math.Exp on this project's machine. A row
// holding a NaN gives NaN, as in torch.
//
// With AVX2, expRowAVX2 runs the exponentials of each row's first d&^3 elements four at a time, with the
// same operations in the same order, so the result is the same bit for bit (TestSoftmax32Vector).
func softmax32(dst, x []float32, d int, log bool) {
	store := 1
	if log {
		store = 0
	}
	for r := 0; r+d <= len(x); r += d {
		xs, ys := x[r:r+d], dst[r:r+d]
		mx := rowMax(xs)
		if hasNaN(xs) {
			for j := range ys {
				ys[j] = float32(math.NaN())
			}
			continue
		}
		m := float64(mx)
		var s0, s1 float64
		j0 := 0
		if useAVX2 && d >= 4 {
			j0 = d &^ 3
			acc := [2]float64{}
			expRowAVX2(&xs[0], j0, m, &ys[0], store, &acc, &expConsts)
			s0, s1 = acc[0], acc[1]
		}
		for j := j0; j < d; j++ {
			v := xs[j]
			t := max(float64(v)-m, -104)
			k := float64(int64(-t*log2e + 0.5)) // t = −k·ln2 + rr, |rr| ≤ ln2/2
			rr := t + k*ln2
			e := (1 + rr*(1+rr*(1.0/2+rr*(1.0/6+rr*(1.0/24+rr*(1.0/120+rr*(1.0/720+rr*(1.0/5040)))))))) *
				math.Float64frombits(uint64(1023-int64(k))<<52)
			if !log {
				ys[j] = float32(e)
			}
			if j&1 == 0 {
				s0 += e
			} else {
				s1 += e
			}
		}
		s := s0 + s1
		if log {
			z := m + math.Log(s)
			for j, v := range xs {
				ys[j] = float32(float64(v) - z)
			}
			continue
		}
		scale32(ys, ys, float32(1/s))
	}
}

// log2e and ln2 are softmax32's constants for e^t = 2^−k·e^r, t = −k·ln2 + r.
const log2e, ln2 = 1.4426950408889634, 0.6931471805599453

// expConsts are expRowAVX2's constants, each in four lanes: the clamp −104, −log2e, 1/2, ln2, the Horner
// coefficients 1/7! … 1/2! (1/2 again), 1, and the exponent bias 1023 as an int64.
var expConsts = func() (c [12][4]float64) {
	vals := [12]float64{-104, -log2e, 0.5, ln2, 1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 1.0 / 2, 1,
		math.Float64frombits(1023)}
	for i, v := range vals {
		c[i] = [4]float64{v, v, v, v}
	}
	return c
}()

// hasNaN reports whether xs holds a NaN.
func hasNaN(xs []float32) bool {
	for _, v := range xs {
		if v != v {
			return true
		}
	}
	return false
}

// logSumExp returns the maximum m of xs and log Σ exp(x − m), so that logsumexp(xs) = m + the second value.
func logSumExp[T Float](xs []T) (float64, float64) {
	mx := float64(rowMax(xs))
	var s float64
	for _, v := range xs {
		s += math.Exp(float64(v) - mx)
	}
	return mx, math.Log(s)
}

// SoftmaxBackward writes dx, the gradient of Softmax given its output y and dy, for (rows, d):
// softmax: dx = y·(dy − Σ dy·y); log_softmax: dx = dy − exp(y)·Σ dy.
func SoftmaxBackward[T Float](dx, y, dy []T, rows, d int, log bool) {
	ParallelFor(rows, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			ys, gs, out := y[r*d:(r+1)*d], dy[r*d:(r+1)*d], dx[r*d:(r+1)*d]
			if log {
				var s float64
				for _, g := range gs {
					s += float64(g)
				}
				for j, v := range ys {
					out[j] = T(float64(gs[j]) - math.Exp(float64(v))*s)
				}
				continue
			}
			s := dot(gs, ys)
			for j, v := range ys {
				out[j] = T(float64(v) * (float64(gs[j]) - s))
			}
		}
	})
}

// CrossEntropy returns the mean over rows of torch's CrossEntropyLoss(label_smoothing=eps) for logits laid
// out as (rows, c) and class indices target (each in [0, c), checked by the caller):
// loss_r = (1−eps)·(−log p[r, t_r]) + eps·mean_j(−log p[r, j]).
// When dlogits is non-nil it also writes the gradient of the mean loss scaled by g:
// dlogits = g/rows·(p − (1−eps)·onehot(t) − eps/c).
func CrossEntropy[T Float](logits []T, target []int, rows, c int, eps float64, dlogits []T, g float64) float64 {
	losses := make([]float64, rows)
	ParallelFor(rows, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xs := logits[r*c : (r+1)*c]
			mx, lse := logSumExp(xs)
			z := mx + lse
			t := target[r]
			nll := z - float64(xs[t])
			var sum float64
			for _, v := range xs {
				sum += z - float64(v)
			}
			losses[r] = (1-eps)*nll + eps*sum/float64(c)
			if dlogits == nil {
				continue
			}
			out := dlogits[r*c : (r+1)*c]
			k := g / float64(rows)
			for j, v := range xs {
				q := eps / float64(c)
				if j == t {
					q += 1 - eps
				}
				out[j] = T(k * (math.Exp(float64(v)-z) - q))
			}
		}
	})
	var s float64
	for _, l := range losses {
		s += l
	}
	return s / float64(rows)
}

// SoftCrossEntropy returns the mean over rows of −Σ_j q'[r,j]·log_softmax(x)[r,j] with soft targets q laid
// out like the logits (rows, c) and smoothed as torch does, q' = (1−eps)·q + eps/c. When dlogits or dq is
// non-nil it writes the gradients of the mean loss scaled by g:
// dlogits = g/rows·(p·Σ_j q' − q') and dq = −g/rows·(1−eps)·log p.
func SoftCrossEntropy[T Float](logits, q []T, rows, c int, eps float64, dlogits, dq []T, g float64) float64 {
	losses := make([]float64, rows)
	ParallelFor(rows, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xs, qs := logits[r*c:(r+1)*c], q[r*c:(r+1)*c]
			mx, lse := logSumExp(xs)
			z := mx + lse
			var l, sq float64
			for j, v := range xs {
				qj := (1-eps)*float64(qs[j]) + eps/float64(c)
				l -= qj * (float64(v) - z)
				sq += qj
			}
			losses[r] = l
			k := g / float64(rows)
			if dlogits != nil {
				out := dlogits[r*c : (r+1)*c]
				for j, v := range xs {
					qj := (1-eps)*float64(qs[j]) + eps/float64(c)
					out[j] = T(k * (math.Exp(float64(v)-z)*sq - qj))
				}
			}
			if dq != nil {
				out := dq[r*c : (r+1)*c]
				for j, v := range xs {
					out[j] = T(-k * (1 - eps) * (float64(v) - z))
				}
			}
		}
	})
	var s float64
	for _, l := range losses {
		s += l
	}
	return s / float64(rows)
}

// MaskedMSE returns Σ_r mask[r]·mean_j (pred[r,j] − target[r,j])² / Σ_r mask[r] for pred and target laid out
// as (rows, d) and one mask entry per row, as α-DARTS' utils.MaskMSE (norm_pix_loss off). The caller checks
// that Σ mask ≠ 0; msum is that sum. When dpred or dtarget is non-nil it writes only the gradients, scaled
// by g, and returns 0: dpred = g·mask[r]·2(pred − target)/(d·Σ mask) and dtarget = −dpred.
//
// Each row's squared error is one float64 sum in the order of j; the loss pass runs four rows' sums at once,
// so that the four chains of dependent additions overlap (one chain alone waits an add's latency per
// element), with the same value for every row.
func MaskedMSE[T Float](pred, target, mask []T, rows, d int, msum float64, dpred, dtarget []T, g float64) float64 {
	if dpred != nil || dtarget != nil {
		ParallelFor(rows, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				ps, ts := pred[r*d:(r+1)*d], target[r*d:(r+1)*d]
				k := g * float64(mask[r]) * 2 / (float64(d) * msum)
				if dpred != nil {
					out := dpred[r*d : (r+1)*d]
					for j, v := range ps {
						out[j] = T(k * (float64(v) - float64(ts[j])))
					}
				}
				if dtarget != nil {
					out := dtarget[r*d : (r+1)*d]
					for j, v := range ps {
						out[j] = T(-k * (float64(v) - float64(ts[j])))
					}
				}
			}
		})
		return 0
	}
	losses := make([]float64, rows)
	ParallelFor(rows, func(lo, hi int) {
		r := lo
		for ; r+4 <= hi; r += 4 {
			p0, p1, p2, p3 := pred[r*d:(r+1)*d], pred[(r+1)*d:(r+2)*d], pred[(r+2)*d:(r+3)*d], pred[(r+3)*d:(r+4)*d]
			t0, t1, t2, t3 := target[r*d:(r+1)*d], target[(r+1)*d:(r+2)*d], target[(r+2)*d:(r+3)*d], target[(r+3)*d:(r+4)*d]
			p1, p2, p3 = p1[:len(p0)], p2[:len(p0)], p3[:len(p0)]
			t0, t1, t2, t3 = t0[:len(p0)], t1[:len(p0)], t2[:len(p0)], t3[:len(p0)]
			var s0, s1, s2, s3 float64
			for j := range p0 {
				e0 := float64(p0[j]) - float64(t0[j])
				e1 := float64(p1[j]) - float64(t1[j])
				e2 := float64(p2[j]) - float64(t2[j])
				e3 := float64(p3[j]) - float64(t3[j])
				s0 += e0 * e0
				s1 += e1 * e1
				s2 += e2 * e2
				s3 += e3 * e3
			}
			losses[r] = float64(mask[r]) * s0 / float64(d)
			losses[r+1] = float64(mask[r+1]) * s1 / float64(d)
			losses[r+2] = float64(mask[r+2]) * s2 / float64(d)
			losses[r+3] = float64(mask[r+3]) * s3 / float64(d)
		}
		for ; r < hi; r++ {
			ps, ts := pred[r*d:(r+1)*d], target[r*d:(r+1)*d]
			var s float64
			for j, v := range ps {
				e := float64(v) - float64(ts[j])
				s += e * e
			}
			losses[r] = float64(mask[r]) * s / float64(d)
		}
	})
	var s float64
	for _, l := range losses {
		s += l
	}
	return s / msum
}

// RankLoss returns the pairwise logistic ranking loss of NAR (from ReNAS; algorithms.md B.3) for scores s and
// targets y of length n ≥ 2: mean over ordered pairs i ≠ j of log(1 + exp(−(s_i − s_j)·sign(y_i − y_j))), with
// the normaliser n(n−1); pairs with equal targets contribute log 2 and no gradient. When ds is non-nil it
// writes the gradient w.r.t. s scaled by g. The softplus is evaluated stably for large margins.
func RankLoss[T Float](s, y []T, ds []T, g float64) float64 {
	n := len(s)
	norm := float64(n * (n - 1))
	losses := make([]float64, n)
	ParallelFor(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			var l, gi float64
			for j := 0; j < n; j++ {
				if j == i {
					continue
				}
				sg := sign(float64(y[i]) - float64(y[j]))
				// Pairs (i, j) and (j, i) have the same z = −(s_i − s_j)·sign(y_i − y_j); row i sums the pairs
				// (i, j) for the loss, and both pairs' derivatives w.r.t. s_i: dz/ds_i = −sign in each.
				z := -(float64(s[i]) - float64(s[j])) * sg
				l += softplus(z)
				gi += -2 * sg * sigmoid(z)
			}
			losses[i] = l
			if ds != nil {
				ds[i] = T(g * gi / norm)
			}
		}
	})
	var sum float64
	for _, l := range losses {
		sum += l
	}
	return sum / norm
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// softplus returns log(1 + e^z) without overflow.
func softplus(z float64) float64 { return math.Max(z, 0) + math.Log1p(math.Exp(-math.Abs(z))) }

// sigmoid returns 1/(1 + e^−z) without overflow.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// rowMax returns the largest element of xs (−Inf for an empty row). A plain comparison, not math.Max: NaNs
// need no special care here because they reach every output through the exp sum anyway.
func rowMax[T Float](xs []T) T {
	mx := T(math.Inf(-1))
	for _, v := range xs {
		if v > mx {
			mx = v
		}
	}
	return mx
}
