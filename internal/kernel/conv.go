package kernel

import (
	"fmt"
	"runtime"
)

// filterBlocks is the fixed number of sample blocks whose partial filter gradients Conv2dBackwardFilter sums.
// It does not depend on GOMAXPROCS, so the summation order, and hence the float result, is the same on every
// machine.
const filterBlocks = 8

func checkLen(what string, got, want int) {
	if got != want {
		panic(fmt.Sprintf("kernel: %s has %d elements, want %d", what, got, want))
	}
}

// Conv2dForward computes y = conv2d(x, w) + bias for the geometry g (torch.nn.functional.conv2d). x is
// (N, C, H, W), w is (K, C/Groups, KH, KW), bias is (K) or nil, and y, (N, K, OutH, OutW), is overwritten.
// Depthwise geometries run on the wide layout parallel over N×C; stride-1 dense and grouped ones on the wide
// layout parallel over N; 1×1 stride-1 ones as a GEMM on x; the rest (strided dense) as im2col + GEMM per
// sample and group, parallel over N (measured faster than the phase-split wide layout there).
func Conv2dForward[T Float](g ConvGeom, x, w, bias, y []T) {
	oh, ow := g.OutH(), g.OutW()
	checkLen("conv input", len(x), g.N*g.C*g.H*g.W)
	checkLen("conv weight", len(w), g.WeightLen())
	checkLen("conv output", len(y), g.N*g.K*oh*ow)
	if bias != nil {
		checkLen("conv bias", len(bias), g.K)
	}
	if g.Depthwise() {
		depthwiseForwardWide(g, x, w, bias, y) // fuses the ReLU into its padding copy
		return
	}
	if g.wideDense() {
		convForwardWide(g, x, w, bias, y)
		return
	}
	if g.ReLU {
		r, release := scratch[T](len(x))
		defer release()
		x = reluCopy(r, x)
		g.ReLU = false
	}
	cg, kg := g.C/g.Groups, g.K/g.Groups
	ckk, l := cg*g.KH*g.KW, oh*ow
	if pointwise32(g, x, w, bias, y, false) {
		return
	}
	ParallelFor(g.N, func(lo, hi int) {
		var col []T
		if !g.Pointwise() {
			col = make([]T, ckk*l)
		}
		for n := lo; n < hi; n++ {
			for gr := 0; gr < g.Groups; gr++ {
				xg := x[(n*g.C+gr*cg)*g.H*g.W : (n*g.C+(gr+1)*cg)*g.H*g.W]
				yg := y[(n*g.K+gr*kg)*l : (n*g.K+(gr+1)*kg)*l]
				b := xg
				if col != nil {
					im2col(g, cg, xg, col)
					b = col
				}
				gemm(false, false, kg, l, ckk, 1, w[gr*kg*ckk:(gr+1)*kg*ckk], ckk, b, l, 0, yg, l, false)
			}
			if bias != nil {
				yn := y[n*g.K*l : (n+1)*g.K*l]
				for k, bv := range bias {
					row := yn[k*l : (k+1)*l]
					for i := range row {
						row[i] += bv
					}
				}
			}
		}
	})
}

// Conv2dBackwardData computes dx = ∂(sum(y ⊙ dy))/∂x for y = conv2d(x, w) with geometry g, i.e. the
// transposed convolution of dy with w. dy is (N, K, OutH, OutW); dx, (N, C, H, W), is overwritten. x is read
// only when g.ReLU is set (for the mask) and may be nil otherwise.
func Conv2dBackwardData[T Float](g ConvGeom, x, w, dy, dx []T) {
	oh, ow := g.OutH(), g.OutW()
	checkLen("conv weight", len(w), g.WeightLen())
	checkLen("conv output gradient", len(dy), g.N*g.K*oh*ow)
	checkLen("conv input gradient", len(dx), g.N*g.C*g.H*g.W)
	if g.ReLU {
		checkLen("conv input", len(x), len(dx))
	}
	if g.Depthwise() {
		depthwiseBackwardDataWide(g, x, w, dy, dx) // fuses the mask into its unpadding copy
		return
	}
	if g.wideDense() {
		convBackwardDataWide(g, x, w, dy, dx)
		return
	}
	if g.ReLU {
		defer reluMask(x, dx)
	}
	cg, kg := g.C/g.Groups, g.K/g.Groups
	ckk, l := cg*g.KH*g.KW, oh*ow
	if pointwise32(g, dy, w, nil, dx, true) {
		return
	}
	ParallelFor(g.N, func(lo, hi int) {
		var col []T
		if !g.Pointwise() {
			col = make([]T, ckk*l)
		}
		for n := lo; n < hi; n++ {
			for gr := 0; gr < g.Groups; gr++ {
				dxg := dx[(n*g.C+gr*cg)*g.H*g.W : (n*g.C+(gr+1)*cg)*g.H*g.W]
				dyg := dy[(n*g.K+gr*kg)*l : (n*g.K+(gr+1)*kg)*l]
				wg := w[gr*kg*ckk : (gr+1)*kg*ckk]
				if col == nil {
					gemm(true, false, ckk, l, kg, 1, wg, ckk, dyg, l, 0, dxg, l, false)
					continue
				}
				gemm(true, false, ckk, l, kg, 1, wg, ckk, dyg, l, 0, col, l, false)
				col2im(g, cg, col, dxg)
			}
		}
	})
}

// Conv2dBackwardFilter computes dw = ∂(sum(y ⊙ dy))/∂w for y = conv2d(x, w) with geometry g. x is
// (N, C, H, W), dy is (N, K, OutH, OutW); dw, (K, C/Groups, KH, KW), is overwritten. The sum over samples
// runs in a fixed order, so the result does not depend on the number of cores.
func Conv2dBackwardFilter[T Float](g ConvGeom, x, dy, dw []T) {
	oh, ow := g.OutH(), g.OutW()
	checkLen("conv input", len(x), g.N*g.C*g.H*g.W)
	checkLen("conv output gradient", len(dy), g.N*g.K*oh*ow)
	checkLen("conv weight gradient", len(dw), g.WeightLen())
	if g.Depthwise() {
		depthwiseBackwardFilterWide(g, x, dy, dw)
		return
	}
	if g.wideDense() {
		convBackwardFilterWide(g, x, dy, dw)
		return
	}
	if g.ReLU {
		r, release := scratch[T](len(x))
		defer release()
		x = reluCopy(r, x)
		g.ReLU = false
	}
	cg, kg := g.C/g.Groups, g.K/g.Groups
	ckk, l := cg*g.KH*g.KW, oh*ow
	nb := min(filterBlocks, g.N)
	partial, release := scratch[T](nb * len(dw)) // overwritten by the pointwise path, cleared below for the other
	defer release()
	if x32, ok := any(x).([]float32); ok && g.Pointwise() && g.Groups == 1 {
		// One register-blocked pass per sample block: dW_b = Σ_{n in block b} dY_n·X_nᵀ, the sum over the
		// block's samples kept in the dot kernel's accumulators.
		dy32, p32 := any(dy).([]float32), any(partial).([]float32)
		inner := nb < runtime.GOMAXPROCS(0) // few samples: parallel over each block's dot blocks instead
		outer := ParallelFor
		if inner {
			outer = func(n int, fn func(lo, hi int)) { fn(0, n) }
		}
		outer(nb, func(blo, bhi int) {
			for b := blo; b < bhi; b++ {
				n0, n1 := b*g.N/nb, (b+1)*g.N/nb
				gemm32NT(g.K, g.C, l, dy32[n0*g.K*l:], l, g.K*l, x32[n0*g.C*l:], l, g.C*l, n1-n0, false,
					p32[b*len(dw):(b+1)*len(dw)], g.C, inner)
			}
		})
		sumPartials(nb, partial, dw)
		return
	}
	clear(partial) // the GEMMs below add into it
	ParallelFor(nb, func(blo, bhi int) {
		var col []T
		if !g.Pointwise() {
			col = make([]T, ckk*l)
		}
		for b := blo; b < bhi; b++ {
			acc := partial[b*len(dw) : (b+1)*len(dw)]
			for n := b * g.N / nb; n < (b+1)*g.N/nb; n++ {
				for gr := 0; gr < g.Groups; gr++ {
					xg := x[(n*g.C+gr*cg)*g.H*g.W : (n*g.C+(gr+1)*cg)*g.H*g.W]
					dyg := dy[(n*g.K+gr*kg)*l : (n*g.K+(gr+1)*kg)*l]
					src := xg
					if col != nil {
						im2col(g, cg, xg, col)
						src = col
					}
					// acc_g (kg × ckk) += dy_g (kg × l) · srcᵀ (l × ckk)
					gemm(false, true, kg, ckk, l, 1, dyg, l, src, l, 1, acc[gr*kg*ckk:(gr+1)*kg*ckk], ckk, false)
				}
			}
		}
	})
	sumPartials(nb, partial, dw)
}

// pointwise32 runs a float32 1×1 stride-1 convolution with one group (g.ReLU already applied by the caller)
// on the register-blocked GEMM: dst_n = op(W)·src_n (+ bias) for every sample n, with op(W) = W (K×C) forward
// and Wᵀ for the data gradient (transW), packed once for all samples; parallel over samples (over the blocks of
// each product when there are fewer samples than cores). It reports
// false, doing nothing, for other geometries and for float64.
func pointwise32[T Float](g ConvGeom, src, w, bias, dst []T, transW bool) bool {
	s32, ok := any(src).([]float32)
	if !ok || !g.Pointwise() || g.Groups != 1 {
		return false
	}
	w32, d32 := any(w).([]float32), any(dst).([]float32)
	m, k, l := g.K, g.C, g.H*g.W // forward: (K×C)·(C×P)
	if transW {
		m, k = g.C, g.K // data gradient: (C×K)·(K×P)
	}
	ps, ap := getScratch32((m + gemmMR - 1) / gemmMR * gemmMR * k)
	defer scratch32.Put(ps)
	packPanels(transW, m, k, w32, g.C, ap)
	// Parallel over samples; with fewer samples than cores, over the blocks of each sample's product instead.
	inner := g.N < runtime.GOMAXPROCS(0)
	outer := ParallelFor
	if inner {
		outer = func(n int, fn func(lo, hi int)) { fn(0, n) }
	}
	outer(g.N, func(lo, hi int) {
		for n := lo; n < hi; n++ {
			dn := d32[n*m*l : (n+1)*m*l]
			gemm32Packed(m, l, k, ap, s32[n*k*l:(n+1)*k*l], l, false, dn, l, inner)
			if bias != nil {
				for c, bv := range any(bias).([]float32) {
					row := dn[c*l : (c+1)*l]
					for i := range row {
						row[i] += bv
					}
				}
			}
		}
	})
	return true
}

// ConvBiasGrad computes db[k] = Σ_{n,i} dy[n, k, i] for dy of shape (n, k, hw); db is overwritten.
func ConvBiasGrad[T Float](n, k, hw int, dy, db []T) {
	checkLen("bias output gradient", len(dy), n*k*hw)
	checkLen("bias gradient", len(db), k)
	ParallelFor(k, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			var s T
			for i := 0; i < n; i++ {
				for _, v := range dy[(i*k+c)*hw : (i*k+c+1)*hw] {
					s += v
				}
			}
			db[c] = s
		}
	})
}

// im2col writes the (cg·KH·KW) × (OutH·OutW) patch matrix of one sample's group of cg channels, x of shape
// (cg, H, W), into col. Row (c, kh, kw) holds x[c, oh·SH − PH + kh·DH, ow·SW − PW + kw·DW] over (oh, ow),
// with zeros where that falls into the padding.
func im2col[T Float](g ConvGeom, cg int, x, col []T) {
	oh, ow := g.OutH(), g.OutW()
	l := oh * ow
	r := 0
	for c := 0; c < cg; c++ {
		xc := x[c*g.H*g.W : (c+1)*g.H*g.W]
		for kh := 0; kh < g.KH; kh++ {
			offH := kh*g.DH - g.PH
			hlo, hhi := validRange(oh, g.SH, offH, g.H)
			for kw := 0; kw < g.KW; kw++ {
				offW := kw*g.DW - g.PW
				wlo, whi := validRange(ow, g.SW, offW, g.W)
				row := col[r*l : (r+1)*l]
				r++
				clear(row[:hlo*ow])
				clear(row[hhi*ow:])
				for o := hlo; o < hhi; o++ {
					xrow := xc[(o*g.SH+offH)*g.W : (o*g.SH+offH+1)*g.W]
					dst := row[o*ow : (o+1)*ow]
					clear(dst[:wlo])
					clear(dst[whi:])
					if wlo >= whi {
						continue // the whole row falls into the padding
					}
					if g.SW == 1 {
						copy(dst[wlo:whi], xrow[wlo+offW:whi+offW])
						continue
					}
					for q := wlo; q < whi; q++ {
						dst[q] = xrow[q*g.SW+offW]
					}
				}
			}
		}
	}
}

// col2im is the adjoint of im2col: it overwrites x (cg, H, W) with the sum of the patch-matrix entries of col
// that im2col would have read from each position.
func col2im[T Float](g ConvGeom, cg int, col, x []T) {
	oh, ow := g.OutH(), g.OutW()
	l := oh * ow
	clear(x)
	r := 0
	for c := 0; c < cg; c++ {
		xc := x[c*g.H*g.W : (c+1)*g.H*g.W]
		for kh := 0; kh < g.KH; kh++ {
			offH := kh*g.DH - g.PH
			hlo, hhi := validRange(oh, g.SH, offH, g.H)
			for kw := 0; kw < g.KW; kw++ {
				offW := kw*g.DW - g.PW
				wlo, whi := validRange(ow, g.SW, offW, g.W)
				row := col[r*l : (r+1)*l]
				r++
				for o := hlo; o < hhi; o++ {
					xrow := xc[(o*g.SH+offH)*g.W : (o*g.SH+offH+1)*g.W]
					src := row[o*ow : (o+1)*ow]
					if wlo >= whi {
						continue
					}
					if g.SW == 1 {
						d := xrow[wlo+offW : whi+offW]
						s := src[wlo:whi]
						for i := range d {
							d[i] += s[i]
						}
						continue
					}
					for q := wlo; q < whi; q++ {
						xrow[q*g.SW+offW] += src[q]
					}
				}
			}
		}
	}
}

// AddChannelBias adds bias[c] to every element of channel c of y, shaped (n, len(bias), hw).
func AddChannelBias[T Float](n, hw int, bias, y []T) {
	k := len(bias)
	checkLen("biased tensor", len(y), n*k*hw)
	ParallelFor(n*k, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			b := bias[p%k]
			row := y[p*hw : (p+1)*hw]
			for i := range row {
				row[i] += b
			}
		}
	})
}

// reluCopy writes max(x, 0) into r (len(r) = len(x)) and returns r (a NaN with the sign bit clear stays NaN, as
// in ReLU).
func reluCopy[T Float](r, x []T) []T {
	ParallelFor((len(x)+4095)/4096, func(lo, hi int) {
		lo, hi = lo*4096, min(hi*4096, len(x))
		reluInto(r[lo:hi], x[lo:hi])
	})
	return r
}

// reluMask zeroes dx where x <= 0, the gradient of torch.relu (threshold_backward).
func reluMask[T Float](x, dx []T) {
	ParallelFor((len(x)+4095)/4096, func(lo, hi int) {
		lo, hi = lo*4096, min(hi*4096, len(x))
		reluMaskInPlace(dx[lo:hi], x[lo:hi])
	})
}
