package kernel

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

func normSlice(rng *rand.Rand, n int, scale float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64() * scale
	}
	return x
}

// Softmax and log-softmax stay finite and exact for logits far outside exp's range (±1000): the row maximum is
// subtracted first. Reference values by hand: softmax([1000, 1000+ln 3]) = [1/4, 3/4]; 1000+ln 3 is stored with
// an error up to half an ulp of 1000 (5.7e-14), hence the 1e-12 tolerance.
func TestSoftmaxLargeLogits(t *testing.T) {
	x := []float64{1000, 1000 + math.Log(3), -1000, -1000 + math.Log(3)}
	y, l := make([]float64, 4), make([]float64, 4)
	Softmax(y, x, 2, 2, false)
	Softmax(l, x, 2, 2, true)
	want := []float64{0.25, 0.75, 0.25, 0.75}
	for i := range want {
		if math.Abs(y[i]-want[i]) > 1e-12 || math.Abs(l[i]-math.Log(want[i])) > 1e-12 {
			t.Errorf("[%d]: softmax %v log_softmax %v, want %v %v", i, y[i], l[i], want[i], math.Log(want[i]))
		}
	}
	loss := CrossEntropy([]float32{1000, 0, 0}, []int{1}, 1, 3, 0, nil, 0)
	if math.Abs(loss-1000) > 1e-9 {
		t.Errorf("cross-entropy of a −1000 margin = %v, want 1000", loss)
	}
}

// Kernels that split work over the cores give bit-identical results for 1 and 2 workers: each output is
// computed by one worker in a fixed order (column sums of LayerNormBackward are added in worker order, so
// they are only required to agree to rounding).
func TestKernelsIndependentOfWorkers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	const n, c, hw = 4, 3, 50
	x, dy := normSlice(rng, n*c*hw, 2), normSlice(rng, n*c*hw, 1)
	gamma := []float64{0.5, 1, 1.5}
	run := func() [][]float64 {
		mean, variance := make([]float64, c), make([]float64, c)
		BatchNormStats(mean, variance, x, n, c, hw)
		y := make([]float64, len(x))
		BatchNormApply(y, x, n, c, hw, mean, variance, gamma, nil, 1e-5)
		dx, dg, db := make([]float64, len(x)), make([]float64, c), make([]float64, c)
		BatchNormBackward(dx, dg, db, x, dy, n, c, hw, mean, variance, gamma, 1e-5, true)
		ldx, ldw, ldb := make([]float64, len(x)), make([]float64, hw), make([]float64, hw)
		LayerNormBackward(ldx, ldw, ldb, x, dy, n*c, hw, nil, 1e-6)
		return [][]float64{mean, variance, y, dx, dg, db, ldx, ldw, ldb}
	}
	prev := runtime.GOMAXPROCS(1)
	one := run()
	runtime.GOMAXPROCS(2)
	two := run()
	runtime.GOMAXPROCS(prev)
	for k := range one {
		for i := range one[k] {
			d := math.Abs(one[k][i] - two[k][i])
			if (k < 7 && d != 0) || d > 1e-12*(1+math.Abs(one[k][i])) {
				t.Fatalf("output %d [%d]: 1 worker %v, 2 workers %v", k, i, one[k][i], two[k][i])
			}
		}
	}
}

// Training-mode batch-norm backward against finite differences of the kernels themselves (float64), on the
// loss Σ BN(x)·dy.
func TestBatchNormBackwardFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	const n, c, hw, eps = 3, 2, 5, 1e-5
	x, dy := normSlice(rng, n*c*hw, 1), normSlice(rng, n*c*hw, 1)
	gamma, beta := []float64{0.7, 1.3}, []float64{0.1, -0.2}
	loss := func() float64 {
		mean, variance := make([]float64, c), make([]float64, c)
		BatchNormStats(mean, variance, x, n, c, hw)
		y := make([]float64, len(x))
		BatchNormApply(y, x, n, c, hw, mean, variance, gamma, beta, eps)
		return dot(y, dy)
	}
	mean, variance := make([]float64, c), make([]float64, c)
	BatchNormStats(mean, variance, x, n, c, hw)
	dx, dg, db := make([]float64, len(x)), make([]float64, c), make([]float64, c)
	BatchNormBackward(dx, dg, db, x, dy, n, c, hw, mean, variance, gamma, eps, true)
	const h = 1e-6
	check := func(name string, v []float64, grad []float64) {
		for i := range v {
			o := v[i]
			v[i] = o + h
			lp := loss()
			v[i] = o - h
			lm := loss()
			v[i] = o
			if num := (lp - lm) / (2 * h); math.Abs(num-grad[i]) > 1e-6*(1+math.Abs(num)) {
				t.Errorf("%s[%d]: analytic %v, numeric %v", name, i, grad[i], num)
			}
		}
	}
	check("x", x, dx)
	check("gamma", gamma, dg)
	check("beta", beta, db)
}

func TestBatchedMatMulAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const batch, m, n, k = 3, 4, 5, 6
	for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
		a, b := normSlice(rng, batch*m*k, 1), normSlice(rng, batch*k*n, 1)
		got := make([]float64, batch*m*n)
		BatchedMatMul(got, a, b, batch, MatMulDims{M: m, N: n, K: k, TransA: tr[0], TransB: tr[1]}, 1, 0)
		for q := 0; q < batch; q++ {
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					var s float64
					for l := 0; l < k; l++ {
						ai := q*m*k + i*k + l
						if tr[0] {
							ai = q*m*k + l*m + i
						}
						bi := q*k*n + l*n + j
						if tr[1] {
							bi = q*k*n + j*k + l
						}
						s += a[ai] * b[bi]
					}
					if g := got[q*m*n+i*n+j]; math.Abs(g-s) > 1e-12 {
						t.Fatalf("trans %v: [%d,%d,%d] = %v, want %v", tr, q, i, j, g, s)
					}
				}
			}
		}
	}
}

func TestWeightedSumAndMulBlocks(t *testing.T) {
	x0, x1 := []float32{1, 2, 3, 4}, []float32{10, 20, 30, 40}
	dst := make([]float32, 4)
	WeightedSum(dst, []float32{0.5, 0.25}, [][]float32{x0, x1})
	for i, want := range []float32{3, 6, 9, 12} {
		if dst[i] != want {
			t.Errorf("WeightedSum[%d] = %v, want %v", i, dst[i], want)
		}
	}
	MulBlocks(dst, x1, []float32{2, 0}, 2)
	for i, want := range []float32{20, 40, 0, 0} {
		if dst[i] != want {
			t.Errorf("MulBlocks[%d] = %v, want %v", i, dst[i], want)
		}
	}
	big := make([]float64, 3*grain+7)
	for i := range big {
		big[i] = 1
	}
	if got := Dot(big, big); got != float64(len(big)) {
		t.Errorf("Dot over %d ones = %v", len(big), got)
	}
}

// The one-pass shifted statistics match a two-pass reference even when |mean| ≫ std (mean 1e4, std 1e-2 in
// float32 data), and the fused backward (statistics recomputed inside) matches the one given statistics.
func TestBatchNormStatsShiftedAndFusedBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	const n, c, hw = 5, 2, 40
	x := make([]float32, n*c*hw)
	for i := range x {
		x[i] = float32(1e4 + 1e-2*rng.NormFloat64())
	}
	mean, variance := make([]float64, c), make([]float64, c)
	BatchNormStats(mean, variance, x, n, c, hw)
	for ch := 0; ch < c; ch++ {
		var s, q float64
		for i := 0; i < n; i++ {
			for _, v := range x[(i*c+ch)*hw : (i*c+ch+1)*hw] {
				s += float64(v)
			}
		}
		mu := s / (n * hw)
		for i := 0; i < n; i++ {
			for _, v := range x[(i*c+ch)*hw : (i*c+ch+1)*hw] {
				q += (float64(v) - mu) * (float64(v) - mu)
			}
		}
		// The two-pass reference is exact to ~1e-16 relative on these sums; 1e-9 relative is far below the
		// float32 spacing of the data (≈1e-3 at 1e4), so a cancelling formula would fail by orders of magnitude.
		if math.Abs(mean[ch]-mu) > 1e-9*mu || math.Abs(variance[ch]-q/(n*hw)) > 1e-9*q/(n*hw) {
			t.Errorf("channel %d: mean %v var %v, two-pass %v %v", ch, mean[ch], variance[ch], mu, q/(n*hw))
		}
	}
	xd, dy := normSlice(rng, n*c*hw, 3), normSlice(rng, n*c*hw, 1)
	BatchNormStats(mean, variance, xd, n, c, hw)
	gamma := []float64{2, 0.5}
	a, b := make([]float64, len(xd)), make([]float64, len(xd))
	ga, gb := make([]float64, c), make([]float64, c)
	BatchNormBackward(a, ga, nil, xd, dy, n, c, hw, mean, variance, gamma, 1e-5, true)
	BatchNormBackward(b, gb, nil, xd, dy, n, c, hw, nil, nil, gamma, 1e-5, true)
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-12 {
			t.Fatalf("dx[%d]: given stats %v, fused %v", i, a[i], b[i])
		}
	}
	for i := range ga {
		if math.Abs(ga[i]-gb[i]) > 1e-12*(1+math.Abs(ga[i])) {
			t.Fatalf("dgamma[%d]: given stats %v, fused %v", i, ga[i], gb[i])
		}
	}
}

// Evaluation-mode batch-norm backward (running statistics, which do not depend on x) against finite
// differences of BatchNormApply with those statistics held fixed.
func TestBatchNormEvalBackwardFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	const n, c, hw, eps = 2, 3, 4, 1e-5
	x, dy := normSlice(rng, n*c*hw, 1), normSlice(rng, n*c*hw, 1)
	mean, variance := []float64{0.3, -0.2, 1}, []float64{0.5, 2, 1.5}
	gamma, beta := []float64{0.7, 1.3, -0.4}, []float64{0.1, -0.2, 0.3}
	loss := func() float64 {
		y := make([]float64, len(x))
		BatchNormApply(y, x, n, c, hw, mean, variance, gamma, beta, eps)
		return dot(y, dy)
	}
	dx, dg, db := make([]float64, len(x)), make([]float64, c), make([]float64, c)
	BatchNormBackward(dx, dg, db, x, dy, n, c, hw, mean, variance, gamma, eps, false)
	const h = 1e-6
	for name, pair := range map[string][2][]float64{"x": {x, dx}, "gamma": {gamma, dg}, "beta": {beta, db}} {
		v, grad := pair[0], pair[1]
		for i := range v {
			o := v[i]
			v[i] = o + h
			lp := loss()
			v[i] = o - h
			lm := loss()
			v[i] = o
			if num := (lp - lm) / (2 * h); math.Abs(num-grad[i]) > 1e-6*(1+math.Abs(num)) {
				t.Errorf("%s[%d]: analytic %v, numeric %v", name, i, grad[i], num)
			}
		}
	}
}

// The branch-free ReLU loops agree with the definition on signed zeros, subnormals, infinities and the
// largest magnitudes, in both precisions.
func TestReLUBitTricks(t *testing.T) {
	vals := []float64{0, math.Copysign(0, -1), 1e-310, -1e-310, 1e-40, -1e-40, 1, -1, math.Inf(1), math.Inf(-1),
		math.MaxFloat32, -math.MaxFloat32, 3.5, -2.25}
	x64 := append([]float64(nil), vals...)
	x32 := make([]float32, len(vals))
	for i, v := range vals {
		x32[i] = float32(v)
	}
	g64, g32 := make([]float64, len(vals)), make([]float32, len(vals))
	for i := range g64 {
		g64[i], g32[i] = float64(i+1), float32(i+1)
	}
	y64, d64 := make([]float64, len(vals)), make([]float64, len(vals))
	y32, d32 := make([]float32, len(vals)), make([]float32, len(vals))
	ReLU(y64, x64)
	ReLUBackward(d64, x64, g64)
	ReLU(y32, x32)
	ReLUBackward(d32, x32, g32)
	for i := range vals {
		want64, wantd64 := 0.0, 0.0
		if x64[i] > 0 {
			want64, wantd64 = x64[i], g64[i]
		}
		if y64[i] != want64 || d64[i] != wantd64 || math.Signbit(y64[i]) {
			t.Errorf("float64 x = %v: relu %v grad %v, want %v %v", x64[i], y64[i], d64[i], want64, wantd64)
		}
		want32, wantd32 := float32(0), float32(0)
		if x32[i] > 0 {
			want32, wantd32 = x32[i], g32[i]
		}
		if y32[i] != want32 || d32[i] != wantd32 || math.Signbit(float64(y32[i])) {
			t.Errorf("float32 x = %v: relu %v grad %v, want %v %v", x32[i], y32[i], d32[i], want32, wantd32)
		}
	}
}

// The float32 softmax (inline exp) agrees with the float64 one to float32 accuracy over rows with a wide
// spread, underflows to exact zeros far below the maximum, and turns a row with a NaN into NaNs (torch).
func TestSoftmax32MatchesFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	const rows, d = 50, 37
	x64 := normSlice(rng, rows*d, 30)
	x64[5] = -1e30 // underflows to 0
	x32 := make([]float32, len(x64))
	for i, v := range x64 {
		x32[i] = float32(v)
		x64[i] = float64(x32[i])
	}
	for _, log := range []bool{false, true} {
		y32, y64 := make([]float32, len(x32)), make([]float64, len(x64))
		Softmax(y32, x32, rows, d, log)
		Softmax(y64, x64, rows, d, log)
		for i := range y64 {
			// One float32 rounding of the result plus expf's < 1e-8: relative 2e-7, or 1e-30 absolute near 0.
			if math.Abs(float64(y32[i])-y64[i]) > 2e-7*math.Abs(y64[i])+1e-30 {
				t.Fatalf("log %v [%d]: float32 %v, float64 %v", log, i, y32[i], y64[i])
			}
		}
		if !log && y32[5] != 0 {
			t.Errorf("softmax of a −1e30 logit = %v, want 0", y32[5])
		}
	}
	x32[d+3] = float32(math.NaN())
	y := make([]float32, len(x32))
	Softmax(y, x32, rows, d, false)
	for j := d; j < 2*d; j++ {
		if y[j] == y[j] {
			t.Fatalf("row with a NaN: y[%d] = %v, want NaN", j, y[j])
		}
	}
	if y[0] != y[0] {
		t.Error("a NaN leaked into another row")
	}
}

// MaskedMSE's loss, which sums four rows at once, equals bit for bit the plain per-row loop it replaced (each
// row one float64 chain in the order of j), for row counts that are and are not multiples of 4 and at 1 and 2
// workers; the gradient pass writes g·mask·2(p−t)/(d·Σmask) and its negation for the target, and returns 0.
func TestMaskedMSEMatchesRowLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct{ rows, d int }{{1, 1}, {3, 7}, {4, 16}, {13, 5}, {8193, 16}} {
		n := c.rows * c.d
		pred, target, mask := make([]float32, n), make([]float32, n), make([]float32, c.rows)
		for i := range pred {
			pred[i], target[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		var msum float64
		for r := range mask {
			mask[r] = float32(rng.IntN(2))
			msum += float64(mask[r])
		}
		mask[0], msum = 1, msum+1-float64(mask[0])
		var want float64
		for r := range c.rows {
			var s float64
			for j := range c.d {
				e := float64(pred[r*c.d+j]) - float64(target[r*c.d+j])
				s += e * e
			}
			want += float64(mask[r]) * s / float64(c.d)
		}
		want /= msum
		for _, procs := range []int{1, 2} {
			prev := runtime.GOMAXPROCS(procs)
			got := MaskedMSE(pred, target, mask, c.rows, c.d, msum, nil, nil, 0)
			dp, dt := make([]float32, n), make([]float32, n)
			ret := MaskedMSE(pred, target, mask, c.rows, c.d, msum, dp, dt, 0.5)
			runtime.GOMAXPROCS(prev)
			if math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("rows %d, d %d, %d procs: loss %v, row loop %v", c.rows, c.d, procs, got, want)
			}
			if ret != 0 {
				t.Errorf("rows %d, d %d: the gradient pass returned %v, want 0", c.rows, c.d, ret)
			}
			for i := range dp {
				r := i / c.d
				k := 0.5 * float64(mask[r]) * 2 / (float64(c.d) * msum)
				w := float32(k * (float64(pred[i]) - float64(target[i])))
				if dp[i] != w || dt[i] != -w {
					t.Fatalf("rows %d, d %d: gradient %d = %v, %v; want %v, %v", c.rows, c.d, i, dp[i], dt[i], w, -w)
				}
			}
		}
	}
}
