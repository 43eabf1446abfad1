package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestRandomGeometries32 runs random small geometries, as TestRandomGeometries does, through the float32
// kernels (the AVX2/FMA assembly where the CPU has it: register-blocked GEMMs, strided plane taps and copies)
// and compares them with the float64 naive references on the same float32 inputs. The widths (1 … 20) put
// rows both under and over the 8 lanes of a vector with a tail. Each element may differ by the standard bound
// on a float32 sum of products, 2·(n+1)·2⁻²⁴·Σ|terms| (Higham, Accuracy and Stability of Numerical
// Algorithms, eq. 3.5), where Σ|terms| is the same reference run on |x|, |w|, |bias|, |dy| and n the largest
// number of terms of any output element. Max pooling's output must be exact.
func TestRandomGeometries32(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	n := 150
	if testing.Short() {
		n = 40
	}
	for it := 0; it < n; it++ {
		groups := 1 + rng.IntN(3)
		cg, kg := 1+rng.IntN(5), 1+rng.IntN(5)
		if rng.IntN(2) == 0 { // depthwise, the DARTS case
			cg, kg = 1, 1
			groups = 1 + rng.IntN(4)
		}
		kh, kw := 1+rng.IntN(5), 1+rng.IntN(5)
		if rng.IntN(4) == 0 {
			kh, kw = 1, 1
		}
		g := ConvGeom{N: 1 + rng.IntN(3), C: groups * cg, H: 1 + rng.IntN(20), W: 1 + rng.IntN(20), K: groups * kg,
			KH: kh, KW: kw, SH: 1 + rng.IntN(2), SW: 1 + rng.IntN(2), PH: rng.IntN(4), PW: rng.IntN(4),
			DH: 1 + rng.IntN(2), DW: 1 + rng.IntN(2), Groups: groups, ReLU: rng.IntN(2) == 0}
		if rng.IntN(3) == 0 {
			g.SH, g.SW, g.PH, g.PW = 1, 1, 0, 0
		}
		if g.Validate() == nil {
			checkRandomConv32(t, rng, g)
		}
		p := PoolGeom{N: 1 + rng.IntN(2), C: 1 + rng.IntN(3), H: 1 + rng.IntN(20), W: 1 + rng.IntN(20),
			KH: 1 + rng.IntN(4), KW: 1 + rng.IntN(4), SH: 1 + rng.IntN(2), SW: 1 + rng.IntN(2)}
		p.PH, p.PW = rng.IntN(p.KH/2+1), rng.IntN(p.KW/2+1)
		if p.Validate() == nil {
			checkRandomPool32(t, rng, p)
		}
	}
}

// rand32 returns n values in [−1, 1) rounded to float32, as float32 and as float64.
func rand32(rng *rand.Rand, n int) ([]float32, []float64) {
	f := randF32(rng, n)
	d := make([]float64, n)
	for i, v := range f {
		d[i] = float64(v)
	}
	return f, d
}

func abs64(v []float64) []float64 {
	a := make([]float64, len(v))
	for i, x := range v {
		a[i] = math.Abs(x)
	}
	return a
}

func close32(t *testing.T, what string, got []float32, want, mag []float64, terms int) {
	t.Helper()
	for i := range want {
		tol := 2 * float64(terms+1) * 0x1p-24 * mag[i]
		if d := math.Abs(float64(got[i]) - want[i]); d > tol || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s[%d] = %v, want %v (|diff| %.3g > %.3g)", what, i, got[i], want[i], d, tol)
		}
	}
}

func checkRandomConv32(t *testing.T, rng *rand.Rand, g ConvGeom) {
	t.Helper()
	x, x64 := rand32(rng, g.N*g.C*g.H*g.W)
	w, w64 := rand32(rng, g.WeightLen())
	bias, b64 := rand32(rng, g.K)
	dy, dy64 := rand32(rng, g.N*g.K*g.OutH()*g.OutW())
	wantY, wantDx, wantDw, _ := naiveConv(g, x64, w64, b64, dy64)
	magY, magDx, magDw, _ := naiveConv(g, abs64(x64), abs64(w64), abs64(b64), abs64(dy64))
	y := make([]float32, len(wantY))
	dx, dw := randF32(rng, len(x)), randF32(rng, len(w)) // garbage: the kernels must overwrite
	Conv2dForward(g, x, w, bias, y)
	Conv2dBackwardData(g, x, w, dy, dx)
	Conv2dBackwardFilter(g, x, dy, dw)
	terms := max(g.C/g.Groups*g.KH*g.KW+1, g.K/g.Groups*g.KH*g.KW, g.N*g.OutH()*g.OutW())
	name := fmt.Sprintf("conv %+v", g)
	close32(t, name+" y", y, wantY, magY, terms)
	close32(t, name+" dx", dx, wantDx, magDx, terms)
	close32(t, name+" dw", dw, wantDw, magDw, terms)
}

func checkRandomPool32(t *testing.T, rng *rand.Rand, p PoolGeom) {
	t.Helper()
	x, x64 := rand32(rng, p.N*p.C*p.H*p.W)
	dy, dy64 := rand32(rng, p.N*p.C*p.OutH()*p.OutW())
	terms := p.KH * p.KW * 2 // a window's sum, or an input's share of the windows over it, and the division
	for _, mode := range []string{"max", "avg-include", "avg-exclude"} {
		wy, wdx := naivePool(p, mode == "max", mode == "avg-include", x64, dy64)
		my, mdx := naivePool(p, mode == "max", mode == "avg-include", abs64(x64), abs64(dy64))
		y, dx := make([]float32, len(wy)), randF32(rng, len(x))
		if mode == "max" {
			MaxPool2dForward(p, x, y)
			MaxPool2dBackward(p, x, y, dy, dx)
			// y is exact (the max of float32 values is one of them); dx sums dy over the windows where x is
			// the max, so its magnitude is the same reference on |dy|.
			my = make([]float64, len(wy))
			_, mdx = naivePool(p, true, false, x64, abs64(dy64))
		} else {
			AvgPool2dForward(p, mode == "avg-include", x, y)
			AvgPool2dBackward(p, mode == "avg-include", dy, dx)
		}
		name := fmt.Sprintf("%s pool %+v", mode, p)
		close32(t, name+" y", y, wy, my, terms)
		close32(t, name+" dx", dx, wdx, mdx, terms)
	}
}
