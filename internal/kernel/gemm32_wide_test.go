package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemm32Wide checks gemm32 against a float64 triple loop for the three forms it serves (a·b, aᵀ·b, a·bᵀ),
// with and without accumulation, on a larger product that runs in parallel (37 rows: 9 full panels and one
// of 1 row, 3 dot-block rows short of 39; n = 300 = 12·24 + 8 + 4 columns; k = 250 = 31·8 + 2) and a leading
// dimension of c wider than n. Entries are in [−1, 1], so
// each of the k = 250 float32 FMAs rounds at most 2⁻²⁴·|partial sum| with |partial sum| ≲ 20 for random
// signs: 250·20·6e-8 = 3e-4 bounds the error; 1e-3 leaves room for unlucky partial sums.
func TestGemm32Wide(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const m, n, k, ldc = 37, 300, 250, 305
	for _, form := range []struct{ ta, tb bool }{{false, false}, {true, false}, {false, true}} {
		for _, acc := range []bool{false, true} {
			t.Run(fmt.Sprintf("transA=%v,transB=%v,acc=%v", form.ta, form.tb, acc), func(t *testing.T) {
				a, b := randF32(rng, m*k), randF32(rng, k*n)
				lda, ldb := k, n
				if form.ta {
					lda = m
				}
				if form.tb {
					ldb = k
				}
				c := randF32(rng, m*ldc)
				want := make([]float64, m*n)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						var s float64
						if acc {
							s = float64(c[i*ldc+j])
						}
						for l := 0; l < k; l++ {
							av, bv := a[i*lda+l], b[l*ldb+j]
							if form.ta {
								av = a[l*lda+i]
							}
							if form.tb {
								bv = b[j*ldb+l]
							}
							s += float64(av) * float64(bv)
						}
						want[i*n+j] = s
					}
				}
				pad := c[n:ldc] // columns past n must stay as they are
				padBefore := append([]float32(nil), pad...)
				gemm32(form.ta, form.tb, m, n, k, a, lda, b, ldb, acc, c, ldc, true)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						if d := math.Abs(float64(c[i*ldc+j]) - want[i*n+j]); d > 1e-3 {
							t.Fatalf("c[%d,%d] = %v, want %v", i, j, c[i*ldc+j], want[i*n+j])
						}
					}
				}
				for j, v := range padBefore {
					if pad[j] != v {
						t.Fatalf("c[0,%d] past n was overwritten", n+j)
					}
				}
			})
		}
	}
}
