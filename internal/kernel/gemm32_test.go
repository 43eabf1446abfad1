package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestGemm32AgainstNaive checks the register-blocked float32 GEMMs (gemm32NN in both forms, gemm32NT over one
// and several matrix pairs) against a float64 triple loop, on sizes that are not multiples of the blocks
// (m = 1, 3, 5, 17 against panels of 4 rows and dot blocks of 3; n = 1 … 49 against column blocks of 24, 16,
// 8 and the n mod 8 tail; k = 1, 3, 5, 17 against the 8 lanes of a dot), with a leading dimension of c wider
// than n (those columns must stay untouched), with and without accumulation, serial and parallel. The
// tolerance is the standard bound on a float32 sum of products, γ·Σ|terms| with γ = (k·ns+1)·2⁻²⁴ (Higham,
// Accuracy and Stability of Numerical Algorithms, eq. 3.5), doubled for the horizontal adds of the lanes.
func TestGemm32AgainstNaive(t *testing.T) {
	t.Logf("useAVX2 = %v", useAVX2)
	rng := rand.New(rand.NewPCG(11, 12))
	ms := []int{1, 3, 4, 5, 17}
	ns := []int{1, 3, 7, 8, 16, 17, 24, 25, 40, 49}
	ks := []int{1, 3, 5, 8, 17}
	for _, m := range ms {
		for _, n := range ns {
			for _, k := range ks {
				for _, form := range []string{"nn", "tn", "nt", "nt3"} {
					checkGemm32(t, rng, form, m, n, k, m%2 == 0)
				}
			}
		}
	}
}

func checkGemm32(t *testing.T, rng *rand.Rand, form string, m, n, k int, par bool) {
	t.Helper()
	samples := 1
	if form == "nt3" {
		samples = 3
	}
	ldc := n + 2
	lda, ldb := k, n
	if form == "tn" {
		lda = m
	}
	if form == "nt" || form == "nt3" {
		ldb = k + 1 // rows of b wider than k
	}
	sa, sb := m*lda, n*ldb // stored a is m×k (k×m for tn), stored b n×k (k×n for nn, tn)
	if form == "tn" {
		sa = k * lda
	}
	if form == "nn" || form == "tn" {
		sb = k * ldb
	}
	a, b := randF32(rng, samples*sa), randF32(rng, samples*sb)
	at := func(s, i, l int) float64 {
		if form == "tn" {
			return float64(a[l*lda+i])
		}
		return float64(a[s*sa+i*lda+l])
	}
	bt := func(s, l, j int) float64 {
		if form == "nn" || form == "tn" {
			return float64(b[l*ldb+j])
		}
		return float64(b[s*sb+j*ldb+l])
	}
	for _, acc := range []bool{false, true} {
		c := randF32(rng, m*ldc)
		c0 := append([]float32(nil), c...)
		switch form {
		case "nn", "tn":
			gemm32NN(form == "tn", m, n, k, a, lda, b, ldb, acc, c, ldc, par)
		default:
			gemm32NT(m, n, k, a, lda, sa, b, ldb, sb, samples, acc, c, ldc, par)
		}
		for i := 0; i < m; i++ {
			for j := 0; j < ldc; j++ {
				got := float64(c[i*ldc+j])
				if j >= n {
					if c[i*ldc+j] != c0[i*ldc+j] {
						t.Fatalf("%s m=%d n=%d k=%d acc=%v: c[%d,%d] past n was overwritten", form, m, n, k, acc, i, j)
					}
					continue
				}
				var want, mag float64
				if acc {
					want, mag = float64(c0[i*ldc+j]), math.Abs(float64(c0[i*ldc+j]))
				}
				for s := 0; s < samples; s++ {
					for l := 0; l < k; l++ {
						p := at(s, i, l) * bt(s, l, j)
						want += p
						mag += math.Abs(p)
					}
				}
				tol := 2 * float64(k*samples+1) * 0x1p-24 * mag
				if d := math.Abs(got - want); d > tol || math.IsNaN(got) {
					t.Fatalf("%s m=%d n=%d k=%d acc=%v: c[%d,%d] = %v, want %v (|diff| %.3g > %.3g)",
						form, m, n, k, acc, i, j, got, want, d, tol)
				}
			}
		}
	}
}

// TestGemm32Large runs the parallel paths on a product with several column blocks and panel chunks per
// worker (m = 150 rows are 3 chunks of 16 panels; n = 100 = 4·24 + 4) and compares with GOMAXPROCS = 1
// bitwise: the split over cores must not change any sum.
func TestGemm32Large(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	const m, n, k = 150, 100, 70
	for _, form := range []string{"nn", "tn", "nt"} {
		t.Run(form, func(t *testing.T) {
			checkGemm32(t, rng, form, m, n, k, true)
			a, b := randF32(rng, m*k), randF32(rng, k*n)
			run := func(procs int) []float32 {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				c := make([]float32, m*n)
				switch form {
				case "nn":
					gemm32NN(false, m, n, k, a, k, b, n, false, c, n, true)
				case "tn":
					gemm32NN(true, m, n, k, a, m, b, n, false, c, n, true)
				default:
					gemm32NT(m, n, k, a, k, 0, b, k, 0, 1, false, c, n, true)
				}
				return c
			}
			one, many := run(1), run(3)
			for i := range one {
				if one[i] != many[i] {
					t.Fatalf("c[%d] = %v on 1 core, %v on 3", i, one[i], many[i])
				}
			}
		})
	}
}

// TestGemm32ZeroK checks the empty sum: k = 0 (or no samples) overwrites c with zeros, or leaves it with acc.
func TestGemm32ZeroK(t *testing.T) {
	for _, acc := range []bool{false, true} {
		for _, form := range []string{"nn", "nt"} {
			c := []float32{1, 2, 3, 4, 5, 6}
			if form == "nn" {
				gemm32NN(false, 2, 3, 0, nil, 0, nil, 3, acc, c, 3, false)
			} else {
				gemm32NT(2, 3, 0, nil, 0, 0, nil, 0, 0, 1, acc, c, 3, false)
			}
			want := []float32{1, 2, 3, 4, 5, 6}
			if !acc {
				want = make([]float32, 6)
			}
			if fmt.Sprint(c) != fmt.Sprint(want) {
				t.Errorf("%s k=0 acc=%v: c = %v, want %v", form, acc, c, want)
			}
		}
	}
}
