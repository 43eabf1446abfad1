package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPortableFallbacks reruns the vector-kernel tests with the AVX2 assembly switched off, so the portable
// paths (gonum's SSE loops and the scalar loops), which CPUs without AVX2/FMA run, are checked on this
// machine too.
func TestPortableFallbacks(t *testing.T) {
	saved := useAVX2
	useAVX2 = false
	defer func() { useAVX2 = saved }()
	t.Run("AxpyTaps32", TestAxpyTaps32)
	t.Run("AxpyTaps32ZeroSkips", TestAxpyTaps32ZeroSkips)
	t.Run("Dot32", TestDot32)
	t.Run("RowSums32", TestRowSums32)
	t.Run("AffineAndBNDx32", TestAffineAndBNDx32)
	t.Run("ReLU32Lanes", TestReLU32Lanes)
	t.Run("Gemm32Wide", TestGemm32Wide)
	t.Run("Gemm32AgainstNaive", TestGemm32AgainstNaive)
	t.Run("Gemm32Large", TestGemm32Large)
	t.Run("RandomGeometries32", TestRandomGeometries32)
	t.Run("MaxIntoAndMarkTaps32", TestMaxIntoAndMarkTaps32)
	t.Run("DotF64", TestDotF64)
	t.Run("PlaneKernels32", TestPlaneKernels32)
}

// TestSoftmax32Vector checks that softmax32's AVX2 exponentials (expRowAVX2) give the scalar loop's
// softmax and log-softmax bit for bit: row lengths 1–70 (tails of 0–3 after the 4-lane part), values spread
// from ±0.01 to ±300 (so that t hits the −104 clamp and the float32 results go subnormal and zero), rows of
// equal values, and NaN rows.
func TestSoftmax32Vector(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	run := func(vec bool, x []float32, d int, log bool) []float32 {
		saved := useAVX2
		useAVX2 = vec
		defer func() { useAVX2 = saved }()
		y := make([]float32, len(x))
		softmax32(y, x, d, log)
		return y
	}
	n := 0
	for d := 1; d <= 70; d++ {
		for _, spread := range []float64{0.01, 1, 10, 60, 300} {
			rows := 3
			x := make([]float32, rows*d)
			for i := range x {
				x[i] = float32(spread * rng.NormFloat64())
			}
			if d > 2 {
				for j := range d { // a row of equal values
					x[j] = 1.5
				}
				x[d+1] = float32(math.NaN())
			}
			for _, log := range []bool{false, true} {
				want, got := run(false, x, d, log), run(true, x, d, log)
				for i := range want {
					if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
						t.Fatalf("d=%d spread %g log %v: element %d: vector %v (%#x), scalar %v (%#x)",
							d, spread, log, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
					}
				}
				n += len(want)
			}
		}
	}
	t.Logf("%d values bit-identical", n)
}

// TestExpRowAVX2Sums checks expRowAVX2's exponentials and its two running sums bit for bit against the
// scalar loop of softmax32 (a wrong order of the additions rarely shows in the float32 softmax, so the sums
// are compared themselves), from non-zero starting sums, with and without storing.
func TestExpRowAVX2Sums(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{4, 8, 12, 32, 64, 124} {
		for _, spread := range []float64{0.5, 5, 50} {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(spread * rng.NormFloat64())
			}
			m := float64(rowMax(x)) + 0.25
			a0, a1 := rng.Float64(), rng.Float64()
			s0, s1 := a0, a1
			want := make([]float32, n)
			for j, v := range x {
				// softmax32's scalar loop; every operation converted so that no build fuses two of them.
				tt := max(float64(v)-m, -104)
				k := float64(int64(float64(-tt*log2e) + 0.5))
				rr := float64(tt + float64(k*ln2))
				p := float64(rr * (1.0 / 5040))
				for _, c := range []float64{1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 1.0 / 2, 1} {
					p = float64(rr * float64(c+p))
				}
				e := float64(float64(1+p) * math.Float64frombits(uint64(1023-int64(k))<<52))
				want[j] = float32(e)
				if j&1 == 0 {
					s0 += e
				} else {
					s1 += e
				}
			}
			for _, store := range []int{1, 0} {
				got := make([]float32, n)
				acc := [2]float64{a0, a1}
				expRowAVX2(&x[0], n, m, &got[0], store, &acc, &expConsts)
				if acc != [2]float64{s0, s1} {
					t.Errorf("n=%d spread %g store %d: sums %v, scalar %v", n, spread, store, acc, [2]float64{s0, s1})
				}
				for j := range got {
					w := want[j]
					if store == 0 {
						w = 0
					}
					if math.Float32bits(got[j]) != math.Float32bits(w) {
						t.Fatalf("n=%d spread %g store %d: e[%d] = %v, want %v", n, spread, store, j, got[j], w)
					}
				}
			}
		}
	}
}

// BenchmarkSoftmax32 is the attention softmax of one NAR micro-batch (algorithms.md B.3: 31 tokens; 16
// architectures × 5 tiers × 4 heads × 31 query rows = 9,920 rows of 31), scores ~N(0, 3²), on one goroutine,
// with the AVX2 exponentials and with the scalar loop.
func BenchmarkSoftmax32(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const d, rows = 31, 16 * 5 * 4 * 31
	x := make([]float32, d*rows)
	for i := range x {
		x[i] = float32(3 * rng.NormFloat64())
	}
	y := make([]float32, len(x))
	for _, vec := range []bool{false, true} {
		name := "scalar"
		if vec {
			if !useAVX2 {
				continue
			}
			name = "avx2"
		}
		b.Run(name, func(b *testing.B) {
			saved := useAVX2
			useAVX2 = vec
			defer func() { useAVX2 = saved }()
			for b.Loop() {
				softmax32(y, x, d, false)
			}
		})
	}
}
