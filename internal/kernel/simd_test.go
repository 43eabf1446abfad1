package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAxpyTaps32 checks the fused shifted axpys (and so the AVX2 assembly where the CPU has it: every length
// from 0 to 80 covers the 32-lane loop, the 8-lane loop and the scalar tail) against a float64 sum. Each
// element adds at most 9 products of values in [−1, 1] rounded to float32, so 1e-5 absolute bounds the
// float32 rounding (9 roundings of |partial sums| ≤ 10, 2⁻²⁴·10·9 ≈ 5.4e-6).
func TestAxpyTaps32(t *testing.T) {
	t.Logf("useAVX2 = %v", useAVX2)
	rng := rand.New(rand.NewPCG(7, 7))
	for n := 0; n <= 80; n++ {
		for _, taps := range []int{1, 2, 9} {
			x := randF32(rng, n+40)
			y := randF32(rng, n)
			a := randF32(rng, taps)
			offs := make([]int, taps)
			for i := range offs {
				offs[i] = rng.IntN(41)
			}
			want := make([]float64, n)
			for i := range want {
				want[i] = float64(y[i])
				for k, off := range offs {
					want[i] += float64(a[k]) * float64(x[off+i])
				}
			}
			y0 := append([]float32(nil), y...)
			axpyTaps32(y, a, x, offs)
			for i := range want {
				if d := math.Abs(float64(y[i]) - want[i]); d > 1e-5 {
					t.Fatalf("n=%d taps=%d: y[%d] = %v, want %v", n, taps, i, y[i], want[i])
				}
			}
			// setTaps32 ignores what y holds (NaN here) and writes the sum without it.
			for i := range y {
				y[i] = float32(math.NaN())
			}
			setTaps32(y, a, x, offs)
			for i := range want {
				if d := math.Abs(float64(y[i]) - (want[i] - float64(y0[i]))); d > 1e-5 {
					t.Fatalf("n=%d taps=%d: setTaps32 y[%d] = %v, want %v", n, taps, i, y[i], want[i]-float64(y0[i]))
				}
			}
		}
	}
}

// TestAxpyTaps32ZeroSkips checks BLAS axpy semantics: a zero coefficient skips its tap, so an infinity
// under it does not turn the sum into NaN; a non-zero coefficient on an infinity gives ±Inf.
func TestAxpyTaps32ZeroSkips(t *testing.T) {
	x := make([]float32, 40)
	for i := range x {
		x[i] = 1
	}
	x[5] = float32(math.Inf(1))
	y := make([]float32, 16)
	axpyTaps32(y, []float32{0, 2}, x, []int{0, 20})
	for i, v := range y {
		if v != 2 {
			t.Fatalf("y[%d] = %v, want 2 (the zero tap over +Inf is skipped)", i, v)
		}
	}
	z := []float32{float32(math.NaN()), 5}
	setTaps32(z, []float32{0}, x, []int{0})
	if z[0] != 0 || z[1] != 0 {
		t.Fatalf("setTaps32 with only a zero tap gave %v, want zeros", z)
	}
	axpyTaps32(y, []float32{1}, x, []int{0})
	if !math.IsInf(float64(y[5]), 1) || y[4] != 3 {
		t.Errorf("y[4], y[5] = %v, %v, want 3, +Inf", y[4], y[5])
	}
}

// TestDot32 checks dot32 against a float64 sum for every length from 0 to 100 (|x|, |y| ≤ 1, so the
// float32 rounding error is below 100 products · 2⁻²⁴ · 100 ≈ 6e-4 in the worst case; 1e-4 holds for sums of
// random signs, which stay near √n).
func TestDot32(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for n := 0; n <= 100; n++ {
		x, y := randF32(rng, n), randF32(rng, n+3)
		var want float64
		for i := range x {
			want += float64(x[i]) * float64(y[i])
		}
		if got := dot32(x, y); math.Abs(float64(got)-want) > 1e-4 {
			t.Fatalf("n=%d: dot32 = %v, want %v", n, got, want)
		}
		a := float32(rng.Float64())
		z := append([]float32(nil), y[:n]...)
		axpy32(a, x, z)
		for i := range z {
			if w := float64(y[i]) + float64(a)*float64(x[i]); math.Abs(float64(z[i])-w) > 1e-6 {
				t.Fatalf("n=%d: axpy32 z[%d] = %v, want %v", n, i, z[i], w)
			}
		}
	}
}

// TestAxpyTaps32OutOfRange checks that a tap reading past x panics instead of reading stray memory.
func TestAxpyTaps32OutOfRange(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a tap past the end of x")
		}
	}()
	axpyTaps32(make([]float32, 16), []float32{1}, make([]float32, 20), []int{5})
}

// TestRowSums32 checks the batch-norm row sums (AVX2 body plus scalar tail) against plain float64 loops for
// every length from 0 to 40, with a shift k. Both sum the same float64 terms in a different order, so they
// agree to a few ulps of float64 (1e-12 relative here).
func TestRowSums32(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for n := 0; n <= 40; n++ {
		x, dy := randF32(rng, n), randF32(rng, n)
		k := 0.25
		var ws, wq, wg, wgx float64
		for i := range x {
			d := float64(x[i]) - k
			ws, wq, wg, wgx = ws+d, wq+d*d, wg+float64(dy[i]), wgx+float64(dy[i])*d
		}
		close := func(got, want float64) bool { return math.Abs(got-want) <= 1e-12*(1+math.Abs(want)) }
		s, q, g, gx := rowSums32(x, nil, k)
		if !close(s, ws) || !close(q, wq) || g != 0 || gx != 0 {
			t.Fatalf("n=%d: rowSums32(x) = %v %v %v %v, want %v %v 0 0", n, s, q, g, gx, ws, wq)
		}
		s, q, g, gx = rowSums32(x, dy, k)
		if !close(s, ws) || !close(q, wq) || !close(g, wg) || !close(gx, wgx) {
			t.Fatalf("n=%d: rowSums32(x, dy) = %v %v %v %v, want %v %v %v %v", n, s, q, g, gx, ws, wq, wg, wgx)
		}
	}
}

// TestAffineAndBNDx32 checks affine32 and bnDx32 against float64 arithmetic for every length from 0 to 40
// (one or two float32 roundings of values below 4: 1e-6), and scale32 bit for bit against a float32 product.
func TestAffineAndBNDx32(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	for n := 0; n <= 40; n++ {
		x, dy := randF32(rng, n), randF32(rng, n)
		y := make([]float32, n)
		affine32(y, x, 1.5, -0.25)
		for i := range y {
			if w := float64(x[i])*1.5 - 0.25; math.Abs(float64(y[i])-w) > 1e-6 {
				t.Fatalf("n=%d: affine32 y[%d] = %v, want %v", n, i, y[i], w)
			}
		}
		scale32(y, x, -1.5)
		for i := range y {
			if w := -1.5 * x[i]; math.Float32bits(y[i]) != math.Float32bits(w) {
				t.Fatalf("n=%d: scale32 y[%d] = %v, want %v", n, i, y[i], w)
			}
		}
		bnDx32(y, dy, x, 0.5, -0.75, 0.125, 0.0625)
		for i := range y {
			w := 0.5*float64(dy[i]) - 0.75*(float64(x[i])-0.0625) + 0.125
			if math.Abs(float64(y[i])-w) > 1e-6 {
				t.Fatalf("n=%d: bnDx32 y[%d] = %v, want %v", n, i, y[i], w)
			}
		}
	}
}

// TestReLU32Lanes runs the float32 ReLU and its gradient on every rotation of special values (signed zeros,
// subnormals, infinities, NaNs of both signs, extremes), so each value passes through every AVX2 lane and
// through the scalar tail, and compares with the scalar bit-trick rule: keep x (or dy) exactly when x's
// bits, read as a signed integer, are positive.
func TestReLU32Lanes(t *testing.T) {
	vals := []float32{0, float32(math.Copysign(0, -1)), 1e-40, -1e-40, 1, -1, float32(math.Inf(1)),
		float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32, 3.5, -2.25,
		math.Float32frombits(0x7fc00000), math.Float32frombits(0xffc00000), 7, -7, 0.5}
	n := len(vals)
	for r := 0; r < n; r++ {
		x, g := make([]float32, n), make([]float32, n)
		for i := range x {
			x[i], g[i] = vals[(i+r)%n], float32(i+1)
		}
		y, d := make([]float32, n), make([]float32, n)
		relu32(y, x)
		reluGrad32(d, x, g)
		for i, v := range x {
			keep := int32(math.Float32bits(v)) > 0
			wy, wd := uint32(0), uint32(0)
			if keep {
				wy, wd = math.Float32bits(v), math.Float32bits(g[i])
			}
			if math.Float32bits(y[i]) != wy || math.Float32bits(d[i]) != wd {
				t.Fatalf("rotation %d, x[%d] = %v: relu %v grad %v, want bits %#x %#x", r, i, v, y[i], d[i], wy, wd)
			}
		}
	}
}

// TestMaxIntoAndMarkTaps32 checks the max-pooling vector kernels (the AVX2 assembly where the CPU has it:
// lengths 0 … 40 cover the 8-lane loop and the scalar tail) against scalar references, with NaNs, infinities
// and signed zeros among the values: maxInto follows Go's max (NaN wins, max(−0, +0) = +0, compared bitwise),
// markTaps picks the first tap equal to y.
func TestMaxIntoAndMarkTaps32(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0,
		float32(math.Copysign(0, -1)), 1, -1}
	pick := func() float32 {
		if rng.IntN(3) == 0 {
			return special[rng.IntN(len(special))]
		}
		return float32(rng.IntN(5) - 2) // small integers: many ties
	}
	for n := 0; n <= 40; n++ {
		y, x := make([]float32, n), make([]float32, n)
		for i := range y {
			y[i], x[i] = pick(), pick()
		}
		want := make([]float32, n)
		for i := range want {
			want[i] = max(y[i], x[i])
		}
		maxInto(y, x)
		for i := range want {
			if math.Float32bits(y[i]) != math.Float32bits(want[i]) && !(y[i] != y[i] && want[i] != want[i]) {
				t.Fatalf("n=%d: max[%d] = %v, want %v", n, i, y[i], want[i])
			}
		}

		offs := []int32{0, 3, 1, 7, 2}
		xp := make([]float32, n+8)
		for i := range xp {
			xp[i] = pick()
		}
		for i := range y {
			y[i] = xp[i+int(offs[rng.IntN(len(offs))])] // a window value, or (NaN) none: NaN ≠ NaN
		}
		arg := make([]int32, n)
		markTaps(arg, y, xp, offs)
		for i := range arg {
			wantArg := int32(-1)
			for _, off := range offs {
				if xp[int(off)+i] == y[i] {
					wantArg = off
					break
				}
			}
			if arg[i] != wantArg {
				t.Fatalf("n=%d: arg[%d] = %d, want %d", n, i, arg[i], wantArg)
			}
		}
	}
}

// TestDotF64 checks the float64-accumulated dot of float32 vectors (Dot's serial part; the AVX2 assembly
// where the CPU has it, lengths 0 … 100 cover the 8-lane loop and the tail). Every product is exact in
// float64 and n ≤ 100 sums of |terms| ≤ 1 round at most 100·2⁻⁵³ ≈ 1.1e-14 each way: 1e-13 bounds it.
func TestDotF64(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for n := 0; n <= 100; n++ {
		x, y := randF32(rng, n), randF32(rng, n)
		var want float64
		for i := range x {
			want += float64(x[i]) * float64(y[i])
		}
		if got := dot(x, y); math.Abs(got-want) > 1e-13 {
			t.Fatalf("n=%d: dot = %v, want %v", n, got, want)
		}
	}
}
