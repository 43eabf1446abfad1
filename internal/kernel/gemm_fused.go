package kernel

// fusedGemm32 is gemm for large float32 products with alpha 1 and beta 0 or 1, not both operands transposed:
// each row of c is Σ_l op(a)[i, l]·(row l of op(b)), run as fused multi-tap axpys (axpyTaps32, AVX2/FMA where
// the CPU has it) in parallel over the rows of c. k is cut into blocks whose rows of op(b) fit in a core's L2
// cache (≤ 128 KiB), and every row of c takes the blocks in order, so each element sums l = 0, 1, … in
// order whatever the number of cores. A transposed b is transposed once into a scratch buffer first. This
// replaces gonum's Sgemm (64×64 blocks of 4-lane SSE axpys and dots), which is 2–3× slower on the Linear
// layers of the transformer.
func fusedGemm32(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, accumulate bool, c []float32, ldc int) {
	if transB {
		bt := make([]float32, k*n) // op(b) = bᵀ, k×n
		ParallelFor(n, func(lo, hi int) {
			for j := lo; j < hi; j++ {
				for l, v := range b[j*ldb : j*ldb+k] {
					bt[l*n+j] = v
				}
			}
		})
		b, ldb = bt, n
	}
	kb := max(16, min(k, (128<<10)/4/max(n, 1)))
	offs := make([]int, kb)
	for l := range offs {
		offs[l] = l * ldb
	}
	for l0 := 0; l0 < k; l0 += kb {
		kl := min(kb, k-l0)
		bl := b[l0*ldb:]
		first := l0 == 0 && !accumulate
		ParallelFor(m, func(lo, hi int) {
			ai := make([]float32, kl)
			for i := lo; i < hi; i++ {
				ci := c[i*ldc : i*ldc+n]
				if transA {
					for l := range ai {
						ai[l] = a[(l0+l)*lda+i]
					}
				} else {
					copy(ai, a[i*lda+l0:i*lda+l0+kl])
				}
				if first {
					setTaps32(ci, ai, bl, offs[:kl])
				} else {
					axpyTaps32(ci, ai, bl, offs[:kl])
				}
			}
		})
	}
}
