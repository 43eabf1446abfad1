package kernel

// depthwiseForward is Conv2dForward for Groups == C == K: each (n, c) plane is convolved with its own
// KH×KW filter by direct loops (no im2col), in parallel over the N·C planes.
func depthwiseForward[T Float](g ConvGeom, x, w, bias, y []T) {
	if g.stride1() {
		depthwiseForwardWide(g, x, w, bias, y)
		return
	}
	oh, ow := g.OutH(), g.OutW()
	hw, l, kk := g.H*g.W, oh*ow, g.KH*g.KW
	ParallelFor(g.N*g.C, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			c := p % g.C
			xp := x[p*hw : (p+1)*hw]
			yp := y[p*l : (p+1)*l]
			wc := w[c*kk : (c+1)*kk]
			var b T
			if bias != nil {
				b = bias[c]
			}
			for i := range yp {
				yp[i] = b
			}
			for kh := 0; kh < g.KH; kh++ {
				offH := kh*g.DH - g.PH
				hlo, hhi := validRange(oh, g.SH, offH, g.H)
				for kw := 0; kw < g.KW; kw++ {
					offW := kw*g.DW - g.PW
					wlo, whi := validRange(ow, g.SW, offW, g.W)
					if wlo >= whi {
						continue
					}
					wv := wc[kh*g.KW+kw]
					for o := hlo; o < hhi; o++ {
						xrow := xp[(o*g.SH+offH)*g.W : (o*g.SH+offH+1)*g.W]
						yrow := yp[o*ow+wlo : o*ow+whi]
						if g.SW == 1 {
							xs := xrow[wlo+offW : whi+offW]
							xs = xs[:len(yrow)]
							for i := range yrow {
								yrow[i] += wv * xs[i]
							}
							continue
						}
						for i := range yrow {
							yrow[i] += wv * xrow[(wlo+i)*g.SW+offW]
						}
					}
				}
			}
		}
	})
}

// depthwiseBackwardData scatters dy back through each plane's filter, in parallel over the N·C planes (each
// plane of dx has one writer).
func depthwiseBackwardData[T Float](g ConvGeom, w, dy, dx []T) {
	if g.stride1() {
		depthwiseBackwardDataWide(g, w, dy, dx)
		return
	}
	oh, ow := g.OutH(), g.OutW()
	hw, l, kk := g.H*g.W, oh*ow, g.KH*g.KW
	ParallelFor(g.N*g.C, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			c := p % g.C
			dxp := dx[p*hw : (p+1)*hw]
			dyp := dy[p*l : (p+1)*l]
			wc := w[c*kk : (c+1)*kk]
			clear(dxp)
			for kh := 0; kh < g.KH; kh++ {
				offH := kh*g.DH - g.PH
				hlo, hhi := validRange(oh, g.SH, offH, g.H)
				for kw := 0; kw < g.KW; kw++ {
					offW := kw*g.DW - g.PW
					wlo, whi := validRange(ow, g.SW, offW, g.W)
					if wlo >= whi {
						continue
					}
					wv := wc[kh*g.KW+kw]
					for o := hlo; o < hhi; o++ {
						dxrow := dxp[(o*g.SH+offH)*g.W : (o*g.SH+offH+1)*g.W]
						dyrow := dyp[o*ow+wlo : o*ow+whi]
						if g.SW == 1 {
							ds := dxrow[wlo+offW : whi+offW]
							ds = ds[:len(dyrow)]
							for i, v := range dyrow {
								ds[i] += wv * v
							}
							continue
						}
						for i, v := range dyrow {
							dxrow[(wlo+i)*g.SW+offW] += wv * v
						}
					}
				}
			}
		}
	})
}

// depthwiseBackwardFilter computes each channel's filter gradient Σ_n Σ_(oh,ow) dy·x, in parallel over
// channels (each channel's KH·KW gradients have one writer, and samples are summed in order).
func depthwiseBackwardFilter[T Float](g ConvGeom, x, dy, dw []T) {
	if g.stride1() {
		depthwiseBackwardFilterWide(g, x, dy, dw)
		return
	}
	oh, ow := g.OutH(), g.OutW()
	hw, l, kk := g.H*g.W, oh*ow, g.KH*g.KW
	ParallelFor(g.C, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			dwc := dw[c*kk : (c+1)*kk]
			clear(dwc)
			for n := 0; n < g.N; n++ {
				p := n*g.C + c
				xp := x[p*hw : (p+1)*hw]
				dyp := dy[p*l : (p+1)*l]
				for kh := 0; kh < g.KH; kh++ {
					offH := kh*g.DH - g.PH
					hlo, hhi := validRange(oh, g.SH, offH, g.H)
					for kw := 0; kw < g.KW; kw++ {
						offW := kw*g.DW - g.PW
						wlo, whi := validRange(ow, g.SW, offW, g.W)
						if wlo >= whi {
							continue
						}
						var s T
						for o := hlo; o < hhi; o++ {
							xrow := xp[(o*g.SH+offH)*g.W : (o*g.SH+offH+1)*g.W]
							dyrow := dyp[o*ow+wlo : o*ow+whi]
							if g.SW == 1 {
								xs := xrow[wlo+offW : whi+offW]
								xs = xs[:len(dyrow)]
								for i, v := range dyrow {
									s += v * xs[i]
								}
								continue
							}
							for i, v := range dyrow {
								s += v * xrow[(wlo+i)*g.SW+offW]
							}
						}
						dwc[kh*g.KW+kw] += s
					}
				}
			}
		}
	})
}

// stride1 reports whether g has unit stride, the case that runs on the wide layout.
func (g ConvGeom) stride1() bool { return g.SH == 1 && g.SW == 1 }

func (g ConvGeom) wide() wideGeom {
	return newWideGeom(g.H, g.W, g.PH, g.PW, g.OutH(), g.OutW(), g.KH, g.KW, g.DH, g.DW)
}

// depthwiseForwardWide is depthwiseForward for stride 1: one SIMD axpy per tap over the wide plane.
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
			padPlane(wg, x[p*hw:(p+1)*hw], xp)
			var b T
			if bias != nil {
				b = bias[c]
			}
			for i := range yw {
				yw[i] = b
			}
			wc := w[c*kk : (c+1)*kk]
			for t, off := range wg.offs {
				vo.axpy(wg.l, wc[t], xp[off:off+wg.l], 1, yw, 1)
			}
			cropPlane(wg, yw, y[p*l:(p+1)*l])
		}
	})
}

// depthwiseBackwardDataWide is depthwiseBackwardData for stride 1: one SIMD axpy per tap scatters the wide
// output gradient into the padded input gradient.
func depthwiseBackwardDataWide[T Float](g ConvGeom, w, dy, dx []T) {
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
			unpadPlane(wg, dxp, dx[p*hw:(p+1)*hw])
		}
	})
}

// depthwiseBackwardFilterWide is depthwiseBackwardFilter for stride 1: one SIMD dot per tap and sample,
// parallel over channels, samples summed in order.
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
				padPlane(wg, x[p*hw:(p+1)*hw], xp)
				widenPlane(wg, dy[p*l:(p+1)*l], dyw)
				for t, off := range wg.offs {
					dwc[t] += vo.dot(wg.l, dyw, 1, xp[off:off+wg.l], 1)
				}
			}
		}
	})
}
