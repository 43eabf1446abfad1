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

// TestGemm32LongK checks the k-sliced path of gemm32NN (k > 2·gemmKC: a weight gradient summed over thousands
// of rows): for a·b and aᵀ·b, with and without accumulation, the result must equal bit for bit one unsliced
// pass of the micro-kernel over the whole k (the slices store c and reload it into the same FMA chain), and
// a·bᵀ with m ≥ gemmNTRows (b transposed, then the same path) must equal a·b of the explicitly transposed
// operand bit for bit. k = 1100 = 4·256 + 76 leaves a short last slice; m = 65 a partial panel after a full
// chunk of 16; n = 61 = 2·24 + 8 + 5 every column block and the tail.
func TestGemm32LongK(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	const m, n, k = 65, 61, 1100
	if m < gemmNTRows {
		t.Fatalf("m = %d does not reach the transposing path (gemmNTRows = %d)", m, gemmNTRows)
	}
	for _, ta := range []bool{false, true} {
		for _, acc := range []bool{false, true} {
			a, b, c0 := randF32(rng, m*k), randF32(rng, k*n), randF32(rng, m*n)
			lda := k
			if ta {
				lda = m
			}
			got := append([]float32(nil), c0...)
			gemm32(ta, false, m, n, k, a, lda, b, n, acc, got, n, true)
			panels := (m + gemmMR - 1) / gemmMR
			ap := make([]float32, panels*gemmMR*k)
			packPanels(ta, m, k, a, lda, ap)
			want := append([]float32(nil), c0...)
			gemm32Packed(m, n, k, ap, b, n, acc, want, n, false)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("transA=%v acc=%v: c[%d] = %v, one pass gives %v", ta, acc, i, got[i], want[i])
				}
			}
			if ta {
				continue
			}
			// a·bᵀ with bᵀ stored n×k (row stride k+3).
			bt := make([]float32, n*(k+3))
			for l := 0; l < k; l++ {
				for j := 0; j < n; j++ {
					bt[j*(k+3)+l] = b[l*n+j]
				}
			}
			gotNT := append([]float32(nil), c0...)
			gemm32(false, true, m, n, k, a, lda, bt, k+3, acc, gotNT, n, true)
			for i := range want {
				if gotNT[i] != got[i] {
					t.Fatalf("a·bᵀ acc=%v: c[%d] = %v, a·b of the transposed b gives %v", acc, i, gotNT[i], got[i])
				}
			}
		}
	}
}

// TestPackPanels checks packPanels against its definition, ap[p·4k + 4l + r] = op(a)[4p+r, l] with rows past m
// zero, on the assembly and the portable paths, for m around the panel height and k around the 8-wide steps
// of the assembly, with row strides longer than the rows.
func TestPackPanels(t *testing.T) {
	defer func(v bool) { useAVX2 = v }(useAVX2)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, vec := range []bool{false, true} {
		if vec && !detectAVX2() {
			continue
		}
		useAVX2 = vec
		for _, ta := range []bool{false, true} {
			for _, m := range []int{1, 3, 4, 5, 8, 13} {
				for _, k := range []int{1, 2, 7, 8, 9, 16, 17, 33} {
					rows, cols := m, k // the stored a: m×k, or k×m when transposed
					if ta {
						rows, cols = k, m
					}
					lda := cols + 3
					a := randF32(rng, (rows-1)*lda+cols)
					at := func(i, l int) float32 { // op(a)[i, l]
						if ta {
							return a[l*lda+i]
						}
						return a[i*lda+l]
					}
					panels := (m + gemmMR - 1) / gemmMR
					ap := randF32(rng, panels*gemmMR*k) // stale values, as a reused buffer holds
					packPanels(ta, m, k, a, lda, ap)
					for p := range panels {
						for l := range k {
							for r := range gemmMR {
								want := float32(0)
								if i := p*gemmMR + r; i < m {
									want = at(i, l)
								}
								if got := ap[p*gemmMR*k+gemmMR*l+r]; got != want {
									t.Fatalf("avx2=%v transA=%v m=%d k=%d: ap[panel %d, l %d, row %d] = %v, want %v",
										vec, ta, m, k, p, l, r, got, want)
								}
							}
						}
					}
				}
			}
		}
	}
}
