package kernel

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
)

// bigGemm is the size m·n·k from which gemm hands float64 products over to the registered BLAS (gonum's
// blocked, possibly parallel Dgemm, or OpenBLAS). Below it, the per-sample convolution GEMMs of a float64
// gradient check run as plain row axpys/dots (smallGemm): no allocations, and full-length rows.
const bigGemm = 1 << 26

// gemm computes c = op(a)·op(b) + beta·c on row-major matrices. op(a) is m×k, op(b) is k×n, c is m×n. T must
// be exactly float32 or float64. float32 products with alpha 1 and beta 0 or 1, not both transposed, run on
// the register-blocked kernels of gemm32.go, in parallel when par is set and the product is large enough
// (callers already inside a ParallelFor pass false); float64 ones on smallGemm or the BLAS.
func gemm[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int, par bool) {
	if m == 0 || n == 0 {
		return
	}
	if c32, ok := any(c).([]float32); ok && alpha == 1 && (beta == 0 || beta == 1) && !(transA && transB) {
		gemm32(transA, transB, m, n, k, any(a).([]float32), lda, any(b).([]float32), ldb, beta == 1, c32, ldc, par)
		return
	}
	if m*n*k < bigGemm && alpha == 1 && (beta == 0 || beta == 1) && !(transA && transB) {
		smallGemm(transA, transB, m, n, k, a, lda, b, ldb, beta == 1, c, ldc)
		return
	}
	tA, tB := blas.NoTrans, blas.NoTrans
	if transA {
		tA = blas.Trans
	}
	if transB {
		tB = blas.Trans
	}
	switch a := any(a).(type) {
	case []float32:
		blas32.Implementation().Sgemm(tA, tB, m, n, k, float32(alpha), a, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		blas64.Implementation().Dgemm(tA, tB, m, n, k, float64(alpha), a, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	default:
		panic("kernel: gemm needs []float32 or []float64")
	}
}

// smallGemm is gemm with alpha 1 (float64, small) for one of the three forms the convolutions use: a·b and aᵀ·b run as
// fused axpys of whole rows of b into rows of c (axpyTaps); a·bᵀ runs as dots of rows.
func smallGemm[T Float](transA, transB bool, m, n, k int, a []T, lda int, b []T, ldb int, accumulate bool, c []T, ldc int) {
	vo := vecFor[T]()
	switch {
	case !transB:
		// Row i of c is Σ_l a[i, l]·(row l of b): one fused pass over it with k taps at offsets l·ldb.
		offs := make([]int, k)
		for l := range offs {
			offs[l] = l * ldb
		}
		ai := make([]T, k)
		for i := 0; i < m; i++ {
			ci := c[i*ldc : i*ldc+n]
			if transA {
				for l := range ai {
					ai[l] = a[l*lda+i]
				}
			} else {
				copy(ai, a[i*lda:i*lda+k])
			}
			if accumulate {
				vo.axpyTaps(ci, ai, b, offs)
			} else {
				vo.setTaps(ci, ai, b, offs)
			}
		}
	default: // a·bᵀ
		for i := 0; i < m; i++ {
			ai := a[i*lda : i*lda+k]
			ci := c[i*ldc : i*ldc+n]
			for j := range ci {
				d := vo.dot(k, ai, 1, b[j*ldb:j*ldb+k], 1)
				if accumulate {
					ci[j] += d
				} else {
					ci[j] = d
				}
			}
		}
	}
}
