package kernel

import (
	"math"
	"runtime"
)

// Batch normalisation over (N, C, HW) and layer normalisation over the last axis. Statistics are accumulated in
// float64 whatever the element type, and variances are computed in two passes (mean first, then the mean of the
// squared deviations), which is what keeps float32 results within 1e-6 of PyTorch's.

// BatchNormStats writes the per-channel mean and the biased variance (divided by N·HW) of x, laid out as
// (n, c, hw), into mean and variance (length c each). Channels are spread over the cores.
func BatchNormStats[T Float](mean, variance []float64, x []T, n, c, hw int) {
	ParallelFor(c, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			mean[ch], variance[ch], _, _ = channelSums(x, nil, n, c, hw, ch)
		}
	})
}

// channelSums returns, for channel ch of x (n, c, hw), the mean and biased variance and, when dy is non-nil,
// Σ dy and Σ dy·(x − mean), all in one pass. It sums in float64 around a shift K (the channel's first value),
// so that Σ(x−K)² − (Σ(x−K))²/m does not cancel catastrophically when |mean| ≫ std (the shifted-data
// algorithm for the variance).
func channelSums[T Float](x, dy []T, n, c, hw, ch int) (mean, variance, sdy, sdyxc float64) {
	m := float64(n * hw)
	k := float64(x[ch*hw])
	// Two interleaved sets of accumulators halve the loop-carried add chains.
	var s0, q0, g0, gx0, s1, q1, g1, gx1 float64
	for i := 0; i < n; i++ {
		off := (i*c + ch) * hw
		xs := x[off : off+hw]
		if dy == nil {
			j := 0
			for ; j+2 <= len(xs); j += 2 {
				d0, d1 := float64(xs[j])-k, float64(xs[j+1])-k
				s0 += d0
				q0 += d0 * d0
				s1 += d1
				q1 += d1 * d1
			}
			for ; j < len(xs); j++ {
				d0 := float64(xs[j]) - k
				s0 += d0
				q0 += d0 * d0
			}
			continue
		}
		gs := dy[off : off+hw][:len(xs)]
		j := 0
		for ; j+2 <= len(xs); j += 2 {
			d0, d1 := float64(xs[j])-k, float64(xs[j+1])-k
			e0, e1 := float64(gs[j]), float64(gs[j+1])
			s0 += d0
			q0 += d0 * d0
			g0 += e0
			gx0 += e0 * d0
			s1 += d1
			q1 += d1 * d1
			g1 += e1
			gx1 += e1 * d1
		}
		for ; j < len(xs); j++ {
			d0, e0 := float64(xs[j])-k, float64(gs[j])
			s0 += d0
			q0 += d0 * d0
			g0 += e0
			gx0 += e0 * d0
		}
	}
	s, q, sg, sgx := s0+s1, q0+q1, g0+g1, gx0+gx1
	ds := s / m
	mean = k + ds
	variance = max(q/m-ds*ds, 0)
	// Σ dy·(x − mean) = Σ dy·(x − K) − (mean − K)·Σ dy.
	return mean, variance, sg, sgx - ds*sg
}

// BatchNormApply writes dst = (x − mean)/sqrt(variance + eps)·gamma + beta per channel, for x laid out as
// (n, c, hw). gamma and beta may be nil (no affine transform: gamma = 1, beta = 0). mean and variance are
// the statistics to normalise with: the batch's in training, the running ones in evaluation.
func BatchNormApply[T Float](dst, x []T, n, c, hw int, mean, variance []float64, gamma, beta []T, eps float64) {
	ParallelFor(n*c, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			ch := p % c
			scale := 1 / math.Sqrt(variance[ch]+eps)
			shift := -mean[ch] * scale
			if gamma != nil {
				scale *= float64(gamma[ch])
				shift *= float64(gamma[ch])
			}
			if beta != nil {
				shift += float64(beta[ch])
			}
			s, b := T(scale), T(shift)
			d := dst[p*hw : (p+1)*hw]
			for i, v := range x[p*hw : (p+1)*hw] {
				d[i] = v*s + b
			}
		}
	})
}

// BatchNormBackward computes the gradients of BatchNormApply for x laid out as (n, c, hw), given dy.
// mean and variance are the statistics the forward pass normalised with; when they are nil the batch's own
// statistics are recomputed from x in the same pass that sums dy (the stateless training backward). When
// batchStats is true the statistics are the batch's own (training), so dx carries the terms through the mean
// and the variance: dx = gamma·rstd·(dy − mean(dy) − x̂·mean(dy·x̂)); otherwise (evaluation, running
// statistics) dx = gamma·rstd·dy. dx, dgamma and dbeta may each be nil to skip that gradient; gamma may be
// nil (no affine transform). dgamma = Σ dy·x̂ and dbeta = Σ dy over N and HW.
func BatchNormBackward[T Float](dx, dgamma, dbeta []T, x, dy []T, n, c, hw int, mean, variance []float64, gamma []T, eps float64, batchStats bool) {
	m := float64(n * hw)
	ParallelFor(c, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var mu, vr, sdy, sdyx float64
			if mean == nil {
				mu, vr, sdy, sdyx = channelSums(x, dy, n, c, hw, ch)
			} else {
				mu, vr = mean[ch], variance[ch]
				for i := 0; i < n; i++ {
					off := (i*c + ch) * hw
					xs, gs := x[off:off+hw], dy[off:off+hw]
					for j, g := range gs {
						sdy += float64(g)
						sdyx += float64(g) * (float64(xs[j]) - mu)
					}
				}
			}
			rstd := 1 / math.Sqrt(vr+eps)
			sdyx *= rstd // Σ dy·x̂
			if dgamma != nil {
				dgamma[ch] = T(sdyx)
			}
			if dbeta != nil {
				dbeta[ch] = T(sdy)
			}
			if dx == nil {
				continue
			}
			g := 1.0
			if gamma != nil {
				g = float64(gamma[ch])
			}
			k := g * rstd
			if !batchStats {
				kt := T(k)
				for i := 0; i < n; i++ {
					off := (i*c + ch) * hw
					d := dx[off : off+hw]
					for j, v := range dy[off : off+hw] {
						d[j] = v * kt
					}
				}
				continue
			}
			// dx = k·dy − k·mean(dy) − k·x̂·mean(dy·x̂), with x̂ = (x − mu)·rstd, as a·dy + b·(x − mu) + c0; x − mu
			// is formed first so that a large mean cannot cancel in float32.
			at, bt, ct, mt := T(k), T(-k*sdyx/m*rstd), T(-k*sdy/m), T(mu)
			for i := 0; i < n; i++ {
				off := (i*c + ch) * hw
				d, xs := dx[off:off+hw], x[off:off+hw]
				for j, v := range dy[off : off+hw] {
					d[j] = at*v + bt*(xs[j]-mt) + ct
				}
			}
		}
	})
}

// LayerNorm normalises each row of x, laid out as (rows, d), over its d entries:
// dst = (x − mean)/sqrt(var + eps)·weight + bias, with the biased variance. weight and bias (length d) may be
// nil. When mean and rstd (length rows) are non-nil, the row means and reciprocal standard deviations are
// stored there. Statistics are accumulated in float64; the per-element arithmetic is in T.
func LayerNorm[T Float](dst, x []T, rows, d int, weight, bias []T, eps float64, mean, rstd []float64) {
	ParallelFor(rows, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xs, ys := x[r*d:(r+1)*d], dst[r*d:(r+1)*d]
			mu, rs := rowStats(xs, eps)
			if mean != nil {
				mean[r], rstd[r] = mu, rs
			}
			a, c := T(rs), T(-mu*rs)
			switch {
			case weight != nil && bias != nil:
				w, b := weight[:len(xs)], bias[:len(xs)]
				for j, v := range xs {
					ys[j] = (v*a+c)*w[j] + b[j]
				}
			case weight != nil:
				w := weight[:len(xs)]
				for j, v := range xs {
					ys[j] = (v*a + c) * w[j]
				}
			default:
				for j, v := range xs {
					ys[j] = v*a + c
				}
				if bias != nil {
					b := bias[:len(xs)]
					for j := range ys {
						ys[j] += b[j]
					}
				}
			}
		}
	})
}

// rowStats returns the mean and 1/sqrt(var+eps) of xs (biased variance), in one float64 pass around the
// shift xs[0] (see channelSums).
func rowStats[T Float](xs []T, eps float64) (float64, float64) {
	k := float64(xs[0])
	var s, q float64
	for _, v := range xs {
		e := float64(v) - k
		s += e
		q += e * e
	}
	n := float64(len(xs))
	ds := s / n
	return k + ds, 1 / math.Sqrt(max(q/n-ds*ds, 0)+eps)
}

// LayerNormBackward computes the gradients of LayerNorm for x laid out as (rows, d), given dy. It recomputes
// the row statistics from x. With g = dy·weight (dy when weight is nil):
// dx = rstd·(g − mean(g) − x̂·mean(g·x̂)), dweight = Σ_rows dy·x̂, dbias = Σ_rows dy. Any of dx, dweight and
// dbias may be nil to skip it.
func LayerNormBackward[T Float](dx, dweight, dbias []T, x, dy []T, rows, d int, weight []T, eps float64) {
	if dx != nil {
		ParallelFor(rows, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				xs, gs, out := x[r*d:(r+1)*d], dy[r*d:(r+1)*d], dx[r*d:(r+1)*d]
				// One pass for the row statistics and Σ g, Σ g·(x − K) around the shift K = x[0], g = dy·weight.
				k := float64(xs[0])
				var sx, qx, sg, sgk float64
				for j, v := range gs {
					g := float64(v)
					if weight != nil {
						g *= float64(weight[j])
					}
					e := float64(xs[j]) - k
					sx += e
					qx += e * e
					sg += g
					sgk += g * e
				}
				n := float64(d)
				dm := sx / n
				mu := k + dm
				rs := 1 / math.Sqrt(max(qx/n-dm*dm, 0)+eps)
				sgx := sgk - dm*sg // Σ g·(x − mu)
				// dx = rs·g − rs·Σg/n − rs³·(x − mu)·Σg(x−mu)/n = a·g + b·(x − mu) + c; x − mu is formed first
				// so that a large mean cannot cancel in float32.
				at, bt, ct, mt := T(rs), T(-rs*rs*rs*sgx/n), T(-rs*sg/n), T(mu)
				xr, o := xs[:len(gs)], out[:len(gs)]
				if weight == nil {
					for j, v := range gs {
						o[j] = at*v + bt*(xr[j]-mt) + ct
					}
					continue
				}
				w := weight[:len(gs)]
				for j, v := range gs {
					o[j] = at*(v*w[j]) + bt*(xr[j]-mt) + ct
				}
			}
		})
	}
	if dweight == nil && dbias == nil {
		return
	}
	// Column sums: each worker accumulates its block of rows into its own float64 buffers, then they are added.
	workers := min(runtime.GOMAXPROCS(0), rows)
	if workers < 1 {
		workers = 1
	}
	partW := make([]float64, workers*d)
	partB := make([]float64, workers*d)
	ParallelFor(workers, func(lo, hi int) {
		for w := lo; w < hi; w++ {
			pw, pb := partW[w*d:(w+1)*d], partB[w*d:(w+1)*d]
			for r := w * rows / workers; r < (w+1)*rows/workers; r++ {
				xs, gs := x[r*d:(r+1)*d], dy[r*d:(r+1)*d]
				mu, rs := rowStats(xs, eps)
				for j, v := range gs {
					g := float64(v)
					pw[j] += g * (float64(xs[j]) - mu) * rs
					pb[j] += g
				}
			}
		}
	})
	for j := 0; j < d; j++ {
		var sw, sb float64
		for w := 0; w < workers; w++ {
			sw += partW[w*d+j]
			sb += partB[w*d+j]
		}
		if dweight != nil {
			dweight[j] = T(sw)
		}
		if dbias != nil {
			dbias[j] = T(sb)
		}
	}
}
