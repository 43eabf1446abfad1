package kernel

// stride1 reports whether g has unit stride.
func (g ConvGeom) stride1() bool { return g.SH == 1 && g.SW == 1 }

func (g ConvGeom) wide() wideGeom {
	return newWideGeom(g.H, g.W, g.PH, g.PW, g.SH, g.SW, g.OutH(), g.OutW(), g.KH, g.KW, g.DH, g.DW)
}

// depthwiseForwardWide is Conv2dForward for depthwise geometries: all taps in one fused SIMD pass over the
// wide plane (axpyTaps), in parallel over the N·C planes.
// A zero weight skips its tap (BLAS axpy semantics), so 0·∞ in the input does not turn into NaN.
func depthwiseForwardWide[T Float](g ConvGeom, x, w, bias, y []T) {
	vo := vecFor[T]()
	wg := g.wide()
	hw, l, kk := g.H*g.W, wg.oh*wg.ow, g.KH*g.KW
	ParallelFor(g.N*g.C, func(lo, hi int) {
		xp := make([]T, wg.plen)
		for p := lo; p < hi; p++ {
			c := p % g.C
			padPlane(wg, x[p*hw:(p+1)*hw], xp, g.ReLU)
			// Output row o is wide row o: its ow real columns are written straight into y (no crop).
			yp := y[p*l : (p+1)*l]
			if bias != nil {
				for i := range yp {
					yp[i] = bias[c]
				}
			}
			vo.taps2D(yp, wg.ow, w[c*kk:(c+1)*kk], xp, wg.wp, wg.offs, wg.oh, wg.ow, bias != nil)
		}
	})
}

// depthwiseBackwardDataWide is Conv2dBackwardData for depthwise geometries: the wide output gradient is
// gathered into the padded input gradient in one fused SIMD pass over all taps, in parallel over the N·C
// planes.
func depthwiseBackwardDataWide[T Float](g ConvGeom, x, w, dy, dx []T) {
	vo := vecFor[T]()
	wg := g.wide()
	hw, l, kk := g.H*g.W, wg.oh*wg.ow, g.KH*g.KW
	// Gather form of the scatter dxp[off_t + i] += w_t·dyw[i]: dxp[j] = Σ_t w_t·dywp[j + m − off_t], where
	// dywp is dyw with m = max off_t zeros in front (and zeros behind), so that all taps run in one fused
	// pass over dxp (axpyTaps), in the same tap order as the scatter.
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
			c := p % g.C
			widenPlane(wg, dy[p*l:(p+1)*l], dyw)
			if g.stride1() {
				// Input row r is padded row r+ph: gather straight into dx (no unpad copy).
				dxc := dx[p*hw : (p+1)*hw]
				vo.taps2D(dxc, g.W, w[c*kk:(c+1)*kk], dywp[g.PH*wg.wp+g.PW:], wg.wp, goffs, g.H, g.W, false)
				if g.ReLU {
					reluMaskInPlace(dxc, x[p*hw:(p+1)*hw])
				}
				continue
			}
			vo.setTaps(dxp, w[c*kk:(c+1)*kk], dywp, goffs)
			if g.ReLU {
				unpadPlaneMasked(wg, dxp, x[p*hw:(p+1)*hw], dx[p*hw:(p+1)*hw])
			} else {
				unpadPlane(wg, dxp, dx[p*hw:(p+1)*hw])
			}
		}
	})
}

// depthwiseBackwardFilterWide is Conv2dBackwardFilter for depthwise geometries: per sample, one fused SIMD pass
// over the plane computes every tap's dot (dotTaps2D), parallel over channels, samples summed in order.
func depthwiseBackwardFilterWide[T Float](g ConvGeom, x, dy, dw []T) {
	vo := vecFor[T]()
	wg := g.wide()
	hw, l, kk := g.H*g.W, wg.oh*wg.ow, g.KH*g.KW
	ParallelFor(g.C, func(lo, hi int) {
		xp := make([]T, wg.plen)
		part := make([]T, kk)
		for c := lo; c < hi; c++ {
			dwc := dw[c*kk : (c+1)*kk]
			clear(dwc)
			for n := 0; n < g.N; n++ {
				p := n*g.C + c
				padPlane(wg, x[p*hw:(p+1)*hw], xp, g.ReLU)
				// Output row o reads wide row o of the padded input: the real dy columns only, no widen copy.
				vo.dotTaps2D(part, dy[p*l:(p+1)*l], wg.ow, xp, wg.wp, wg.offs, wg.oh, wg.ow)
				for t, v := range part {
					dwc[t] += v
				}
			}
		}
	})
}
