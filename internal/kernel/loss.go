package kernel

import "math"

// Softmax writes dst = softmax(x) over the last axis, for x laid out as (rows, d). With log true it writes
// log_softmax(x) instead. The row maximum is subtracted first, so large logits do not overflow; each element
// costs one exp.
func Softmax[T Float](dst, x []T, rows, d int, log bool) {
	ParallelFor(rows, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xs, ys := x[r*d:(r+1)*d], dst[r*d:(r+1)*d]
			mx := math.Inf(-1)
			for _, v := range xs {
				mx = math.Max(mx, float64(v))
			}
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

// logSumExp returns the maximum m of xs and log Σ exp(x − m), so that logsumexp(xs) = m + the second value.
func logSumExp[T Float](xs []T) (float64, float64) {
	mx := math.Inf(-1)
	for _, v := range xs {
		mx = math.Max(mx, float64(v))
	}
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
// that Σ mask ≠ 0; msum is that sum. When dpred or dtarget is non-nil it writes the gradients scaled by g:
// dpred = g·mask[r]·2(pred − target)/(d·Σ mask) and dtarget = −dpred.
func MaskedMSE[T Float](pred, target, mask []T, rows, d int, msum float64, dpred, dtarget []T, g float64) float64 {
	losses := make([]float64, rows)
	ParallelFor(rows, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			ps, ts := pred[r*d:(r+1)*d], target[r*d:(r+1)*d]
			m := float64(mask[r])
			var s float64
			for j, v := range ps {
				e := float64(v) - float64(ts[j])
				s += e * e
			}
			losses[r] = m * s / float64(d)
			k := g * m * 2 / (float64(d) * msum)
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
	var s float64
	for _, l := range losses {
		s += l
	}
	return s / msum
}
