package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPlaneKernels32 checks the strided plane kernels (taps2D32, dotTaps2D32, copy2D32; the AVX2 assembly
// where the CPU has it) against float64 loops on every width from 1 to 40 (the 32-, 16- and 8-column paths,
// the paired and quadrupled narrow rows and their leftover rows, and the scalar tails) and 1 to 9 rows, with
// row strides wider than the width, 1, 9, 25 and 70 taps (more than the 12 accumulators of dotTaps2D32 and the
// 64 taps of a compaction group), with and without a zero tap (skipped: an infinity only it reads must not
// give NaN). Each result may differ from the float64 sum by the
// bound on a float32 sum of products, 2·(terms+1)·2⁻²⁴·Σ|terms| (Higham, eq. 3.5).
func TestPlaneKernels32(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for n := 1; n <= 40; n++ {
		for rows := 1; rows <= 9; rows++ {
			for _, taps := range []int{1, 9, 25, 70} {
				ys, xs := n+rng.IntN(3), n+5+rng.IntN(3)
				offs := make([]int, taps)
				for i := range offs {
					offs[i] = rng.IntN(12)
				}
				a := randF32(rng, taps)
				x := randF32(rng, (rows-1)*xs+12+n)
				if taps > 1 && taps < 70 {
					a[1] = 0 // 70 taps stay dense: all go to the assembly in one pass
				}
				for _, acc := range []bool{false, true} {
					y := randF32(rng, (rows-1)*ys+n)
					y0 := append([]float32(nil), y...)
					taps2D32(y, ys, a, x, xs, offs, rows, n, acc)
					for r := 0; r < rows; r++ {
						for i := 0; i < ys && r*ys+i < len(y); i++ {
							k := r*ys + i
							if i >= n {
								if y[k] != y0[k] {
									t.Fatalf("taps2D32 n=%d rows=%d: y[%d] past the row was written", n, rows, k)
								}
								continue
							}
							var want, mag float64
							if acc {
								want, mag = float64(y0[k]), math.Abs(float64(y0[k]))
							}
							for tp, off := range offs {
								if a[tp] == 0 {
									continue
								}
								p := float64(a[tp]) * float64(x[r*xs+off+i])
								want += p
								mag += math.Abs(p)
							}
							if d := math.Abs(float64(y[k]) - want); !(d <= 2*float64(taps+1)*0x1p-24*mag) {
								t.Fatalf("taps2D32 n=%d rows=%d taps=%d acc=%v: y[%d] = %v, want %v", n, rows, taps, acc, k, y[k], want)
							}
						}
					}
				}

				// A zero tap is skipped: an infinity only it reads does not give NaN.
				if taps > 1 {
					zx := make([]float32, (rows-1)*(2*n+1)+2*n)
					for i := range zx {
						zx[i] = 1
					}
					zx[(rows-1)*(2*n+1)+n-1] = float32(math.Inf(1)) // read by tap 0 (weight 0) only
					zy := make([]float32, (rows-1)*ys+n)
					taps2D32(zy, ys, []float32{0, 2}, zx, 2*n+1, []int{0, n}, rows, n, false)
					for r := 0; r < rows; r++ {
						for i := 0; i < n; i++ {
							if zy[r*ys+i] != 2 {
								t.Fatalf("taps2D32 zero tap n=%d rows=%d: y[%d] = %v, want 2", n, rows, r*ys+i, zy[r*ys+i])
							}
						}
					}
				}

				// dotTaps2D32.
				yv := randF32(rng, (rows-1)*ys+n)
				out := make([]float32, taps)
				dotTaps2D32(out, yv, ys, x, xs, offs, rows, n)
				for tp, off := range offs {
					var want, mag float64
					for r := 0; r < rows; r++ {
						for i := 0; i < n; i++ {
							p := float64(yv[r*ys+i]) * float64(x[r*xs+off+i])
							want += p
							mag += math.Abs(p)
						}
					}
					if d := math.Abs(float64(out[tp]) - want); !(d <= 2*float64(rows*n+1)*0x1p-24*mag) {
						t.Fatalf("dotTaps2D32 n=%d rows=%d taps=%d: out[%d] = %v, want %v", n, rows, taps, tp, out[tp], want)
					}
				}

				// copy2D32, plain and with ReLU.
				for _, relu := range []bool{false, true} {
					dst := randF32(rng, (rows-1)*xs+n)
					d0 := append([]float32(nil), dst...)
					copy2D32(dst, xs, yv, ys, rows, n, relu)
					for k := range dst {
						r, i := k/xs, k%xs
						want := d0[k]
						if i < n {
							want = yv[r*ys+i]
							if relu && math.Signbit(float64(want)) {
								want = 0
							}
						}
						if math.Float32bits(dst[k]) != math.Float32bits(want) {
							t.Fatalf("copy2D32 n=%d rows=%d relu=%v: dst[%d] = %v, want %v", n, rows, relu, k, dst[k], want)
						}
					}
				}
			}
		}
	}
}
