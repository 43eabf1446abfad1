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
		yw := make([]T, wg.l)
		for p := lo; p < hi; p++ {
			c := p % g.C
			padPlane(wg, x[p*hw:(p+1)*hw], xp, g.ReLU)
			var b T
			if bias != nil {
				b = bias[c]
			}
			for i := range yw {
				yw[i] = b
			}
			vo.axpyTaps(yw, w[c*kk:(c+1)*kk], xp, wg.offs)
			cropPlane(wg, yw, y[p*l:(p+1)*l])
		}
	})
}

// depthwiseBackwardDataWide is Conv2dBackwardData for depthwise geometries: one SIMD axpy per tap scatters
// the wide output gradient into the padded input gradient, in parallel over the N·C planes.
func depthwiseBackwardDataWide[T Float](g ConvGeom, x, w, dy, dx []T) {
	vo := vecFor[T]()
	wg := g.wide()
	hw, l, kk := g.H*g.W, wg.oh*wg.ow, g.KH*g.KW
	ParallelFor(g.N*g.C, func(lo, hi int) {
		dxp := make([]T, wg.plen)
		dyw := make([]T, wg.l) // columns >= ow stay zero
		for p := lo; p < hi; p++ {
			c := p % g.C
			widenPlane(wg, dy[p*l:(p+1)*l], dyw)
			clear(dxp)
			wc := w[c*kk : (c+1)*kk]
			for t, off := range wg.offs {
				vo.axpy(wg.l, wc[t], dyw, 1, dxp[off:off+wg.l], 1)
			}
			if g.ReLU {
				unpadPlaneMasked(wg, dxp, x[p*hw:(p+1)*hw], dx[p*hw:(p+1)*hw])
			} else {
				unpadPlane(wg, dxp, dx[p*hw:(p+1)*hw])
			}
		}
	})
}

// depthwiseBackwardFilterWide is Conv2dBackwardFilter for depthwise geometries: one SIMD dot per tap and
// sample, parallel over channels, samples summed in order.
func depthwiseBackwardFilterWide[T Float](g ConvGeom, x, dy, dw []T) {
	vo := vecFor[T]()
	wg := g.wide()
	hw, l, kk := g.H*g.W, wg.oh*wg.ow, g.KH*g.KW
	ParallelFor(g.C, func(lo, hi int) {
		xp := make([]T, wg.plen)
		dyw := make([]T, wg.l)
		for c := lo; c < hi; c++ {
			dwc := dw[c*kk : (c+1)*kk]
			clear(dwc)
			for n := 0; n < g.N; n++ {
				p := n*g.C + c
				padPlane(wg, x[p*hw:(p+1)*hw], xp, g.ReLU)
				widenPlane(wg, dy[p*l:(p+1)*l], dyw)
				for t, off := range wg.offs {
					dwc[t] += vo.dot(wg.l, dyw, 1, xp[off:off+wg.l], 1)
				}
			}
		}
	})
}
