package kernel

import "gonum.org/v1/gonum/blas/gonum"

// axpyTaps32 computes y[i] += Σ_t a[t]·x[offs[t]+i] for i < len(y): several shifted axpys into one
// destination in a single pass, so y is loaded and stored once instead of once per tap (a depthwise conv's
// taps, a 1×1 conv's input channels, a GEMM's k). The taps are added in order t = 0, 1, …; a tap with
// a[t] = 0 is skipped (BLAS axpy semantics, so 0·∞ in x does not give NaN; it also saves the work of the
// zeros a ReLU leaves in a GEMM operand). It panics when a tap reads outside x.
func axpyTaps32(y, a, x []float32, offs []int) { taps32(y, a, x, offs, true) }

// setTaps32 is axpyTaps32 on a y of zeros: y[i] = Σ_t a[t]·x[offs[t]+i], without reading y (no clear first).
func setTaps32(y, a, x []float32, offs []int) { taps32(y, a, x, offs, false) }

func taps32(y, a, x []float32, offs []int, acc bool) {
	n := len(y)
	if n == 0 {
		return
	}
	a = a[:len(offs)]
	// Taps go in groups of up to 64, their non-zero ones copied to stack arrays (no allocation).
	var ca [64]float32
	var co [64]int
	for g0 := 0; g0 < len(offs) || !acc; g0 += len(ca) {
		cnt := 0
		for t := g0; t < min(g0+len(ca), len(offs)); t++ {
			off := offs[t]
			if off < 0 || off+n > len(x) {
				panic("kernel: axpyTaps32 tap reads outside x")
			}
			if a[t] != 0 {
				ca[cnt], co[cnt] = a[t], off
				cnt++
			}
		}
		if cnt == 0 {
			if !acc {
				clear(y)
				acc = true
			}
			continue
		}
		m := 0
		if useAVX2 && n >= 8 {
			m = n &^ 7
			flag := 0
			if acc {
				flag = 1
			}
			axpyTapsAVX2(&y[0], &ca[0], &x[0], &co[0], cnt, m, flag)
		}
		for i := m; i < n; i++ {
			var s float32
			if acc {
				s = y[i]
			}
			for t, off := range co[:cnt] {
				s += ca[t] * x[off+i]
			}
			y[i] = s
		}
		acc = true
	}
}

// dot32 returns Σ x[i]·y[i] over len(x) elements (y at least as long).
func dot32(x, y []float32) float32 {
	n := len(x)
	if n == 0 {
		return 0
	}
	y = y[:n]
	if !useAVX2 || n < 8 {
		return gonum.Implementation{}.Sdot(n, x, 1, y, 1)
	}
	m := n &^ 7
	s := dotAVX2(&x[0], &y[0], m)
	for i := m; i < n; i++ {
		s += x[i] * y[i]
	}
	return s
}

// axpy32 computes y[i] += alpha·x[i] for i < len(y) (x at least as long); alpha = 0 does nothing.
func axpy32(alpha float32, x, y []float32) {
	n := len(y)
	if n == 0 || alpha == 0 {
		return
	}
	x = x[:n]
	m := 0
	if useAVX2 && n >= 8 {
		m = n &^ 7
		off := 0
		axpyTapsAVX2(&y[0], &alpha, &x[0], &off, 1, m, 1)
	}
	for i := m; i < n; i++ {
		y[i] += alpha * x[i]
	}
}

// rowSums32 returns s = Σ (x[i]−k) and q = Σ (x[i]−k)² and, when dy is non-nil (as long as x), g = Σ dy[i]
// and gx = Σ dy[i]·(x[i]−k), all accumulated in float64 (the batch-norm statistics of channelSums).
func rowSums32(x, dy []float32, k float64) (s, q, g, gx float64) {
	n := len(x)
	m := 0
	if useAVX2 && n >= 4 {
		m = n &^ 3
		if dy == nil {
			s, q = sumsAVX2(&x[0], m, k)
		} else {
			dy = dy[:n]
			s, q, g, gx = sumsDyAVX2(&x[0], &dy[0], m, k)
		}
	}
	for i := m; i < n; i++ {
		d := float64(x[i]) - k
		s += d
		q += d * d
		if dy != nil {
			e := float64(dy[i])
			g += e
			gx += e * d
		}
	}
	return s, q, g, gx
}

// affine32 writes dst[i] = x[i]·s + b for i < len(dst) (x at least as long).
func affine32(dst, x []float32, s, b float32) {
	n := len(dst)
	x = x[:n]
	m := 0
	if useAVX2 && n >= 8 {
		m = n &^ 7
		affineAVX2(&dst[0], &x[0], m, s, b)
	}
	for i := m; i < n; i++ {
		dst[i] = x[i]*s + b
	}
}

// bnDx32 writes dst[i] = a·dy[i] + b·(x[i]−m) + c for i < len(dst): the training-mode batch-norm input
// gradient of BatchNormBackward.
func bnDx32(dst, dy, x []float32, a, b, c, m float32) {
	n := len(dst)
	dy, x = dy[:n], x[:n]
	k := 0
	if useAVX2 && n >= 8 {
		k = n &^ 7
		bnDxAVX2(&dst[0], &dy[0], &x[0], k, a, b, c, m)
	}
	for i := k; i < n; i++ {
		dst[i] = a*dy[i] + b*(x[i]-m) + c
	}
}

// scale32 writes dst[i] = s·x[i] for i < len(dst) (x at least as long).
func scale32(dst, x []float32, s float32) {
	n := len(dst)
	x = x[:n]
	m := 0
	if useAVX2 && n >= 8 {
		m = n &^ 7
		scaleAVX2(&dst[0], &x[0], m, s)
	}
	for i := m; i < n; i++ {
		dst[i] = s * x[i]
	}
}
