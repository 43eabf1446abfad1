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

// avgDivisorPlane returns the divisor of every output element, (OutH·OutW) values.
func (g PoolGeom) avgDivisorPlane(countIncludePad bool) []int {
	rows, cols := g.avgCounts()
	d := make([]int, len(rows)*len(cols))
	for i := range rows {
		for j := range cols {
			d[i*len(cols)+j] = g.divisor(countIncludePad, rows, cols, i, j)
		}
	}
	return d
}

// avgPoolForwardWide sums each window with all taps fused in one pass (taps2D with unit weights, straight
// into the output rows), then divides by the window's divisor, in parallel over the N·C planes.
func avgPoolForwardWide[T Float](g PoolGeom, countIncludePad bool, x, y []T) {
	vo := vecFor[T]()
	wg := g.wide()
	div := g.avgDivisorPlane(countIncludePad)
	hw, l := g.H*g.W, wg.oh*wg.ow
	ones := make([]T, len(wg.offs))
	for t := range ones {
		ones[t] = 1
	}
	ParallelFor(g.N*g.C, func(lo, hi int) {
		xp := make([]T, wg.plen)
		for p := lo; p < hi; p++ {
			padPlane(wg, x[p*hw:(p+1)*hw], xp, false)
			yp := y[p*l : (p+1)*l]
			vo.taps2D(yp, wg.ow, ones, xp, wg.wp, wg.offs, wg.oh, wg.ow, false)
			for i, d := range div {
				yp[i] /= T(d)
			}
		}
	})
}

// avgPoolBackwardWide spreads dy/divisor over each window: stride 1 gathers all taps straight into dx in one
// pass (as the depthwise data gradient does); other strides scatter into the padded phase planes.
func avgPoolBackwardWide[T Float](g PoolGeom, countIncludePad bool, dy, dx []T) {
	vo := vecFor[T]()
	wg := g.wide()
	div := g.avgDivisorPlane(countIncludePad)
	hw, l := g.H*g.W, wg.oh*wg.ow
	ones := make([]T, len(wg.offs))
	for t := range ones {
		ones[t] = 1
	}
	// Gather form (see depthwiseBackwardDataWide): dxp[j] = Σ_t dywp[j + m − off_t].
	m := 0
	for _, off := range wg.offs {
		m = max(m, off)
	}
	goffs := make([]int, len(wg.offs))
	for t, off := range wg.offs {
		goffs[t] = m - off
	}
	ParallelFor(g.N*g.C, func(lo, hi int) {
		dxp := make([]T, wg.plen)
		dywp := make([]T, wg.plen+m) // outside dyw's real columns it stays zero
		dyw := dywp[m : m+wg.l]
		for p := lo; p < hi; p++ {
			dyp := dy[p*l : (p+1)*l]
			for i := 0; i < wg.oh; i++ {
				src, dst := dyp[i*wg.ow:(i+1)*wg.ow], dyw[i*wg.wp:i*wg.wp+wg.ow]
				for j := range dst {
					dst[j] = src[j] / T(div[i*wg.ow+j])
				}
			}
			if g.stride1() {
				vo.taps2D(dx[p*hw:(p+1)*hw], g.W, ones, dywp[g.PH*wg.wp+g.PW:], wg.wp, goffs, g.H, g.W, false)
				continue
			}
			vo.setTaps(dxp, ones, dywp, goffs)
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
		offs32 := make([]int32, len(wg.offs))
		for t, off := range wg.offs {
			offs32[t] = int32(off)
		}
		for p := lo; p < hi; p++ {
			padPlane(wg, x[p*hw:(p+1)*hw], xp, false)
			widenPlane(wg, y[p*l:(p+1)*l], yw)
			// The first tap (row-major) whose value equals the window maximum is PyTorch's argmax.
			markTaps(arg, yw, xp, offs32)
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
// so over a window's taps it gives the same value as PyTorch's scan (take a greater value or a NaN). float32
// runs maxIntoAVX2 (the same rules, 8 lanes) where the CPU has it. It is a separate function so that the
// loop keeps its operands in registers.
func maxInto[T Float](yw, xs []T) {
	xs = xs[:len(yw)]
	if y32, ok := any(yw).([]float32); ok && useAVX2 && len(yw) >= 8 {
		m := len(yw) &^ 7
		maxIntoAVX2(&y32[0], &any(xs).([]float32)[0], m)
		yw, xs = yw[m:], xs[m:]
	}
	for i, m := range yw {
		yw[i] = max(m, xs[i])
	}
}

// markTaps sets arg[i] = offs[t] for the first tap t (in order) with xp[offs[t]+i] == yw[i], or −1 where no
// tap matches, for i < len(arg) = len(yw): the argmax of each max-pooling window, as PyTorch's row-major
// scan picks it. float32 runs markTapsAVX2 (one pass over all taps, no data-dependent branch) where the CPU
// has it. It panics when a tap reads outside xp.
func markTaps[T Float](arg []int32, yw, xp []T, offs []int32) {
	n := len(arg)
	yw = yw[:n]
	for _, off := range offs {
		if off < 0 || int(off)+n > len(xp) {
			panic("kernel: markTaps tap reads outside x")
		}
	}
	m := 0
	if y32, ok := any(yw).([]float32); ok && useAVX2 && n >= 8 && len(offs) > 0 {
		m = n &^ 7
		markTapsAVX2(&arg[0], &y32[0], &any(xp).([]float32)[0], &offs[0], len(offs), m)
	}
	for i := m; i < n; i++ {
		v := int32(-1)
		for t := len(offs) - 1; t >= 0; t-- {
			if xp[int(offs[t])+i] == yw[i] {
				v = offs[t]
			}
		}
		arg[i] = v
	}
}
