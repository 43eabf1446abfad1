package kernel

import "math"

// grain is the number of elements below which elementwise kernels run on one goroutine: spreading fewer
// elements than this costs more in goroutine hand-offs than it saves.
const grain = 1 << 14

// parallelElems runs fn over [0, n) in parallel chunks when n is large enough to pay for it.
func parallelElems(n int, fn func(lo, hi int)) {
	if n < grain {
		fn(0, n)
		return
	}
	ParallelFor((n+grain-1)/grain, func(lo, hi int) {
		fn(lo*grain, min(hi*grain, n))
	})
}

// ReLU writes dst = max(x, 0). The float32 and float64 loops are branch-free (the sign bit masks the value):
// with signs that vary at random, a branch mispredicts about every other element and costs ~5 ns each.
func ReLU[T Float](dst, x []T) {
	parallelElems(len(x), func(lo, hi int) {
		switch d := any(dst[lo:hi]).(type) {
		case []float32:
			relu32(d, any(x[lo:hi]).([]float32))
		case []float64:
			relu64(d, any(x[lo:hi]).([]float64))
		default:
			d2 := dst[lo:hi]
			for i, v := range x[lo:hi] {
				d2[i] = max(v, 0)
			}
		}
	})
}

// relu32 and relu64 are ReLU's loops as plain (non-generic) functions, which the compiler optimises fully.
func relu32(d, x []float32) {
	d = d[:len(x)]
	if useAVX2 && len(x) >= 8 {
		m := len(x) &^ 7
		reluAVX2(&d[0], &x[0], m)
		d, x = d[m:], x[m:]
	}
	for i, v := range x {
		b := math.Float32bits(v)
		d[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
	}
}

func relu64(d, x []float64) {
	d = d[:len(x)]
	for i, v := range x {
		b := math.Float64bits(v)
		d[i] = math.Float64frombits(b &^ uint64(int64(b)>>63))
	}
}

// ReLUBackward writes dx = dy where x > 0 and 0 elsewhere (also at x = ±0), as torch's threshold_backward.
// Branch-free like ReLU: the mask is all ones exactly when x's bit pattern, read as a signed integer, is
// positive (x > 0 or a positive NaN).
func ReLUBackward[T Float](dx, x, dy []T) {
	parallelElems(len(x), func(lo, hi int) {
		switch d := any(dx[lo:hi]).(type) {
		case []float32:
			reluGrad32(d, any(x[lo:hi]).([]float32), any(dy[lo:hi]).([]float32))
		case []float64:
			reluGrad64(d, any(x[lo:hi]).([]float64), any(dy[lo:hi]).([]float64))
		default:
			d2, g := dx[lo:hi], dy[lo:hi]
			for i, v := range x[lo:hi] {
				if v > 0 {
					d2[i] = g[i]
				} else {
					d2[i] = 0
				}
			}
		}
	})
}

func reluGrad32(d, x, g []float32) {
	d, g = d[:len(x)], g[:len(x)]
	if useAVX2 && len(x) >= 8 {
		m := len(x) &^ 7
		reluGradAVX2(&d[0], &x[0], &g[0], m)
		d, x, g = d[m:], x[m:], g[m:]
	}
	for i, v := range x {
		b := int32(math.Float32bits(v))
		mask := uint32((-b)>>31) &^ uint32(b>>31) // −b < 0 ⇔ b > 0, except b = MinInt32 (−0), removed by the sign
		d[i] = math.Float32frombits(math.Float32bits(g[i]) & mask)
	}
}

func reluGrad64(d, x, g []float64) {
	d, g = d[:len(x)], g[:len(x)]
	for i, v := range x {
		b := int64(math.Float64bits(v))
		mask := uint64((-b)>>63) &^ uint64(b>>63)
		d[i] = math.Float64frombits(math.Float64bits(g[i]) & mask)
	}
}

// Clamp writes dst = min(max(x, lo), hi), the forward pass of both torch.clamp and nn.Hardtanh.
func Clamp[T Float](dst, x []T, lo, hi T) {
	parallelElems(len(x), func(a, b int) {
		d := dst[a:b]
		for i, v := range x[a:b] {
			switch {
			case v < lo:
				d[i] = lo
			case v > hi:
				d[i] = hi
			default:
				d[i] = v
			}
		}
	})
}

// ClampBackward writes the gradient of Clamp. PyTorch has two boundary conventions and both are offered:
// with inclusive true the gradient passes where lo <= x <= hi (torch.clamp's clamp_backward); with inclusive
// false it passes only where lo < x < hi (nn.Hardtanh's hardtanh_backward). Elsewhere dx = 0.
func ClampBackward[T Float](dx, x, dy []T, lo, hi T, inclusive bool) {
	parallelElems(len(x), func(a, b int) {
		d, g := dx[a:b], dy[a:b]
		for i, v := range x[a:b] {
			pass := v > lo && v < hi
			if inclusive {
				pass = v >= lo && v <= hi
			}
			if pass {
				d[i] = g[i]
			} else {
				d[i] = 0
			}
		}
	})
}

// WeightedSum writes dst = Σ_j w[j]·xs[j] (all xs of len(dst)); the fused sum of a DARTS mixed op. Each term
// is one SIMD axpy per chunk.
func WeightedSum[T Float](dst []T, w []T, xs [][]T) {
	v := vecFor[T]()
	parallelElems(len(dst), func(lo, hi int) {
		d := dst[lo:hi]
		if len(xs) == 0 {
			clear(d)
			return
		}
		w0 := w[0]
		for i, x := range xs[0][lo:hi] {
			d[i] = w0 * x
		}
		for j := 1; j < len(xs); j++ {
			v.axpy(hi-lo, w[j], xs[j][lo:hi], 1, d, 1)
		}
	})
}

// Dot returns Σ a[i]·b[i], accumulated in float64 and split over the cores for long vectors.
func Dot[T Float](a, b []T) float64 {
	n := len(a)
	if n < grain {
		return dot(a, b)
	}
	chunks := (n + grain - 1) / grain
	parts := make([]float64, chunks)
	ParallelFor(chunks, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			parts[c] = dot(a[c*grain:min((c+1)*grain, n)], b[c*grain:min((c+1)*grain, n)])
		}
	})
	var s float64
	for _, p := range parts {
		s += p
	}
	return s
}

// dot is the serial float64-accumulated dot product; four partial sums break the add dependency chain.
// float32 runs dotF64AVX2 (8 products per step, exact in float64) where the CPU has it.
func dot[T Float](a, b []T) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	if a32, ok := any(a).([]float32); ok && useAVX2 && len(a) >= 8 {
		i = len(a) &^ 7
		s0 = dotF64AVX2(&a32[0], &any(b).([]float32)[:len(a)][0], i)
	}
	for ; i+4 <= len(a); i += 4 {
		s0 += float64(a[i]) * float64(b[i])
		s1 += float64(a[i+1]) * float64(b[i+1])
		s2 += float64(a[i+2]) * float64(b[i+2])
		s3 += float64(a[i+3]) * float64(b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += float64(a[i]) * float64(b[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// Scale writes dst = s·x.
func Scale[T Float](dst, x []T, s T) {
	parallelElems(len(x), func(lo, hi int) {
		d := dst[lo:hi]
		if d32, ok := any(d).([]float32); ok {
			scale32(d32, any(x[lo:hi]).([]float32), float32(s))
			return
		}
		for i, v := range x[lo:hi] {
			d[i] = s * v
		}
	})
}

// MulBlocks writes dst[i] = x[i]·mask[i/block]: the mask has one entry per block of consecutive elements
// (block = 1 for dropout, block = the size of one sample for drop-path).
func MulBlocks[T Float](dst, x, mask []T, block int) {
	ParallelFor(len(mask), func(lo, hi int) {
		for b := lo; b < hi; b++ {
			m := mask[b]
			d := dst[b*block : (b+1)*block]
			for i, v := range x[b*block : (b+1)*block] {
				d[i] = v * m
			}
		}
	})
}
