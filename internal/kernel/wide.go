package kernel

import "math"

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
	rowBase      []int    // per input row r: buffer index of its row phase and phase row (column 0 of the phase)
	colRuns      []colRun // per column phase: where an input row's columns c0, c0+SW, … go
}

// colRun is one column phase of an input row: its columns c0, c0+SW, c0+2·SW, … (cnt of them) land at
// consecutive buffer indices from rowBase[r] + off.
type colRun struct{ c0, off, cnt int }

func newWideGeom(h, w, ph, pw, sh, sw, oh, ow, kh, kw, dh, dw int) wideGeom {
	hq := (h + 2*ph + sh - 1) / sh
	wq := (w + 2*pw + sw - 1) / sw
	plane := hq*wq + (kw-1)*dw/sw + 1
	g := wideGeom{h: h, w: w, ph: ph, pw: pw, sh: sh, sw: sw, oh: oh, ow: ow, wp: wq, hq: hq, plane: plane,
		l: oh * wq, plen: sh * sw * plane}
	g.rowBase = make([]int, h)
	for r := range g.rowBase {
		pr := r + ph
		g.rowBase[r] = (pr%sh)*sw*plane + (pr/sh)*wq
	}
	for b := 0; b < sw && b < w; b++ {
		pc := b + pw // input column b is padded column b+pw, in column phase pc mod SW
		g.colRuns = append(g.colRuns, colRun{c0: b, off: (pc%sw)*plane + pc/sw, cnt: (w - b + sw - 1) / sw})
	}
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
	if split2(g, x, xp, relu) {
		return
	}
	for r := 0; r < g.h; r++ {
		src := x[r*g.w : (r+1)*g.w]
		for _, cr := range g.colRuns {
			start := g.rowBase[r] + cr.off
			d := xp[start : start+cr.cnt]
			for i := range d {
				d[i] = src[cr.c0+i*g.sw]
			}
			if relu {
				reluInto(d, d)
			}
		}
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
	if join2(g, dxp, dx) {
		return
	}
	for r := 0; r < g.h; r++ {
		dst := dx[r*g.w : (r+1)*g.w]
		for _, cr := range g.colRuns {
			start := g.rowBase[r] + cr.off
			for i, v := range dxp[start : start+cr.cnt] {
				dst[cr.c0+i*g.sw] = v
			}
		}
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

// split2 is padPlane for float32 planes of column stride 2 and width ≥ 16 on AVX2 (split2AVX2: a shuffle
// splits 16 columns into their two column phases, each row phase's rows in one call); the last w mod 16
// columns of each row are copied one by one. It reports false, doing nothing, for other planes.
func split2[T Float](g wideGeom, x, xp []T, relu bool) bool {
	x32, ok := any(x).([]float32)
	if !ok || !useAVX2 || g.sw != 2 || g.w < 16 {
		return false
	}
	xp32 := any(xp).([]float32)
	m := (g.w / 2) &^ 7 // column pairs per row done by the assembly
	flag := 0
	if relu {
		flag = 1
	}
	for a := 0; a < g.sh && a < g.h; a++ {
		rows := (g.h - a + g.sh - 1) / g.sh
		ev, od := g.rowBase[a]+g.colRuns[0].off, g.rowBase[a]+g.colRuns[1].off
		_ = xp32[max(ev, od)+(rows-1)*g.wp+m-1]
		_ = x32[a*g.w+(rows-1)*g.sh*g.w+2*m-1]
		split2AVX2(&xp32[ev], &xp32[od], g.wp, &x32[a*g.w], g.sh*g.w, rows, m, flag)
	}
	for r := 0; r < g.h && 2*m < g.w; r++ {
		for c := 2 * m; c < g.w; c++ {
			v := x32[r*g.w+c]
			if relu {
				b := math.Float32bits(v)
				v = math.Float32frombits(b &^ uint32(int32(b)>>31))
			}
			xp32[g.rowBase[r]+g.colRuns[c%2].off+c/2] = v
		}
	}
	return true
}

// join2 is unpadPlane for the planes split2 takes (join2AVX2, then the last w mod 16 columns one by one).
func join2[T Float](g wideGeom, dxp, dx []T) bool {
	dx32, ok := any(dx).([]float32)
	if !ok || !useAVX2 || g.sw != 2 || g.w < 16 {
		return false
	}
	dxp32 := any(dxp).([]float32)
	m := (g.w / 2) &^ 7
	for a := 0; a < g.sh && a < g.h; a++ {
		rows := (g.h - a + g.sh - 1) / g.sh
		ev, od := g.rowBase[a]+g.colRuns[0].off, g.rowBase[a]+g.colRuns[1].off
		_ = dxp32[max(ev, od)+(rows-1)*g.wp+m-1]
		_ = dx32[a*g.w+(rows-1)*g.sh*g.w+2*m-1]
		join2AVX2(&dx32[a*g.w], g.sh*g.w, &dxp32[ev], &dxp32[od], g.wp, rows, m)
	}
	for r := 0; r < g.h && 2*m < g.w; r++ {
		for c := 2 * m; c < g.w; c++ {
			dx32[r*g.w+c] = dxp32[g.rowBase[r]+g.colRuns[c%2].off+c/2]
		}
	}
	return true
}
