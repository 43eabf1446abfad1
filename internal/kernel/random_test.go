package kernel

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestRandomGeometries compares every kernel path with the naive references on many random small geometries
// (strides, paddings, dilations, groups, depthwise and ReLU drawn at random), so that the layouts' index
// arithmetic is exercised far beyond the hand-picked cases.
func TestRandomGeometries(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	n := 300
	if testing.Short() {
		n = 60
	}
	convs, pools := 0, 0
	for it := 0; it < n; it++ {
		groups := 1 + rng.IntN(3)
		cg := 1 + rng.IntN(2)
		kg := 1 + rng.IntN(2)
		if rng.IntN(3) == 0 { // depthwise
			cg, kg = 1, 1
			groups = 1 + rng.IntN(4)
		}
		g := ConvGeom{N: 1 + rng.IntN(2), C: groups * cg, H: 1 + rng.IntN(9), W: 1 + rng.IntN(9), K: groups * kg,
			KH: 1 + rng.IntN(5), KW: 1 + rng.IntN(5), SH: 1 + rng.IntN(3), SW: 1 + rng.IntN(3),
			PH: rng.IntN(4), PW: rng.IntN(4), DH: 1 + rng.IntN(3), DW: 1 + rng.IntN(3), Groups: groups,
			ReLU: rng.IntN(2) == 0}
		if g.Validate() == nil {
			convs++
			checkRandomConv(t, rng, g)
		}

		p := PoolGeom{N: 1 + rng.IntN(2), C: 1 + rng.IntN(3), H: 1 + rng.IntN(9), W: 1 + rng.IntN(9),
			KH: 1 + rng.IntN(4), KW: 1 + rng.IntN(4), SH: 1 + rng.IntN(3), SW: 1 + rng.IntN(3)}
		p.PH, p.PW = rng.IntN(p.KH/2+1), rng.IntN(p.KW/2+1)
		if p.Validate() == nil {
			pools++
			checkRandomPool(t, rng, p)
		}
	}
	if convs < n/3 || pools < n/3 {
		t.Errorf("only %d conv and %d pool geometries of %d were valid", convs, pools, n)
	}
}

func checkRandomConv(t *testing.T, rng *rand.Rand, g ConvGeom) {
	t.Helper()
	{
		x := randSlice(rng, g.N*g.C*g.H*g.W)
		w := randSlice(rng, g.WeightLen())
		bias := randSlice(rng, g.K)
		dy := randSlice(rng, g.N*g.K*g.OutH()*g.OutW())
		wantY, wantDx, wantDw, _ := naiveConv(g, x, w, bias, dy)
		y, dx, dw := make([]float64, len(wantY)), make([]float64, len(x)), make([]float64, len(w))
		Conv2dForward(g, x, w, bias, y)
		Conv2dBackwardData(g, x, w, dy, dx)
		Conv2dBackwardFilter(g, x, dy, dw)
		name := fmt.Sprintf("conv %+v", g)
		close64(t, name+" y", y, wantY, 1e-12)
		close64(t, name+" dx", dx, wantDx, 1e-12)
		close64(t, name+" dw", dw, wantDw, 1e-12)
	}
}

func checkRandomPool(t *testing.T, rng *rand.Rand, p PoolGeom) {
	t.Helper()
	{
		px := randSlice(rng, p.N*p.C*p.H*p.W)
		pdy := randSlice(rng, p.N*p.C*p.OutH()*p.OutW())
		for _, mode := range []string{"max", "avg-include", "avg-exclude"} {
			wy, wdx := naivePool(p, mode == "max", mode == "avg-include", px, pdy)
			py, pdx := make([]float64, len(wy)), make([]float64, len(px))
			if mode == "max" {
				MaxPool2dForward(p, px, py)
				MaxPool2dBackward(p, px, py, pdy, pdx)
			} else {
				AvgPool2dForward(p, mode == "avg-include", px, py)
				AvgPool2dBackward(p, mode == "avg-include", pdy, pdx)
			}
			name := fmt.Sprintf("%s pool %+v", mode, p)
			close64(t, name+" y", py, wy, 1e-13)
			close64(t, name+" dx", pdx, wdx, 1e-13)
		}
	}
}
