package kernel

// useAVX2 reports whether the CPU and the OS support AVX2 and FMA3, so that the float32 vector kernels can
// run the assembly of simd_amd64.s (8 lanes with fused multiply-adds) instead of gonum's 4-lane SSE loops.
var useAVX2 = detectAVX2()

func detectAVX2() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xgetbv()&6 != 6 { // the OS saves the XMM and YMM state
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0
}

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax uint32)

//go:noescape
func axpyTapsAVX2(y, a, x *float32, offs *int, taps, n, acc int)

//go:noescape
func dotAVX2(x, y *float32, n int) float32

//go:noescape
func sumsAVX2(x *float32, n int, k float64) (s, q float64)

//go:noescape
func sumsDyAVX2(x, dy *float32, n int, k float64) (s, q, sg, sgx float64)

//go:noescape
func affineAVX2(dst, x *float32, n int, s, b float32)

//go:noescape
func bnDxAVX2(dst, dy, x *float32, n int, a, b, c, m float32)

//go:noescape
func reluAVX2(dst, x *float32, n int)

//go:noescape
func reluGradAVX2(dst, x, dy *float32, n int)

//go:noescape
func scaleAVX2(dst, x *float32, n int, s float32)

//go:noescape
func gemm4AVX2(c *float32, ldc int, a, b *float32, ldb, k, nv, acc, blocks int)

//go:noescape
func pack4AVX2(dst, a *float32, lda, n int)

//go:noescape
func pack4TAVX2(dst, a *float32, lda, n int)

//go:noescape
func dotBlockAVX2(a *float32, aoffs *int, b *float32, boffs *int, k, ns, sa, sb int, out *float32)

//go:noescape
func taps2DAVX2(y, a, x *float32, offs *int, taps, n, acc, rows, ys, xs int)

//go:noescape
func copy2DAVX2(dst *float32, ds int, src *float32, ss, rows, n, relu int)

//go:noescape
func maxIntoAVX2(y, x *float32, n int)

//go:noescape
func markTapsAVX2(arg *int32, y, x *float32, offs *int32, taps, n int)

//go:noescape
func split2AVX2(even, odd *float32, ds int, src *float32, ss, rows, n, relu int)

//go:noescape
func join2AVX2(dst *float32, ds int, even, odd *float32, ss, rows, n int)

//go:noescape
func dotF64AVX2(x, y *float32, n int) float64

//go:noescape
func dotTaps2DAVX2(y, x *float32, offs *int, taps, n, rows, ys, xs int, out *float32)

//go:noescape
func taps2DNarrowAVX2(y, a, x *float32, offs *int, taps, acc, groups, ys, xs, width int)

//go:noescape
func expRowAVX2(x *float32, n int, m float64, dst *float32, store int, acc *[2]float64, cs *[12][4]float64)
