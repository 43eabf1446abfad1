package kernel

import "gonum.org/v1/gonum/blas/gonum"

// vecOps are the level-1 vector operations of one element type, bound once per kernel call so that hot loops
// make no per-call type switches. float32 runs the AVX2/FMA assembly of simd_amd64.s where the CPU has it
// (unit strides), else gonum's native implementation (SSE assembly on amd64); float64 always runs gonum's.
// Neither is the swappable blas32/blas64 one: a cgo BLAS call costs more than these short vectors.
type vecOps[T Float] struct {
	// axpy computes y[i·incY] += alpha·x[i·incX] for i < n.
	axpy func(n int, alpha T, x []T, incX int, y []T, incY int)
	// dot returns Σ x[i·incX]·y[i·incY] for i < n.
	dot func(n int, x []T, incX int, y []T, incY int) T
	// axpyTaps computes y[i] += Σ_t a[t]·x[offs[t]+i] for i < len(y), taps in order, skipping a[t] = 0.
	axpyTaps func(y, a, x []T, offs []int)
	// setTaps is axpyTaps on a y of zeros: y[i] = Σ_t a[t]·x[offs[t]+i], whatever y held.
	setTaps func(y, a, x []T, offs []int)
	// taps2D is axpyTaps (acc) or setTaps on each of rows rows: y[r·ys+i] (+)= Σ_t a[t]·x[r·xs+offs[t]+i],
	// i < n.
	taps2D func(y []T, ys int, a, x []T, xs int, offs []int, rows, n int, acc bool)
	// copy2D copies rows rows of n elements from src (row stride ss) to dst (row stride ds), or max(·, 0)
	// of them with relu.
	copy2D func(dst []T, ds int, src []T, ss int, rows, n int, relu bool)
	// dotTaps2D writes out[t] = Σ_{r<rows} Σ_{i<n} y[r·ys+i]·x[r·xs+offs[t]+i] for every tap t.
	dotTaps2D func(out []T, y []T, ys int, x []T, xs int, offs []int, rows, n int)
}

var (
	vec32 = vecOps[float32]{
		axpy: func(n int, a float32, x []float32, incX int, y []float32, incY int) {
			if incX == 1 && incY == 1 {
				axpy32(a, x[:n], y[:n])
				return
			}
			gonum.Implementation{}.Saxpy(n, a, x, incX, y, incY)
		},
		dot: func(n int, x []float32, incX int, y []float32, incY int) float32 {
			if incX == 1 && incY == 1 {
				return dot32(x[:n], y[:n])
			}
			return gonum.Implementation{}.Sdot(n, x, incX, y, incY)
		},
		axpyTaps:  axpyTaps32,
		setTaps:   setTaps32,
		taps2D:    taps2D32,
		copy2D:    copy2D32,
		dotTaps2D: dotTaps2D32,
	}
	vec64 = vecOps[float64]{
		axpy: func(n int, a float64, x []float64, incX int, y []float64, incY int) {
			gonum.Implementation{}.Daxpy(n, a, x, incX, y, incY)
		},
		dot: func(n int, x []float64, incX int, y []float64, incY int) float64 {
			return gonum.Implementation{}.Ddot(n, x, incX, y, incY)
		},
		axpyTaps: axpyTaps64,
		setTaps: func(y, a, x []float64, offs []int) {
			clear(y)
			axpyTaps64(y, a, x, offs)
		},
		taps2D:    taps2D64,
		copy2D:    copy2D64,
		dotTaps2D: dotTaps2D64,
	}
)

// vecFor returns the vector operations for T, which must be exactly float32 or float64.
func vecFor[T Float]() vecOps[T] {
	var z T
	switch any(z).(type) {
	case float32:
		return any(vec32).(vecOps[T])
	case float64:
		return any(vec64).(vecOps[T])
	}
	panic("kernel: vector operations need float32 or float64")
}

func axpyTaps64(y, a, x []float64, offs []int) {
	for t, off := range offs {
		gonum.Implementation{}.Daxpy(len(y), a[t], x[off:off+len(y)], 1, y, 1)
	}
}
