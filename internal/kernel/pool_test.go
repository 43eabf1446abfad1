package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naivePool is the definition of torch's max_pool2d / avg_pool2d (ceil_mode=False) as plain loops over the
// padded window, with the gradient of sum(y ⊙ dy). Max uses torch's selection rule: the running maximum is
// replaced when a value is greater or NaN; padding is skipped.
func naivePool(g PoolGeom, isMax, countIncludePad bool, x, dy []float64) (y, dx []float64) {
	oh, ow := g.OutH(), g.OutW()
	y = make([]float64, g.N*g.C*oh*ow)
	dx = make([]float64, len(x))
	for p := 0; p < g.N*g.C; p++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				yi := (p*oh+i)*ow + j
				m, arg, sum, cnt := math.Inf(-1), -1, 0.0, 0
				for a := 0; a < g.KH; a++ {
					for b := 0; b < g.KW; b++ {
						ih, iw := i*g.SH-g.PH+a, j*g.SW-g.PW+b
						if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
							continue
						}
						xi := (p*g.H+ih)*g.W + iw
						v := x[xi]
						if arg < 0 || v > m || math.IsNaN(v) {
							m, arg = v, xi
						}
						sum += v
						cnt++
					}
				}
				if isMax {
					y[yi] = m
					dx[arg] += dy[yi]
					continue
				}
				div := cnt
				if countIncludePad {
					div = g.KH * g.KW
				}
				y[yi] = sum / float64(div)
				for a := 0; a < g.KH; a++ {
					for b := 0; b < g.KW; b++ {
						ih, iw := i*g.SH-g.PH+a, j*g.SW-g.PW+b
						if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
							dx[(p*g.H+ih)*g.W+iw] += dy[yi] / float64(div)
						}
					}
				}
			}
		}
	}
	return y, dx
}

var poolCases = []PoolGeom{
	{N: 2, C: 3, H: 5, W: 6, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1},
	{N: 2, C: 2, H: 7, W: 7, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1},
	{N: 1, C: 2, H: 6, W: 5, KH: 2, KW: 3, SH: 2, SW: 1, PH: 0, PW: 1},
	{N: 1, C: 1, H: 4, W: 4, KH: 4, KW: 4, SH: 1, SW: 1, PH: 2, PW: 2},
}

func TestPoolAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i, g := range poolCases {
		if err := g.Validate(); err != nil {
			t.Fatal(err)
		}
		x := randSlice(rng, g.N*g.C*g.H*g.W)
		// Ties: copy a value into its neighbour, so the first-maximum rule is exercised.
		for k := 0; k+1 < len(x); k += 5 {
			x[k+1] = x[k]
		}
		dy := randSlice(rng, g.N*g.C*g.OutH()*g.OutW())
		for _, mode := range []string{"max", "avg-include", "avg-exclude"} {
			t.Run(fmt.Sprintf("case%d/%s", i, mode), func(t *testing.T) {
				wantY, wantDx := naivePool(g, mode == "max", mode == "avg-include", x, dy)
				y := randSlice(rng, len(wantY))
				dx := randSlice(rng, len(x))
				if mode == "max" {
					MaxPool2dForward(g, x, y)
					MaxPool2dBackward(g, x, y, dy, dx)
				} else {
					AvgPool2dForward(g, mode == "avg-include", x, y)
					AvgPool2dBackward(g, mode == "avg-include", dy, dx)
				}
				close64(t, "y", y, wantY, 1e-14)
				close64(t, "dx", dx, wantDx, 1e-14)
			})
		}
	}
}

func TestMaxPoolNaN(t *testing.T) {
	g := PoolGeom{N: 1, C: 1, H: 1, W: 4, KH: 1, KW: 4, SH: 1, SW: 1}
	nan := math.NaN()
	x := []float64{1, nan, 5, nan}
	dy := []float64{2}
	y := make([]float64, 1)
	dx := make([]float64, 4)
	MaxPool2dForward(g, x, y)
	MaxPool2dBackward(g, x, y, dy, dx)
	if !math.IsNaN(y[0]) || dx[3] != 2 || dx[0]+dx[1]+dx[2] != 0 {
		t.Errorf("maxpool with NaNs: y=%v dx=%v, want y=NaN and the gradient on the last NaN", y, dx)
	}
}

// TestMaxPoolNegInf checks that an all −∞ input sends each gradient to the first in-bounds element of its
// window, never to the (−∞) padding.
func TestMaxPoolNegInf(t *testing.T) {
	g := PoolGeom{N: 1, C: 1, H: 2, W: 2, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1}
	ninf := math.Inf(-1)
	x := []float64{ninf, ninf, ninf, ninf}
	y := make([]float64, 4)
	dx := make([]float64, 4)
	MaxPool2dForward(g, x, y)
	MaxPool2dBackward(g, x, y, []float64{1, 2, 3, 4}, dx)
	close64(t, "y", y, x, 0)
	close64(t, "dx", dx, []float64{10, 0, 0, 0}, 0)
}

func TestGlobalAvgPool(t *testing.T) {
	x := []float64{1, 2, 3, 4, -1, -3, 0, 0}
	y := make([]float64, 2)
	GlobalAvgPoolForward(2, 4, x, y)
	close64(t, "y", y, []float64{2.5, -1}, 0)
	dx := make([]float64, 8)
	GlobalAvgPoolBackward(2, 4, []float64{4, -8}, dx)
	close64(t, "dx", dx, []float64{1, 1, 1, 1, -2, -2, -2, -2}, 0)
}

func TestPoolGeomValidate(t *testing.T) {
	bad := []PoolGeom{
		{N: 1, C: 1, H: 4, W: 4, KH: 3, KW: 3, SH: 1, SW: 1, PH: 2, PW: 0}, // padding over half the kernel
		{N: 1, C: 1, H: 2, W: 2, KH: 3, KW: 3, SH: 1, SW: 1},               // kernel larger than input
		{N: 1, C: 1, H: 4, W: 4, KH: 3, KW: 3, SH: 0, SW: 1},               // zero stride
	}
	for _, g := range bad {
		if err := g.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", g)
		}
	}
}
