package kernel

import (
	"math"

	"gonum.org/v1/gonum/blas/gonum"
)

// taps2D32 computes, for r < rows and i < n, y[r·ys+i] = (acc ? y[r·ys+i] : 0) + Σ_t a[t]·x[r·xs+offs[t]+i]:
// axpyTaps32 on each row of a strided plane, in one call. It lets a windowed kernel read a padded (wide) plane
// with row stride xs and write a plane of another stride (the real output columns only) without a crop or
// unpad copy afterwards. Taps run in order; a tap with a[t] = 0 is skipped (as in axpyTaps32). It panics when
// a read or a write would leave x or y.
func taps2D32(y []float32, ys int, a, x []float32, xs int, offs []int, rows, n int, acc bool) {
	if rows <= 0 || n <= 0 {
		return
	}
	if (rows-1)*ys+n > len(y) {
		panic("kernel: taps2D32 writes outside y")
	}
	a = a[:len(offs)]
	lastRow := (rows - 1) * xs
	dense := len(offs) > 0 // no zero tap: the taps go to the assembly as they are
	for t, off := range offs {
		if off < 0 || lastRow+off+n > len(x) {
			panic("kernel: taps2D32 tap reads outside x")
		}
		if a[t] == 0 {
			dense = false
		}
	}
	var ca [64]float32
	var co [64]int
	for g0 := 0; g0 < len(offs) || !acc; g0 += len(ca) {
		cnt := 0
		ta, to := ca[:], co[:]
		if dense {
			cnt, ta, to = len(offs), a, offs
			g0 = len(offs) // one pass over all taps
		} else {
			for t := g0; t < min(g0+len(ca), len(offs)); t++ {
				if a[t] != 0 {
					ca[cnt], co[cnt] = a[t], offs[t]
					cnt++
				}
			}
		}
		if cnt == 0 {
			if !acc {
				for r := 0; r < rows; r++ {
					clear(y[r*ys : r*ys+n])
				}
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
			r0 := 0
			if n == 16 || n == 8 {
				// Narrow planes: rows in pairs (16 columns) or fours (8 columns), four vectors per tap.
				shift := 1 // log2 of the rows per group
				if n == 8 {
					shift = 2
				}
				if groups := rows >> shift; groups > 0 {
					r0 = groups << shift
					taps2DNarrowAVX2(&y[0], &ta[0], &x[0], &to[0], cnt, flag, groups, ys, xs, n)
				}
			}
			if r0 < rows {
				taps2DAVX2(&y[r0*ys], &ta[0], &x[r0*xs], &to[0], cnt, m, flag, rows-r0, ys, xs)
			}
		}
		if m < n {
			for r := 0; r < rows; r++ {
				yr, xr := y[r*ys:r*ys+n], x[r*xs:]
				for i := m; i < n; i++ {
					var s float32
					if acc {
						s = yr[i]
					}
					for t, off := range to[:cnt] {
						s += ta[t] * xr[off+i]
					}
					yr[i] = s
				}
			}
		}
		acc = true
	}
}

// copy2D32 copies rows of n elements from src (row stride ss) to dst (row stride ds), or their ReLU with relu
// (relu32's bit trick: +0 where the sign bit is set), in one call.
func copy2D32(dst []float32, ds int, src []float32, ss int, rows, n int, relu bool) {
	if rows <= 0 || n <= 0 {
		return
	}
	_ = dst[(rows-1)*ds+n-1]
	_ = src[(rows-1)*ss+n-1]
	m := 0
	if useAVX2 && n >= 8 {
		m = n &^ 7
		flag := 0
		if relu {
			flag = 1
		}
		copy2DAVX2(&dst[0], ds, &src[0], ss, rows, m, flag)
		if m == n {
			return
		}
	}
	for r := 0; r < rows; r++ {
		d, s := dst[r*ds+m:r*ds+n], src[r*ss+m:r*ss+n]
		if !relu {
			copy(d, s)
			continue
		}
		for i, v := range s {
			b := math.Float32bits(v)
			d[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
		}
	}
}

// taps2D64 and copy2D64 are the float64 versions (row loops over gonum's axpys and copy).
func taps2D64(y []float64, ys int, a, x []float64, xs int, offs []int, rows, n int, acc bool) {
	for r := 0; r < rows; r++ {
		yr := y[r*ys : r*ys+n]
		if !acc {
			clear(yr)
		}
		axpyTaps64(yr, a, x[r*xs:], offs)
	}
}

func copy2D64(dst []float64, ds int, src []float64, ss int, rows, n int, relu bool) {
	for r := 0; r < rows; r++ {
		d, s := dst[r*ds:r*ds+n], src[r*ss:r*ss+n]
		if relu {
			relu64(d, s)
		} else {
			copy(d, s)
		}
	}
}

// dotTaps2D32 writes out[t] = Σ_{r<rows} Σ_{i<n} y[r·ys+i]·x[r·xs+offs[t]+i] for every tap t (len(out) ≥
// len(offs)): the weight gradient of all taps of a window over one plane, reading the output gradient y once
// per group of up to 12 taps (dotTaps2DAVX2) instead of once per tap, and only its real columns. The last
// n mod 8 columns are added per element. It panics when a read would leave x or y.
func dotTaps2D32(out []float32, y []float32, ys int, x []float32, xs int, offs []int, rows, n int) {
	out = out[:len(offs)]
	clear(out)
	if rows <= 0 || n <= 0 {
		return
	}
	if (rows-1)*ys+n > len(y) {
		panic("kernel: dotTaps2D32 reads outside y")
	}
	for _, off := range offs {
		if off < 0 || (rows-1)*xs+off+n > len(x) {
			panic("kernel: dotTaps2D32 tap reads outside x")
		}
	}
	m := 0
	if useAVX2 && n >= 8 {
		m = n &^ 7
		var acc [12]float32
		for t0 := 0; t0 < len(offs); t0 += len(acc) {
			cnt := min(len(acc), len(offs)-t0)
			dotTaps2DAVX2(&y[0], &x[0], &offs[t0], cnt, m, rows, ys, xs, &acc[0])
			copy(out[t0:t0+cnt], acc[:cnt])
		}
	}
	if m == n {
		return
	}
	for t, off := range offs {
		s := out[t]
		for r := 0; r < rows; r++ {
			yr, xr := y[r*ys+m:r*ys+n], x[r*xs+off+m:r*xs+off+n]
			for i, v := range yr {
				s += v * xr[i]
			}
		}
		out[t] = s
	}
}

// dotTaps2D64 is the float64 dotTaps2D32 (gonum's dots, row by row).
func dotTaps2D64(out []float64, y []float64, ys int, x []float64, xs int, offs []int, rows, n int) {
	for t, off := range offs {
		var s float64
		for r := 0; r < rows; r++ {
			s += gonum.Implementation{}.Ddot(n, y[r*ys:r*ys+n], 1, x[r*xs+off:r*xs+off+n], 1)
		}
		out[t] = s
	}
}
