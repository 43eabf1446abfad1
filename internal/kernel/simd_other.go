//go:build !amd64

package kernel

// useAVX2 is false off amd64: the float32 vector kernels run their portable loops.
var useAVX2 = false // a variable, as on amd64, so that tests can switch the vector paths on both

func detectAVX2() bool { return false }

func axpyTapsAVX2(y, a, x *float32, offs *int, taps, n, acc int) { panic("kernel: no AVX2 kernels") }

func dotAVX2(x, y *float32, n int) float32 { panic("kernel: no AVX2 kernels") }

func sumsAVX2(x *float32, n int, k float64) (s, q float64) { panic("kernel: no AVX2 kernels") }

func sumsDyAVX2(x, dy *float32, n int, k float64) (s, q, sg, sgx float64) {
	panic("kernel: no AVX2 kernels")
}

func affineAVX2(dst, x *float32, n int, s, b float32) { panic("kernel: no AVX2 kernels") }

func bnDxAVX2(dst, dy, x *float32, n int, a, b, c, m float32) { panic("kernel: no AVX2 kernels") }

func reluAVX2(dst, x *float32, n int) { panic("kernel: no AVX2 kernels") }

func reluGradAVX2(dst, x, dy *float32, n int) { panic("kernel: no AVX2 kernels") }

func scaleAVX2(dst, x *float32, n int, s float32) { panic("kernel: no AVX2 kernels") }

func gemm4AVX2(c *float32, ldc int, a, b *float32, ldb, k, nv, acc, blocks int) {
	panic("kernel: no AVX2 kernels")
}

func dotBlockAVX2(a *float32, aoffs *int, b *float32, boffs *int, k, ns, sa, sb int, out *float32) {
	panic("kernel: no AVX2 kernels")
}

func taps2DAVX2(y, a, x *float32, offs *int, taps, n, acc, rows, ys, xs int) {
	panic("kernel: no AVX2 kernels")
}

func copy2DAVX2(dst *float32, ds int, src *float32, ss, rows, n, relu int) {
	panic("kernel: no AVX2 kernels")
}

func maxIntoAVX2(y, x *float32, n int) { panic("kernel: no AVX2 kernels") }

func markTapsAVX2(arg *int32, y, x *float32, offs *int32, taps, n int) {
	panic("kernel: no AVX2 kernels")
}

func split2AVX2(even, odd *float32, ds int, src *float32, ss, rows, n, relu int) {
	panic("kernel: no AVX2 kernels")
}

func join2AVX2(dst *float32, ds int, even, odd *float32, ss, rows, n int) {
	panic("kernel: no AVX2 kernels")
}

func dotF64AVX2(x, y *float32, n int) float64 { panic("kernel: no AVX2 kernels") }

func dotTaps2DAVX2(y, x *float32, offs *int, taps, n, rows, ys, xs int, out *float32) {
	panic("kernel: no AVX2 kernels")
}

func taps2DNarrowAVX2(y, a, x *float32, offs *int, taps, acc, groups, ys, xs, width int) {
	panic("kernel: no AVX2 kernels")
}

func pack4AVX2(dst, a *float32, lda, n int) { panic("kernel: no AVX2 kernels") }

func pack4TAVX2(dst, a *float32, lda, n int) { panic("kernel: no AVX2 kernels") }

func expRowAVX2(x *float32, n int, m float64, dst *float32, store int, acc *[2]float64, cs *[12][4]float64) {
	panic("kernel: no AVX2 kernels")
}
