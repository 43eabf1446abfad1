package kernel

import "math"

// Pooling on the wide layout of wide.go: every tap is one pass over a whole (phase) plane.

func (g PoolGeom) stride1() bool { return g.SH == 1 && g.SW == 1 }

func (g PoolGeom) wide() wideGeom {
	return newWideGeom(g.H, g.W, g.PH, g.PW, g.SH, g.SW, g.OutH(), g.OutW(), g.KH, g.KW, 1, 1)
}

// avgDivisors returns the divisor of each output row and column: the window counts along each axis, whose
// products are the count_include_pad=False divisors.
func (g PoolGeom) avgCounts() (rows, cols []int) {
	rows = make([]int, g.OutH())
	for i := range rows {
		lo, hi := window(i, g.KH, g.SH, g.PH, g.H)
		rows[i] = hi - lo
	}
	cols = make([]int, g.OutW())
	for j := range cols {
		lo, hi := window(j, g.KW, g.SW, g.PW, g.W)
		cols[j] = hi - lo
	}
	return rows, cols
}

// divisor returns the divisor of output (i, j).
func (g PoolGeom) divisor(countIncludePad bool, rows, cols []int, i, j int) int {
	if countIncludePad {
		return g.KH * g.KW
	}
	return rows[i] * cols[j]
}

func avgPoolForwardWide[T Float](g PoolGeom, countIncludePad bool, x, y []T) {
	vo := vecFor[T]()
	wg := g.wide()
	rows, cols := g.avgCounts()
	hw, l := g.H*g.W, wg.oh*wg.ow
	ParallelFor(g.N*g.C, func(lo, hi int) {
		xp := make([]T, wg.plen)
		yw := make([]T, wg.l)
		for p := lo; p < hi; p++ {
			padPlane(wg, x[p*hw:(p+1)*hw], xp, false)
			clear(yw)
			for _, off := range wg.offs {
				vo.axpy(wg.l, 1, xp[off:off+wg.l], 1, yw, 1)
			}
			yp := y[p*l : (p+1)*l]
			for i := 0; i < wg.oh; i++ {
				src, dst := yw[i*wg.wp:i*wg.wp+wg.ow], yp[i*wg.ow:(i+1)*wg.ow]
				for j := range dst {
					dst[j] = src[j] / T(g.divisor(countIncludePad, rows, cols, i, j))
				}
			}
		}
	})
}

func avgPoolBackwardWide[T Float](g PoolGeom, countIncludePad bool, dy, dx []T) {
	vo := vecFor[T]()
	wg := g.wide()
	rows, cols := g.avgCounts()
	hw, l := g.H*g.W, wg.oh*wg.ow
	ParallelFor(g.N*g.C, func(lo, hi int) {
		dxp := make([]T, wg.plen)
		dyw := make([]T, wg.l) // columns >= ow stay zero
		for p := lo; p < hi; p++ {
			dyp := dy[p*l : (p+1)*l]
			for i := 0; i < wg.oh; i++ {
				src, dst := dyp[i*wg.ow:(i+1)*wg.ow], dyw[i*wg.wp:i*wg.wp+wg.ow]
				for j := range dst {
					dst[j] = src[j] / T(g.divisor(countIncludePad, rows, cols, i, j))
				}
			}
			clear(dxp)
			for _, off := range wg.offs {
				vo.axpy(wg.l, 1, dyw, 1, dxp[off:off+wg.l], 1)
			}
			unpadPlane(wg, dxp, dx[p*hw:(p+1)*hw])
		}
	})
}

// fillNegInf sets every element of v to −∞.
func fillNegInf[T Float](v []T) {
	ninf := T(math.Inf(-1))
	for i := range v {
		v[i] = ninf
	}
}

func maxPoolForwardWide[T Float](g PoolGeom, x, y []T) {
	wg := g.wide()
	hw, l := g.H*g.W, wg.oh*wg.ow
	ParallelFor(g.N*g.C, func(lo, hi int) {
		xp := make([]T, wg.plen)
		fillNegInf(xp) // the border stays −∞: padding is never selected
		// With stride 1, max is separable: first over each row window (hm, over the whole padded plane),
		// then over the column of row maxima. KW−1 + KH−1 passes instead of KH·KW−1; max is associative and
		// NaN-propagating, so the value is the same as the full window scan.
		hp := wg.plen - (g.KW - 1)
		hm := make([]T, hp)
		yw := make([]T, wg.l)
		for p := lo; p < hi; p++ {
			padPlane(wg, x[p*hw:(p+1)*hw], xp, false)
			if !g.stride1() {
				// Strided: one pass per tap over the phase planes.
				fillNegInf(yw)
				for _, off := range wg.offs {
					maxInto(yw, xp[off:off+wg.l])
				}
				cropPlane(wg, yw, y[p*l:(p+1)*l])
				continue
			}
			copy(hm, xp[:hp])
			for kw := 1; kw < g.KW; kw++ {
				maxInto(hm, xp[kw:kw+hp])
			}
			copy(yw, hm[:wg.l])
			for kh := 1; kh < g.KH; kh++ {
				maxInto(yw, hm[kh*wg.wp:kh*wg.wp+wg.l])
			}
			cropPlane(wg, yw, y[p*l:(p+1)*l])
		}
	})
}

func maxPoolBackwardWide[T Float](g PoolGeom, x, y, dy, dx []T) {
	wg := g.wide()
	hw, l := g.H*g.W, wg.oh*wg.ow
	ninf := T(math.Inf(-1))
	ParallelFor(g.N*g.C, func(lo, hi int) {
		xp := make([]T, wg.plen)
		fillNegInf(xp)
		dxp := make([]T, wg.plen)
		yw := make([]T, wg.l)
		arg := make([]int32, wg.l)
		for p := lo; p < hi; p++ {
			padPlane(wg, x[p*hw:(p+1)*hw], xp, false)
			widenPlane(wg, y[p*l:(p+1)*l], yw)
			for i := range arg {
				arg[i] = -1
			}
			// The first tap (row-major) whose value equals the window maximum is PyTorch's argmax. Scanning
			// the taps backwards and letting the last match win finds it without a data-dependent branch.
			for t := len(wg.offs) - 1; t >= 0; t-- {
				off := wg.offs[t]
				markEqual(arg, yw, xp[off:off+wg.l], int32(off))
			}
			clear(dxp)
			yp, dyp := y[p*l:(p+1)*l], dy[p*l:(p+1)*l]
			for i := 0; i < wg.oh; i++ {
				for j := 0; j < wg.ow; j++ {
					k := i*wg.wp + j
					if m := yp[i*wg.ow+j]; m != m || m == ninf {
						// NaN (PyTorch takes the last NaN) or −∞ (the border matches too): search the
						// clipped window directly.
						arg[k] = int32(maxPoolSelect(g, xp, wg, i, j, m) - k)
					}
					if arg[k] >= 0 { // always, when y is the forward output for x
						dxp[k+int(arg[k])] += dyp[i*wg.ow+j]
					}
				}
			}
			unpadPlane(wg, dxp, dx[p*hw:(p+1)*hw])
		}
	})
}

// maxPoolSelect returns the padded-plane index PyTorch selects for output (i, j) with maximum m, scanning the
// window's in-bounds elements in row-major order: the first equal to m, or the last NaN if m is NaN.
func maxPoolSelect[T Float](g PoolGeom, xp []T, wg wideGeom, i, j int, m T) int {
	h0, h1 := window(i, g.KH, g.SH, g.PH, g.H)
	w0, w1 := window(j, g.KW, g.SW, g.PW, g.W)
	idx := -1
	for a := h0; a < h1; a++ {
		for b := w0; b < w1; b++ {
			k := wg.at(a+g.PH, b+g.PW)
			v := xp[k]
			if m != m {
				if v != v {
					idx = k
				}
			} else if v == m {
				return k
			}
		}
	}
	return idx
}

// maxInto sets yw[i] = max(yw[i], xs[i]). Go's max is branchless and returns NaN if either operand is NaN,
// so over a window's taps it gives the same value as PyTorch's scan (take a greater value or a NaN). It is a
// separate function so that the loop keeps its operands in registers.
func maxInto[T Float](yw, xs []T) {
	xs = xs[:len(yw)]
	for i, m := range yw {
		yw[i] = max(m, xs[i])
	}
}

// markEqual sets arg[i] = off wherever xs[i] == yw[i], without a data-dependent branch (CMOV).
func markEqual[T Float](arg []int32, yw, xs []T, off int32) {
	xs = xs[:len(yw)]
	arg = arg[:len(yw)]
	for i, m := range yw {
		v := arg[i]
		if xs[i] == m {
			v = off
		}
		arg[i] = v
	}
}
