package kernel

// Stride-1 grouped/dense convolutions on the wide layout of wide.go: every (output channel, input channel,
// tap) triple is one SIMD axpy (or dot) over a whole padded plane, so no im2col matrix is built or scattered
// back. Used for stride-1 kernels larger than 1×1 that are not depthwise.

// wideDense reports whether g runs on convForwardWide and friends.
func (g ConvGeom) wideDense() bool { return g.stride1() && !g.Pointwise() && !g.Depthwise() }

func convForwardWide[T Float](g ConvGeom, x, w, bias, y []T) {
	vo := vecFor[T]()
	wg := g.wide()
	cg, kg := g.C/g.Groups, g.K/g.Groups
	hw, l, kk := g.H*g.W, wg.oh*wg.ow, g.KH*g.KW
	ParallelFor(g.N, func(lo, hi int) {
		xp := make([]T, g.C*wg.plen)
		yw := make([]T, wg.l)
		for n := lo; n < hi; n++ {
			for c := 0; c < g.C; c++ {
				p := n*g.C + c
				padPlane(wg, x[p*hw:(p+1)*hw], xp[c*wg.plen:(c+1)*wg.plen], g.ReLU)
			}
			for k := 0; k < g.K; k++ {
				var b T
				if bias != nil {
					b = bias[k]
				}
				for i := range yw {
					yw[i] = b
				}
				gr := k / kg
				for ci := 0; ci < cg; ci++ {
					xc := xp[(gr*cg+ci)*wg.plen : (gr*cg+ci+1)*wg.plen]
					wkc := w[(k*cg+ci)*kk : (k*cg+ci+1)*kk]
					for t, off := range wg.offs {
						vo.axpy(wg.l, wkc[t], xc[off:off+wg.l], 1, yw, 1)
					}
				}
				p := n*g.K + k
				cropPlane(wg, yw, y[p*l:(p+1)*l])
			}
		}
	})
}

func convBackwardDataWide[T Float](g ConvGeom, x, w, dy, dx []T) {
	vo := vecFor[T]()
	wg := g.wide()
	cg, kg := g.C/g.Groups, g.K/g.Groups
	hw, l, kk := g.H*g.W, wg.oh*wg.ow, g.KH*g.KW
	ParallelFor(g.N, func(lo, hi int) {
		dyw := make([]T, g.K*wg.l) // columns >= ow stay zero
		dxp := make([]T, wg.plen)
		for n := lo; n < hi; n++ {
			for k := 0; k < g.K; k++ {
				p := n*g.K + k
				widenPlane(wg, dy[p*l:(p+1)*l], dyw[k*wg.l:(k+1)*wg.l])
			}
			for c := 0; c < g.C; c++ {
				clear(dxp)
				gr := c / cg
				ci := c - gr*cg
				for k := gr * kg; k < (gr+1)*kg; k++ {
					dyk := dyw[k*wg.l : (k+1)*wg.l]
					wkc := w[(k*cg+ci)*kk : (k*cg+ci+1)*kk]
					for t, off := range wg.offs {
						vo.axpy(wg.l, wkc[t], dyk, 1, dxp[off:off+wg.l], 1)
					}
				}
				p := n*g.C + c
				if g.ReLU {
					unpadPlaneMasked(wg, dxp, x[p*hw:(p+1)*hw], dx[p*hw:(p+1)*hw])
				} else {
					unpadPlane(wg, dxp, dx[p*hw:(p+1)*hw])
				}
			}
		}
	})
}

func convBackwardFilterWide[T Float](g ConvGeom, x, dy, dw []T) {
	vo := vecFor[T]()
	wg := g.wide()
	cg, kg := g.C/g.Groups, g.K/g.Groups
	hw, l, kk := g.H*g.W, wg.oh*wg.ow, g.KH*g.KW
	nb := min(filterBlocks, g.N)
	partial := make([]T, nb*len(dw))
	ParallelFor(nb, func(blo, bhi int) {
		xp := make([]T, g.C*wg.plen)
		dyw := make([]T, wg.l)
		for b := blo; b < bhi; b++ {
			acc := partial[b*len(dw) : (b+1)*len(dw)]
			for n := b * g.N / nb; n < (b+1)*g.N/nb; n++ {
				for c := 0; c < g.C; c++ {
					p := n*g.C + c
					padPlane(wg, x[p*hw:(p+1)*hw], xp[c*wg.plen:(c+1)*wg.plen], g.ReLU)
				}
				for k := 0; k < g.K; k++ {
					p := n*g.K + k
					widenPlane(wg, dy[p*l:(p+1)*l], dyw)
					gr := k / kg
					for ci := 0; ci < cg; ci++ {
						xc := xp[(gr*cg+ci)*wg.plen : (gr*cg+ci+1)*wg.plen]
						a := acc[(k*cg+ci)*kk : (k*cg+ci+1)*kk]
						for t, off := range wg.offs {
							a[t] += vo.dot(wg.l, dyw, 1, xc[off:off+wg.l], 1)
						}
					}
				}
			}
		}
	})
	sumPartials(nb, partial, dw)
}

// sumPartials overwrites dst with the sum of the nb consecutive partial buffers, in buffer order.
func sumPartials[T Float](nb int, partial, dst []T) {
	ParallelFor(len(dst), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			var s T
			for b := 0; b < nb; b++ {
				s += partial[b*len(dst)+i]
			}
			dst[i] = s
		}
	})
}
