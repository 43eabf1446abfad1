package nn

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// initGolden is testdata/init_golden.json from testdata/gen_init.py
// (torch 1.13.0a0).
type initGolden struct {
	Layers []struct {
		Name         string   `json:"name"`
		Shape        []int    `json:"shape"`
		FanIn        int      `json:"fan_in"`
		FanOut       int      `json:"fan_out"`
		KaimingBound float64  `json:"kaiming_bound"`
		XavierBound  float64  `json:"xavier_bound"`
		WeightAbsMax float64  `json:"weight_absmax"`
		WeightCount  int      `json:"weight_count"`
		BiasAbsMax   *float64 `json:"bias_absmax"`
		BiasCount    int      `json:"bias_count"`
	} `json:"layers"`
	Gains []struct {
		Nonlinearity string   `json:"nonlinearity"`
		Param        *float64 `json:"param"`
		Gain         float64  `json:"gain"`
	} `json:"gains"`
}

func loadInitGolden(t *testing.T) initGolden {
	t.Helper()
	b, err := os.ReadFile("testdata/init_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g initGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Layers) == 0 || len(g.Gains) == 0 {
		t.Fatal("init_golden.json is empty; re-run testdata/gen_init.py")
	}
	return g
}

func relClose(a, b, rtol float64) bool { return math.Abs(a-b) <= rtol*math.Abs(b) }

// absMaxNear reports whether the largest |x| of n draws from U(-b, b) is
// consistent with the bound b: it must not exceed b (plus float32 rounding),
// and P(max < b(1-10/n)) = (1-10/n)^n < e^-10.
func absMaxNear(max, b float64, n int) bool {
	return max <= b*(1+1e-7) && max >= b*(1-10/float64(n))
}

func TestFansAndBoundsMatchTorch(t *testing.T) {
	g := loadInitGolden(t)
	for _, l := range g.Layers {
		t.Run(l.Name, func(t *testing.T) {
			fi, fo, err := FanInOut(l.Shape)
			if err != nil || fi != l.FanIn || fo != l.FanOut {
				t.Fatalf("FanInOut(%v) = %d, %d, %v; torch %d, %d", l.Shape, fi, fo, err, l.FanIn, l.FanOut)
			}
			kb := KaimingUniformBound(fi, math.Sqrt(5))
			if !relClose(kb, l.KaimingBound, 1e-15) || !relClose(kb, 1/math.Sqrt(float64(fi)), 1e-15) {
				t.Errorf("KaimingUniformBound = %v, torch %v, 1/√fan_in %v", kb, l.KaimingBound, 1/math.Sqrt(float64(fi)))
			}
			if xb := XavierUniformBound(fi, fo, 1); !relClose(xb, l.XavierBound, 1e-15) {
				t.Errorf("XavierUniformBound = %v, torch %v", xb, l.XavierBound)
			}
			// The values torch actually drew fit our bounds.
			if !absMaxNear(l.WeightAbsMax, kb, l.WeightCount) {
				t.Errorf("torch weight max |w| %v is not consistent with bound %v over %d draws", l.WeightAbsMax, kb, l.WeightCount)
			}
			if l.BiasAbsMax != nil && *l.BiasAbsMax > (1/math.Sqrt(float64(fi)))*(1+1e-7) {
				t.Errorf("torch bias max |b| %v exceeds 1/√fan_in %v", *l.BiasAbsMax, 1/math.Sqrt(float64(fi)))
			}

			// Our draws: same bounds, uniform statistics.
			rng := rand.New(rand.NewPCG(7, uint64(l.FanIn)))
			w := make([]float32, l.WeightCount)
			var bias []float32
			if l.BiasCount > 0 {
				bias = make([]float32, l.BiasCount)
			}
			if err := DefaultLayer(w, bias, l.Shape, rng); err != nil {
				t.Fatal(err)
			}
			checkUniform(t, "weight", w, kb)
			if bias != nil {
				checkUniform(t, "bias", bias, 1/math.Sqrt(float64(fi)))
			}
		})
	}
}

// checkUniform tests that x looks like n draws from U(-b, b): the max |x|
// as in absMaxNear, the mean within 5 standard errors of 0 (sd b/√(3n)),
// and the mean square within 5 standard errors of b²/3 (sd b²·√(4/(45n)),
// since Var(x²) = b⁴/5 - b⁴/9).
func checkUniform[T Float](t *testing.T, what string, x []T, b float64) {
	t.Helper()
	n := float64(len(x))
	var mx, sum, sq float64
	for _, v := range x {
		f := float64(v)
		mx = math.Max(mx, math.Abs(f))
		sum += f
		sq += f * f
	}
	if !absMaxNear(mx, b, len(x)) {
		t.Errorf("%s: max |x| = %v, want just under bound %v (n = %d)", what, mx, b, len(x))
	}
	if mean, se := sum/n, b/math.Sqrt(3*n); math.Abs(mean) > 5*se {
		t.Errorf("%s: mean %v, want 0 ± %v", what, mean, 5*se)
	}
	if ms, se := sq/n, b*b*math.Sqrt(4/(45*n)); math.Abs(ms-b*b/3) > 5*se {
		t.Errorf("%s: mean square %v, want %v ± %v", what, ms, b*b/3, 5*se)
	}
}

func TestGainMatchesTorch(t *testing.T) {
	g := loadInitGolden(t)
	for _, c := range g.Gains {
		a := 0.01 // torch's default negative slope when param is None
		if c.Param != nil {
			a = *c.Param
		}
		got, err := Gain(c.Nonlinearity, a)
		if err != nil || !relClose(got, c.Gain, 1e-15) {
			t.Errorf("Gain(%q, %v) = %v, %v; torch %v", c.Nonlinearity, a, got, err, c.Gain)
		}
	}
	if _, err := Gain("swish", 0); err == nil {
		t.Error(`Gain("swish") = nil error`)
	}
}

func TestXavierUniformAndNormal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shape := []int{128, 512} // NAR d_model → d_ffn_inner: fan_in 512, fan_out 128
	w := make([]float64, 128*512)
	if err := XavierUniform(w, shape, 1, rng); err != nil {
		t.Fatal(err)
	}
	checkUniform(t, "xavier", w, math.Sqrt(6.0/(512+128)))

	// DARTS α: 1e-3·randn. Mean within 5 SE (1e-3/√n), std within 5 SE of
	// the sample std (≈ σ/√(2n)).
	a := make([]float64, 20000)
	Normal(a, 0, 1e-3, rng)
	var sum, sq float64
	for _, v := range a {
		sum += v
		sq += v * v
	}
	n := float64(len(a))
	mean, std := sum/n, math.Sqrt(sq/n-(sum/n)*(sum/n))
	if math.Abs(mean) > 5*1e-3/math.Sqrt(n) || math.Abs(std-1e-3) > 5*1e-3/math.Sqrt(2*n) {
		t.Errorf("Normal(0, 1e-3): mean %v, std %v", mean, std)
	}
	c := make([]float32, 3)
	Constant(c, 1)
	if !slices.Equal(c, []float32{1, 1, 1}) {
		t.Errorf("Constant = %v", c)
	}
}

func TestInitIsDeterministic(t *testing.T) {
	draw := func() []float32 {
		rng := rand.New(rand.NewPCG(2, 2)) // DARTS' default seed is 2
		w, b := make([]float32, 16*16*9), make([]float32, 16)
		if err := DefaultLayer(w, b, []int{16, 16, 3, 3}, rng); err != nil {
			t.Fatal(err)
		}
		return append(w, b...)
	}
	a, b := draw(), draw()
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("value %d differs between two runs with the same seed: %v vs %v", i, a[i], b[i])
		}
	}
}

func TestInitErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	if _, _, err := FanInOut([]int{5}); err == nil {
		t.Error("FanInOut of a 1-D shape = nil error (torch raises)")
	}
	if err := KaimingUniform(make([]float32, 5), []int{2, 3}, math.Sqrt(5), rng); err == nil {
		t.Error("KaimingUniform with 5 elements for shape [2 3] = nil error")
	}
	if err := XavierUniform(make([]float32, 0), []int{0, 3}, 1, rng); err != nil {
		t.Errorf("XavierUniform of an empty weight: %v (torch allows it)", err)
	}
}
