package kernel

// Stride-1 grouped/dense convolutions on the wide layout of wide.go: all (input channel, tap) pairs of an output
// plane run in one fused SIMD pass over the padded planes (and likewise for the gradients), so no im2col
// matrix is built or scattered back. Used for stride-1 kernels larger than 1×1 that are not depthwise.

// wideDense reports whether g runs on convForwardWide and friends.
func (g ConvGeom) wideDense() bool { return g.stride1() && !g.Pointwise() && !g.Depthwise() }

// wideTaps returns the taps of all cg input planes of a group laid out plane after plane, stride apart, in
// one buffer: tap (ci, t) reads offs[t] + ci·stride (+ base), in the weight order (ci, kh, kw).
func wideTaps(offs []int, cg, stride, base int) []int {
	all := make([]int, 0, cg*len(offs))
	for ci := 0; ci < cg; ci++ {
		for _, off := range offs {
			all = append(all, base+ci*stride+off)
		}
	}
	return all
}

// convForwardWide runs each output plane as one fused pass over all taps of all input planes of its group
// (taps2D), written straight into the output rows, in parallel over samples.
func convForwardWide[T Float](g ConvGeom, x, w, bias, y []T) {
	vo := vecFor[T]()
	wg := g.wide()
	cg, kg := g.C/g.Groups, g.K/g.Groups
	hw, l, kk := g.H*g.W, wg.oh*wg.ow, g.KH*g.KW
	offs := wideTaps(wg.offs, cg, wg.plen, 0)
	ParallelFor(g.N, func(lo, hi int) {
		xp := make([]T, g.C*wg.plen)
		for n := lo; n < hi; n++ {
			for c := 0; c < g.C; c++ {
				p := n*g.C + c
				padPlane(wg, x[p*hw:(p+1)*hw], xp[c*wg.plen:(c+1)*wg.plen], g.ReLU)
			}
			for k := 0; k < g.K; k++ {
				yk := y[(n*g.K+k)*l : (n*g.K+k+1)*l]
				if bias != nil {
					for i := range yk {
						yk[i] = bias[k]
					}
				}
				gr := k / kg
				vo.taps2D(yk, wg.ow, w[k*cg*kk:(k+1)*cg*kk], xp[gr*cg*wg.plen:], wg.wp, offs, wg.oh, wg.ow, bias != nil)
			}
		}
	})
}

// convBackwardDataWide gathers each input plane's gradient straight into dx in one fused pass over all taps
// of all output planes of its group (the gather form of depthwiseBackwardDataWide), in parallel over samples.
func convBackwardDataWide[T Float](g ConvGeom, x, w, dy, dx []T) {
	vo := vecFor[T]()
	wg := g.wide()
	cg, kg := g.C/g.Groups, g.K/g.Groups
	hw, l, kk := g.H*g.W, wg.oh*wg.ow, g.KH*g.KW
	m := 0
	for _, off := range wg.offs {
		m = max(m, off)
	}
	goffs := make([]int, len(wg.offs))
	for t, off := range wg.offs {
		goffs[t] = m - off
	}
	// Output plane k of a group sits at k·stride in dyall, with m zeros in front of its wide plane.
	stride := wg.plen + m
	offs := wideTaps(goffs, kg, stride, 0)
	ParallelFor(g.N, func(lo, hi int) {
		dyall := make([]T, g.K*stride) // outside the real columns it stays zero
		wc := make([]T, kg*kk)
		for n := lo; n < hi; n++ {
			for k := 0; k < g.K; k++ {
				p := n*g.K + k
				widenPlane(wg, dy[p*l:(p+1)*l], dyall[k*stride+m:k*stride+m+wg.l])
			}
			for c := 0; c < g.C; c++ {
				gr := c / cg
				ci := c - gr*cg
				for kl := 0; kl < kg; kl++ {
					copy(wc[kl*kk:(kl+1)*kk], w[((gr*kg+kl)*cg+ci)*kk:((gr*kg+kl)*cg+ci+1)*kk])
				}
				p := n*g.C + c
				dxc := dx[p*hw : (p+1)*hw]
				vo.taps2D(dxc, g.W, wc, dyall[gr*kg*stride+g.PH*wg.wp+g.PW:], wg.wp, offs, g.H, g.W, false)
				if g.ReLU {
					reluMaskInPlace(dxc, x[p*hw:(p+1)*hw])
				}
			}
		}
	})
}

// convBackwardFilterWide computes, per sample and output plane, the dots of all taps of all input planes
// of its group in fused passes over the output gradient (dotTaps2D), in parallel over fixed sample blocks
// summed in order.
func convBackwardFilterWide[T Float](g ConvGeom, x, dy, dw []T) {
	vo := vecFor[T]()
	wg := g.wide()
	cg, kg := g.C/g.Groups, g.K/g.Groups
	hw, l, kk := g.H*g.W, wg.oh*wg.ow, g.KH*g.KW
	offs := wideTaps(wg.offs, cg, wg.plen, 0)
	nb := min(filterBlocks, g.N)
	partial := make([]T, nb*len(dw))
	ParallelFor(nb, func(blo, bhi int) {
		xp := make([]T, g.C*wg.plen)
		part := make([]T, cg*kk)
		for b := blo; b < bhi; b++ {
			acc := partial[b*len(dw) : (b+1)*len(dw)]
			for n := b * g.N / nb; n < (b+1)*g.N/nb; n++ {
				for c := 0; c < g.C; c++ {
					p := n*g.C + c
					padPlane(wg, x[p*hw:(p+1)*hw], xp[c*wg.plen:(c+1)*wg.plen], g.ReLU)
				}
				for k := 0; k < g.K; k++ {
					p := n*g.K + k
					gr := k / kg
					vo.dotTaps2D(part, dy[p*l:(p+1)*l], wg.ow, xp[gr*cg*wg.plen:], wg.wp, offs, wg.oh, wg.ow)
					a := acc[k*cg*kk : (k+1)*cg*kk]
					for i, v := range part {
						a[i] += v
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
