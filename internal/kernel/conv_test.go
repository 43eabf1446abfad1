package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveConv is the definition of torch.nn.functional.conv2d written as plain loops, in float64: the
// independent reference for the kernels. It also returns the gradients of sum(y ⊙ dy) w.r.t. x, w and bias.
func naiveConv(g ConvGeom, x, w, bias, dy []float64) (y, dx, dw, db []float64) {
	x0 := x
	if g.ReLU {
		x = make([]float64, len(x0))
		for i, v := range x0 {
			x[i] = math.Max(v, 0)
		}
	}
	defer func() {
		if g.ReLU {
			for i, v := range x0 {
				if v <= 0 {
					dx[i] = 0
				}
			}
		}
	}()
	oh, ow := g.OutH(), g.OutW()
	cg, kg := g.C/g.Groups, g.K/g.Groups
	y = make([]float64, g.N*g.K*oh*ow)
	dx = make([]float64, len(x))
	dw = make([]float64, len(w))
	db = make([]float64, g.K)
	for n := 0; n < g.N; n++ {
		for k := 0; k < g.K; k++ {
			gr := k / kg
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					yi := ((n*g.K+k)*oh+i)*ow + j
					s := 0.0
					if bias != nil {
						s = bias[k]
						db[k] += dy[yi]
					}
					for c := 0; c < cg; c++ {
						ci := gr*cg + c
						for a := 0; a < g.KH; a++ {
							for b := 0; b < g.KW; b++ {
								ih, iw := i*g.SH-g.PH+a*g.DH, j*g.SW-g.PW+b*g.DW
								if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
									continue
								}
								xi := ((n*g.C+ci)*g.H+ih)*g.W + iw
								wi := ((k*cg+c)*g.KH+a)*g.KW + b
								s += x[xi] * w[wi]
								dx[xi] += w[wi] * dy[yi]
								dw[wi] += x[xi] * dy[yi]
							}
						}
					}
					y[yi] = s
				}
			}
		}
	}
	return y, dx, dw, db
}

func randSlice(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 2*rng.Float64() - 1
	}
	return v
}

func close64(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	for i := range want {
		d := got[i] - want[i]
		if d < 0 {
			d = -d
		}
		if d > tol*(1+abs(want[i])) {
			t.Fatalf("%s[%d] = %.12g, want %.12g", what, i, got[i], want[i])
		}
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// convCases cover each kernel path: dense im2col, pointwise GEMM, strided 1×1, grouped, depthwise with
// stride, dilation and asymmetric parameters.
var convCases = []ConvGeom{
	{N: 2, C: 3, H: 5, W: 6, K: 4, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1, Groups: 1},
	{N: 2, C: 4, H: 7, W: 5, K: 6, KH: 3, KW: 2, SH: 2, SW: 1, PH: 1, PW: 0, DH: 2, DW: 1, Groups: 2},
	{N: 3, C: 4, H: 4, W: 4, K: 5, KH: 1, KW: 1, SH: 1, SW: 1, PH: 0, PW: 0, DH: 1, DW: 1, Groups: 1},
	{N: 2, C: 4, H: 6, W: 6, K: 4, KH: 1, KW: 1, SH: 2, SW: 2, PH: 0, PW: 0, DH: 1, DW: 1, Groups: 1},
	{N: 2, C: 3, H: 6, W: 7, K: 3, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1, Groups: 3},
	{N: 2, C: 3, H: 9, W: 8, K: 3, KH: 5, KW: 5, SH: 2, SW: 2, PH: 4, PW: 4, DH: 2, DW: 2, Groups: 3},
	{N: 1, C: 2, H: 5, W: 5, K: 2, KH: 3, KW: 3, SH: 3, SW: 2, PH: 2, PW: 0, DH: 1, DW: 2, Groups: 2},
	{N: 2, C: 2, H: 4, W: 3, K: 4, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1, Groups: 2}, // multiplier 2
	{N: 1, C: 1, H: 2, W: 2, K: 1, KH: 4, KW: 4, SH: 2, SW: 2, PH: 1, PW: 1, DH: 1, DW: 1, Groups: 1},
}

func TestConvAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i, g := range append(convCases, withReLU(convCases)...) {
		t.Run(fmt.Sprintf("case%d_relu%v", i, g.ReLU), func(t *testing.T) {
			if err := g.Validate(); err != nil {
				t.Fatal(err)
			}
			x := randSlice(rng, g.N*g.C*g.H*g.W)
			w := randSlice(rng, g.WeightLen())
			bias := randSlice(rng, g.K)
			dy := randSlice(rng, g.N*g.K*g.OutH()*g.OutW())
			wantY, wantDx, wantDw, wantDb := naiveConv(g, x, w, bias, dy)
			y := make([]float64, len(wantY))
			Conv2dForward(g, x, w, bias, y)
			close64(t, "y", y, wantY, 1e-12)
			dx := randSlice(rng, len(x)) // garbage: the kernels must overwrite
			Conv2dBackwardData(g, x, w, dy, dx)
			close64(t, "dx", dx, wantDx, 1e-12)
			dw := randSlice(rng, len(w))
			Conv2dBackwardFilter(g, x, dy, dw)
			close64(t, "dw", dw, wantDw, 1e-12)
			db := randSlice(rng, g.K)
			ConvBiasGrad(g.N, g.K, g.OutH()*g.OutW(), dy, db)
			close64(t, "db", db, wantDb, 1e-12)
		})
	}
}

func withReLU(cases []ConvGeom) []ConvGeom {
	out := make([]ConvGeom, len(cases))
	for i, g := range cases {
		g.ReLU = true
		out[i] = g
	}
	return out
}

func TestConvGeomValidate(t *testing.T) {
	ok := ConvGeom{N: 1, C: 4, H: 5, W: 5, K: 4, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, Groups: 2}
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate(%+v) = %v", ok, err)
	}
	bad := map[string]func(*ConvGeom){
		"groups":  func(g *ConvGeom) { g.Groups = 3 },
		"stride":  func(g *ConvGeom) { g.SH = 0 },
		"padding": func(g *ConvGeom) { g.PW = -1 },
		"kernel":  func(g *ConvGeom) { g.KH = 7 },
	}
	for name, f := range bad {
		g := ok
		f(&g)
		if err := g.Validate(); err == nil {
			t.Errorf("%s: Validate(%+v) = nil, want an error", name, g)
		}
	}
}

func TestValidRange(t *testing.T) {
	for nOut := 0; nOut < 6; nOut++ {
		for s := 1; s < 4; s++ {
			for off := -5; off < 5; off++ {
				for size := 1; size < 6; size++ {
					lo, hi := validRange(nOut, s, off, size)
					for o := 0; o < nOut; o++ {
						in := o*s+off >= 0 && o*s+off < size
						if in != (o >= lo && o < hi) {
							t.Fatalf("validRange(%d,%d,%d,%d) = [%d,%d), wrong at o=%d", nOut, s, off, size, lo, hi, o)
						}
					}
				}
			}
		}
	}
}

// TestGemmForms checks smallGemm and the BLAS path against each other and a naive product, in all the forms
// gemm is called with.
func TestGemmForms(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const m, n, k = 5, 7, 3
	for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}} {
		a := randSlice(rng, m*k)
		b := randSlice(rng, k*n)
		c0 := randSlice(rng, m*n)
		lda, ldb := k, n
		if tr[0] {
			lda = m
		}
		if tr[1] {
			ldb = k
		}
		at := func(i, l int) float64 {
			if tr[0] {
				return a[l*lda+i]
			}
			return a[i*lda+l]
		}
		bt := func(l, j int) float64 {
			if tr[1] {
				return b[j*ldb+l]
			}
			return b[l*ldb+j]
		}
		for _, beta := range []float64{0, 1} {
			want := make([]float64, m*n)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					s := beta * c0[i*n+j]
					for l := 0; l < k; l++ {
						s += at(i, l) * bt(l, j)
					}
					want[i*n+j] = s
				}
			}
			got := append([]float64(nil), c0...)
			gemm(tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, beta, got, n, false)
			close64(t, fmt.Sprintf("gemm%v beta %g", tr, beta), got, want, 1e-14)
			got = append([]float64(nil), c0...)
			gemm(tr[0], tr[1], m, n, k, 1.0000001, a, lda, b, ldb, beta, got, n, false) // alpha ≠ 1: BLAS path
			close64(t, fmt.Sprintf("blas gemm%v beta %g", tr, beta), got, want, 1e-6)
		}
	}
}
