package kernel

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
)

// MatMulDims describes one row-major matrix product C (m×n) = op(A)·op(B), where op transposes when the flag
// is set: A is stored (m×k), or (k×m) with TransA; B is stored (k×n), or (n×k) with TransB.
type MatMulDims struct {
	M, N, K        int
	TransA, TransB bool
}

// BatchedMatMul writes dst[b] = alpha·op(a[b])·op(b[b]) + beta·dst[b] for batch matrices stored one after the
// other (a: batch×m×k, b: batch×k×n, dst: batch×m×n, up to the transpositions of dims). Each product is one
// BLAS GEMM (blas32/blas64, so the implementation registered with blas32.Use/blas64.Use is used); the batch is
// spread over the cores. With beta = 0 the old contents of dst are ignored.
func BatchedMatMul[T Float](dst, a, b []T, batch int, dims MatMulDims, alpha, beta T) {
	sa, sb, sc := dims.M*dims.K, dims.K*dims.N, dims.M*dims.N
	one := func(i int) {
		bmmGemm(dims, alpha, a[i*sa:(i+1)*sa], b[i*sb:(i+1)*sb], beta, dst[i*sc:(i+1)*sc])
	}
	if batch == 1 {
		one(0) // a single large GEMM: gonum parallelises inside
		return
	}
	ParallelFor(batch, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			one(i)
		}
	})
}

// bmmGemm runs one row-major GEMM through blas32 or blas64 according to T.
func bmmGemm[T Float](dims MatMulDims, alpha T, a, b []T, beta T, c []T) {
	m, n, k := dims.M, dims.N, dims.K
	if m == 0 || n == 0 {
		return
	}
	ta, tb := blas.NoTrans, blas.NoTrans
	ra, ca, rb, cb := m, k, k, n
	if dims.TransA {
		ta, ra, ca = blas.Trans, k, m
	}
	if dims.TransB {
		tb, rb, cb = blas.Trans, n, k
	}
	switch cs := any(c).(type) {
	case []float32:
		blas32.Gemm(ta, tb, float32(alpha),
			blas32.General{Rows: ra, Cols: ca, Stride: max(ca, 1), Data: any(a).([]float32)},
			blas32.General{Rows: rb, Cols: cb, Stride: max(cb, 1), Data: any(b).([]float32)},
			float32(beta), blas32.General{Rows: m, Cols: n, Stride: n, Data: cs})
	case []float64:
		blas64.Gemm(ta, tb, float64(alpha),
			blas64.General{Rows: ra, Cols: ca, Stride: max(ca, 1), Data: any(a).([]float64)},
			blas64.General{Rows: rb, Cols: cb, Stride: max(cb, 1), Data: any(b).([]float64)},
			float64(beta), blas64.General{Rows: m, Cols: n, Stride: n, Data: cs})
	default:
		panic("kernel: BatchedMatMul supports []float32 and []float64 only")
	}
}

// ColumnSums writes dst[j] = Σ_r x[r, j] for x laid out as (rows, d); the bias gradient of Linear.
// Sums are accumulated in float64.
func ColumnSums[T Float](dst, x []T, rows, d int) {
	ParallelFor(d, func(lo, hi int) {
		acc := make([]float64, hi-lo)
		for r := 0; r < rows; r++ {
			for j, v := range x[r*d+lo : r*d+hi] {
				acc[j] += float64(v)
			}
		}
		for j, s := range acc {
			dst[lo+j] = T(s)
		}
	})
}

// AddRowVector adds v (length d) to every row of x laid out as (rows, d), in place; the bias of Linear.
func AddRowVector[T Float](x, v []T, rows, d int) {
	ParallelFor(rows, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := x[r*d : (r+1)*d]
			for j, b := range v {
				row[j] += b
			}
		}
	})
}
