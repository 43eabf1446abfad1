package kernel

// Windowed kernels (depthwise and dense convolutions, pooling) run on a "wide" layout. Each input plane is
// zero-padded to Hp×Wp (Hp = H + 2·PH, Wp = W + 2·PW) and split into SH·SW phase planes, phase (a, b)
// holding the padded elements at rows ≡ a (mod SH) and columns ≡ b (mod SW) as a dense Hq×Wq grid
// (Hq = ⌈Hp/SH⌉, Wq = ⌈Wp/SW⌉). For stride 1 there is one phase, the padded plane itself. The output is
// computed as OH rows of Wq elements, of which the first OW are real. Output index i = o·Wq + j then reads
// padded element (o·SH + kh·DH, j·SW + kw·DW) through tap (kh, kw) at buffer index i + off(kh, kw), where off
// names the tap's phase plane and its shift inside it, the same for every i. So each tap is one contiguous
// vector operation over the whole plane (gonum's SIMD axpy/dot) instead of a short loop per output row.
// The extra Wq − OW columns per row compute garbage that is never copied out; in the backward passes their
// gradient is zero, so they add nothing.

// wideGeom is the wide layout of one plane for a KH×KW window with stride (SH, SW) and dilation (DH, DW).
type wideGeom struct {
	h, w, ph, pw int // input plane and padding
	sh, sw       int // stride: the phase grid
	oh, ow       int // real output size
	wp           int // phase row length Wq = wide output row length
	hq           int // phase rows
	plane        int // phase plane length, Hq·Wq plus the reads past its last row
	l            int // wide output length, oh·wp
	plen         int // buffer length, SH·SW phase planes
	offs         []int
}

func newWideGeom(h, w, ph, pw, sh, sw, oh, ow, kh, kw, dh, dw int) wideGeom {
	hq := (h + 2*ph + sh - 1) / sh
	wq := (w + 2*pw + sw - 1) / sw
	plane := hq*wq + (kw-1)*dw/sw + 1
	g := wideGeom{h: h, w: w, ph: ph, pw: pw, sh: sh, sw: sw, oh: oh, ow: ow, wp: wq, hq: hq, plane: plane,
		l: oh * wq, plen: sh * sw * plane}
	g.offs = make([]int, 0, kh*kw)
	for a := 0; a < kh; a++ {
		for b := 0; b < kw; b++ {
			// Row-major tap order, as PyTorch scans windows.
			g.offs = append(g.offs, g.at(a*dh, b*dw))
		}
	}
	return g
}

// at returns the buffer index of padded element (r, c).
func (g wideGeom) at(r, c int) int {
	return ((r%g.sh)*g.sw+c%g.sw)*g.plane + (r/g.sh)*g.wp + c/g.sw
}

// phaseRuns calls fn once per column phase of input row r: the input columns c0, c0+SW, c0+2·SW, … < w land
// at consecutive buffer indices from start.
func (g wideGeom) phaseRuns(r int, fn func(c0, start int)) {
	pr := r + g.ph
	for b := 0; b < g.sw && b < g.w; b++ {
		// Input column c0 = b is padded column b+pw, which sits in column phase (b+pw) mod SW.
		fn(b, g.at(pr, b+g.pw))
	}
}

// padPlane copies plane x (h×w), or max(x, 0) with relu, into its place in xp; the padding and slack of xp
// are left as they are (the caller fills them once with the pad value).
func padPlane[T Float](g wideGeom, x, xp []T, relu bool) {
	if g.sw == 1 {
		// Row r goes to padded row r+ph (of its row phase): one strided copy per row phase.
		for a := 0; a < g.sh && a < g.h; a++ {
			rows := (g.h - a + g.sh - 1) / g.sh
			i := g.at(a+g.ph, g.pw)
			vecFor[T]().copy2D(xp[i:], g.wp, x[a*g.w:], g.sh*g.w, rows, g.w, relu)
		}
		return
	}
	for r := 0; r < g.h; r++ {
		src := x[r*g.w : (r+1)*g.w]
		g.phaseRuns(r, func(c0, k int) {
			for c := c0; c < g.w; c += g.sw {
				v := src[c]
				if relu {
					v = max(v, 0)
				}
				xp[k] = v
				k++
			}
		})
	}
}

// unpadPlane copies the interior of the padded gradient dxp into dx (h×w).
func unpadPlane[T Float](g wideGeom, dxp, dx []T) {
	if g.sw == 1 {
		for a := 0; a < g.sh && a < g.h; a++ {
			rows := (g.h - a + g.sh - 1) / g.sh
			i := g.at(a+g.ph, g.pw)
			vecFor[T]().copy2D(dx[a*g.w:], g.sh*g.w, dxp[i:], g.wp, rows, g.w, false)
		}
		return
	}
	for r := 0; r < g.h; r++ {
		dst := dx[r*g.w : (r+1)*g.w]
		g.phaseRuns(r, func(c0, k int) {
			for c := c0; c < g.w; c += g.sw {
				dst[c] = dxp[k]
				k++
			}
		})
	}
}

// unpadPlaneMasked is unpadPlane followed by the ReLU gradient mask: dx is zero where x <= 0.
func unpadPlaneMasked[T Float](g wideGeom, dxp, x, dx []T) {
	unpadPlane(g, dxp, dx)
	reluMaskInPlace(dx, x)
}

// reluInto writes dst = max(src, 0) with ReLU's branch-free loops (relu32, relu64): the fused ReLU of a
// convolution sees signs that vary at random, where max's compare-and-branch mispredicts about every other
// element.
func reluInto[T Float](dst, src []T) {
	switch d := any(dst).(type) {
	case []float32:
		relu32(d, any(src).([]float32))
	case []float64:
		relu64(d, any(src).([]float64))
	default:
		src = src[:len(dst)]
		for i := range dst {
			dst[i] = max(src[i], 0)
		}
	}
}

// reluMaskInPlace zeroes dx where x <= 0, branch-free as ReLUBackward (reluGrad32, reluGrad64 with dy = dx).
func reluMaskInPlace[T Float](dx, x []T) {
	switch d := any(dx).(type) {
	case []float32:
		reluGrad32(d, any(x).([]float32)[:len(d)], d)
	case []float64:
		reluGrad64(d, any(x).([]float64)[:len(d)], d)
	default:
		x = x[:len(dx)]
		for i, v := range x {
			if v <= 0 {
				dx[i] = 0
			}
		}
	}
}

// cropPlane copies the real columns of wide output yw into y (oh×ow).
func cropPlane[T Float](g wideGeom, yw, y []T) {
	vecFor[T]().copy2D(y, g.ow, yw, g.wp, g.oh, g.ow, false)
}

// widenPlane copies dy (oh×ow) into the first ow columns of each wide row of dyw; the other columns are left
// as they are (zero, when dyw was cleared once).
func widenPlane[T Float](g wideGeom, dy, dyw []T) {
	vecFor[T]().copy2D(dyw, g.wp, dy, g.ow, g.oh, g.ow, false)
}
