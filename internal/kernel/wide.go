package kernel

// Stride-1 kernels run on a "wide" layout: each input plane is copied into a buffer padded to Hp×Wp
// (Hp = H + 2·PH, Wp = W + 2·PW), and the output plane is computed as OH rows of Wp elements of which the
// first OW are real. In that layout the input element read by output index i through tap (kh, kw) is
// i + kh·DH·Wp + kw·DW for every i, so each tap is one contiguous vector operation over the whole plane
// (gonum's SIMD axpy/dot) instead of a short loop per row. The extra Wp − OW columns per row compute garbage
// that is never copied out; in the backward passes their gradient is zero, so they add nothing.

// wideGeom is the wide layout of one plane for a stride-1 window of KH×KW taps with dilation (DH, DW).
type wideGeom struct {
	h, w, ph, pw int // input plane and padding
	oh, ow       int // real output size
	wp           int // padded row length = wide output row length
	l            int // wide output length, oh·wp
	plen         int // padded input length, Hp·Wp plus the reads past the last row
	offs         []int
}

func newWideGeom(h, w, ph, pw, oh, ow, kh, kw, dh, dw int) wideGeom {
	wp := w + 2*pw
	g := wideGeom{h: h, w: w, ph: ph, pw: pw, oh: oh, ow: ow, wp: wp, l: oh * wp,
		plen: (h+2*ph)*wp + (kw-1)*dw}
	g.offs = make([]int, 0, kh*kw)
	for a := 0; a < kh; a++ {
		for b := 0; b < kw; b++ {
			g.offs = append(g.offs, a*dh*wp+b*dw) // row-major tap order, as PyTorch scans windows
		}
	}
	return g
}


// padPlane copies plane x (h×w) into the interior of xp; the border of xp is left as it is.
func padPlane[T Float](g wideGeom, x, xp []T) {
	for r := 0; r < g.h; r++ {
		copy(xp[(r+g.ph)*g.wp+g.pw:(r+g.ph)*g.wp+g.pw+g.w], x[r*g.w:(r+1)*g.w])
	}
}

// cropPlane copies the real columns of wide output yw into y (oh×ow).
func cropPlane[T Float](g wideGeom, yw, y []T) {
	for o := 0; o < g.oh; o++ {
		copy(y[o*g.ow:(o+1)*g.ow], yw[o*g.wp:o*g.wp+g.ow])
	}
}

// widenPlane copies dy (oh×ow) into the first ow columns of each wide row of dyw; the other columns are left
// as they are (zero, when dyw was cleared once).
func widenPlane[T Float](g wideGeom, dy, dyw []T) {
	for o := 0; o < g.oh; o++ {
		copy(dyw[o*g.wp:o*g.wp+g.ow], dy[o*g.ow:(o+1)*g.ow])
	}
}

// unpadPlane copies the interior of the padded gradient dxp into dx (h×w).
func unpadPlane[T Float](g wideGeom, dxp, dx []T) {
	for r := 0; r < g.h; r++ {
		copy(dx[r*g.w:(r+1)*g.w], dxp[(r+g.ph)*g.wp+g.pw:(r+g.ph)*g.wp+g.pw+g.w])
	}
}
