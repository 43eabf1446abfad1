package kernel

// MatMulDims describes one row-major matrix product C (m×n) = op(A)·op(B), where op transposes when the flag
// is set: A is stored (m×k), or (k×m) with TransA; B is stored (k×n), or (n×k) with TransB.
type MatMulDims struct {
	M, N, K        int
	TransA, TransB bool
}

// BatchedMatMul writes dst[b] = alpha·op(a[b])·op(b[b]) + beta·dst[b] for batch matrices stored one after the
// other (a: batch×m×k, b: batch×k×n, dst: batch×m×n, up to the transpositions of dims). Each product is one
// GEMM through gemm (fused SIMD axpys for float32; the BLAS registered with blas64.Use for large float64
// products); the batch is spread over the cores. With beta = 0 the old contents of dst are ignored.
func BatchedMatMul[T Float](dst, a, b []T, batch int, dims MatMulDims, alpha, beta T) {
	BatchedMatMulIndexed(dst, a, b, batch, nil, nil, dims, alpha, beta)
}

// BatchedMatMulIndexed is BatchedMatMul where output matrix i is the product of matrix aIdx[i] of a and matrix
// bIdx[i] of b (nil means the identity); it implements broadcasting over leading dimensions, where several
// outputs share one operand matrix.
func BatchedMatMulIndexed[T Float](dst, a, b []T, batch int, aIdx, bIdx []int, dims MatMulDims, alpha, beta T) {
	sa, sb, sc := dims.M*dims.K, dims.K*dims.N, dims.M*dims.N
	one := func(i int, par bool) {
		ia, ib := i, i
		if aIdx != nil {
			ia = aIdx[i]
		}
		if bIdx != nil {
			ib = bIdx[i]
		}
		bmmGemm(dims, alpha, a[ia*sa:(ia+1)*sa], b[ib*sb:(ib+1)*sb], beta, dst[i*sc:(i+1)*sc], par)
	}
	if batch == 1 {
		one(0, true) // a single GEMM: gemm parallelises inside
		return
	}
	ParallelFor(batch, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			one(i, false)
		}
	})
}

// SumBlocks writes dst[j] = Σ_{i: idx[i] = j} src[i] over blocks of size block: src holds len(idx) blocks,
// dst holds the blocks they reduce to (the gradient of an operand broadcast over leading dimensions). dst is
// overwritten; sums are accumulated in float64.
func SumBlocks[T Float](dst, src []T, idx []int, block int) {
	groups := len(dst) / max(block, 1)
	members := make([][]int, groups)
	for i, j := range idx {
		members[j] = append(members[j], i)
	}
	ParallelFor(groups, func(lo, hi int) {
		acc := make([]float64, block)
		for j := lo; j < hi; j++ {
			clear(acc)
			for _, i := range members[j] {
				for e, v := range src[i*block : (i+1)*block] {
					acc[e] += float64(v)
				}
			}
			d := dst[j*block : (j+1)*block]
			for e, v := range acc {
				d[e] = T(v)
			}
		}
	})
}

// bmmGemm runs one row-major GEMM of a batch through gemm, spread over the cores with par.
func bmmGemm[T Float](dims MatMulDims, alpha T, a, b []T, beta T, c []T, par bool) {
	lda, ldb := dims.K, dims.N // stored A is m×k, stored B is k×n
	if dims.TransA {
		lda = dims.M
	}
	if dims.TransB {
		ldb = dims.K
	}
	gemm(dims.TransA, dims.TransB, dims.M, dims.N, dims.K, alpha, a, max(lda, 1), b, max(ldb, 1), beta, c, max(dims.N, 1), par)
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
