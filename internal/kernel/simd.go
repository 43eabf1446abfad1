package kernel

import "gonum.org/v1/gonum/blas/gonum"

// axpyTaps32 computes y[i] += Σ_t a[t]·x[offs[t]+i] for i < len(y): several shifted axpys into one
// destination in a single pass, so y is loaded and stored once instead of once per tap (a depthwise conv's
// taps, a 1×1 conv's input channels). The taps are added in order t = 0, 1, …; a tap with a[t] = 0 is skipped
// (BLAS axpy semantics, so 0·∞ in x does not give NaN). It panics when a tap reads outside x.
func axpyTaps32(y, a, x []float32, offs []int) {
	n := len(y)
	if n == 0 || len(offs) == 0 {
		return
	}
	a = a[:len(offs)]
	for t, off := range offs {
		if off < 0 || off+n > len(x) {
			panic("kernel: axpyTaps32 tap reads outside x")
		}
		if a[t] == 0 {
			ca, co := compactTaps(a, offs)
			axpyTaps32(y, ca, x, co)
			return
		}
	}
	m := 0
	if useAVX2 && n >= 8 {
		m = n &^ 7
		axpyTapsAVX2(&y[0], &a[0], &x[0], &offs[0], len(offs), m)
	}
	for i := m; i < n; i++ {
		s := y[i]
		for t, off := range offs {
			s += a[t] * x[off+i]
		}
		y[i] = s
	}
}

// compactTaps returns a and offs without the taps whose coefficient is 0.
func compactTaps(a []float32, offs []int) ([]float32, []int) {
	var ca []float32
	var co []int
	for t, v := range a {
		if v != 0 {
			ca, co = append(ca, v), append(co, offs[t])
		}
	}
	return ca, co
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
		axpyTapsAVX2(&y[0], &alpha, &x[0], &off, 1, m)
	}
	for i := m; i < n; i++ {
		y[i] += alpha * x[i]
	}
}
