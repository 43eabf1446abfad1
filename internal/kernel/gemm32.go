package kernel

import (
	"math"
	"sync"
	"sync/atomic"
)

// Register-blocked float32 GEMMs. The products the engine runs are small and skinny: a 1×1 convolution of one
// sample is Y (K×P) = W (K×C)·X (C×P) with C, K of 8–256 and P = H·W up to 1024, its data gradient is
// Wᵀ·dY and its filter gradient Σ_samples dY·Xᵀ (dot products of length P). Two micro-kernels cover them:
//
//   - gemm4 (op(a)·b): a 4×24 block of c in twelve YMM accumulators; per step of k it loads three vectors of a
//     row of b and broadcasts four elements of a packed panel of op(a) (7 loads for 12 FMAs, against 2 loads
//     per FMA for a dot product and 1.25 for the fused row axpys it replaces). Narrower blocks (16 and 8
//     columns) take the columns left over; the last n mod 8 columns and the rows past the last full panel run
//     through a zero-padded scratch block.
//   - dotBlock (a·bᵀ): a 3×4 block of dot products in twelve accumulators (7 vector loads for 12 FMAs),
//     summed over several pairs of matrices (the samples of a batch) before the one horizontal reduction.
//
// Both exist as AVX2/FMA assembly (gemm_amd64.s) and as portable Go (gemm4Go, dotBlockGo) that CPUs without
// AVX2/FMA run. Each element of c has one writer, and its sum runs in an order that depends only on the
// shapes, so results do not depend on the number of cores.

const (
	gemmMR     = 4   // rows of a gemm4 block (one packed panel of op(a))
	gemmNR     = 24  // columns of a full gemm4 block (three 8-lane vectors)
	gemmPC     = 16  // panels per parallel work item of gemm32NN (64 rows of c)
	gemmKC     = 256 // k per pass of gemm32NN when k is long (a 24-column slab of b: 24 KiB)
	gemmNTRows = 64  // from this many rows of c, a·bᵀ transposes b (n·k copies, ≤ 8/m of the products) and runs gemm4
	dotMR      = 3   // rows of a (and c) in a dotBlock
	dotNR      = 4   // rows of b (columns of c) in a dotBlock
	dotTile    = 16  // row blocks of a per work item of gemm32NT (48 rows)
	parGemm    = 1 << 17
	dotLanes   = 8
)

// scratch32 pools the float32 scratch buffers of the GEMM drivers (packed panels), so that a training step's
// thousands of small GEMMs do not allocate.
var scratch32 = sync.Pool{New: func() any { return new([]float32) }}

// scratch returns a []T of length n, with any contents, and the function that gives it back: for float32 from
// scratch32 (a training step's ReLU copies and filter-gradient partial sums, hundreds of MB per step of the
// reference search supernet, no longer allocated and cleared on every call), for float64 a new slice.
func scratch[T Float](n int) ([]T, func()) {
	var s []T
	release := func() {}
	var z T
	if _, ok := any(z).(float32); ok {
		p, s32 := getScratch32(n)
		s, release = any(s32).([]T), func() { scratch32.Put(p) }
	} else {
		s = make([]T, n)
	}
	if poisonScratch.Load() {
		nan := T(math.NaN())
		for i := range s {
			s[i] = nan
		}
	}
	return s, release
}

var poisonScratch atomic.Bool

// PoisonScratch makes the kernels' pooled scratch space (the ReLU copies and the partial sums of the filter
// gradient) start as NaN instead of whatever it held, so that a kernel that reads scratch space before writing it
// fails its tests. It is a testing hook (op.PoisonOutputs turns it on with the ops' output poisoning).
func PoisonScratch(on bool) { poisonScratch.Store(on) }

func getScratch32(n int) (*[]float32, []float32) {
	p := scratch32.Get().(*[]float32)
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	return p, (*p)[:n]
}

// gemm32 is gemm for float32 with alpha 1 and beta 0 (acc false) or 1 (acc true), not both operands
// transposed. With par the work is spread over the cores when it is large enough; callers already inside a
// ParallelFor pass false.
func gemm32(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, acc bool, c []float32, ldc int, par bool) {
	if transB {
		if m >= gemmNTRows {
			// a·bᵀ with many rows (x·Wᵀ of a Linear layer): transpose b once (n·k elements, against m·n·k
			// products) and run the outer-product kernel, about twice the speed of the dot-product blocks.
			// With few rows (a convolution's per-sample filter gradient, m = K ≤ 32, k = H·W) the copy
			// does not pay: 3–7× slower there, so those keep the dot blocks.
			ps, bt := getScratch32(k * n)
			if par && n*k >= MinParallel {
				// From 32 Ki elements (a 128×256 weight) the copy is split by 16-row tiles: serial, it was ~1% of
				// a transformer layer's step at 2 threads, spent with the other core idle.
				ParallelFor((n+15)/16, func(lo, hi int) {
					transpose32(bt[lo*16:], b[lo*16*ldb:], min(n, hi*16)-lo*16, k, ldb, n)
				})
			} else {
				transpose32(bt, b, n, k, ldb, n)
			}
			gemm32NN(false, m, n, k, a, lda, bt, n, acc, c, ldc, par)
			scratch32.Put(ps)
			return
		}
		gemm32NT(m, n, k, a, lda, 0, b, ldb, 0, 1, acc, c, ldc, par)
		return
	}
	gemm32NN(transA, m, n, k, a, lda, b, ldb, acc, c, ldc, par)
}

// gemm32NN computes c = op(a)·b (+ c with acc), op(a) m×k (a stored k×m with transA), b k×n, c m×n.
func gemm32NN(transA bool, m, n, k int, a []float32, lda int, b []float32, ldb int, acc bool, c []float32, ldc int, par bool) {
	if m == 0 || n == 0 {
		return
	}
	_ = c[(m-1)*ldc+n-1]
	if k == 0 {
		if !acc {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	_ = b[(k-1)*ldb+n-1]
	if transA {
		_ = a[(k-1)*lda+m-1]
	} else {
		_ = a[(m-1)*lda+k-1]
	}
	// Long products run in slices of gemmKC along k, each accumulating onto c: a slice's 24-column slab of b
	// stays in the L1 cache while every panel passes over it (a weight gradient dYᵀ·X sums over ~20,000 rows,
	// whose slab of b would otherwise stream from memory once per panel). gemm4 loads c into its accumulators
	// and continues the same FMA chain, so the slices change no bit of the result.
	kc := k
	if k > 2*gemmKC {
		kc = gemmKC
	}
	for k0 := 0; k0 < k; k0 += kc {
		kk := min(kc, k-k0)
		src := packSrc{transA: transA, a: a[k0:], lda: lda}
		if transA {
			src.a = a[k0*lda:]
		}
		gemm32Run(m, n, kk, nil, &src, b[k0*ldb:], ldb, acc || k0 > 0, c, ldc, par)
	}
}

// packSrc is an unpacked op(a) (m×k; stored k×m with transA) that gemm32Run packs chunk by chunk.
type packSrc struct {
	transA bool
	a      []float32
	lda    int
}

// gemm32Packed is gemm32NN on op(a) already packed by packPanels into ap (⌈m/4⌉·4·k elements), so that
// callers that multiply one matrix with many (a convolution's weights with every sample) pack it once.
func gemm32Packed(m, n, k int, ap []float32, b []float32, ldb int, acc bool, c []float32, ldc int, par bool) {
	gemm32Run(m, n, k, ap, nil, b, ldb, acc, c, ldc, par)
}

// gemm32Run is gemm32Packed on op(a) packed in ap, or, with ap nil, on op(a) in src: each work item then packs
// its own chunk of gemmPC panels (64 rows) into a scratch that stays in the L1/L2 cache for every column group,
// so the packing runs in parallel and the packed matrix never streams from memory. Work items run chunk by
// chunk, every column group of a chunk before the next chunk.
func gemm32Run(m, n, k int, ap []float32, src *packSrc, b []float32, ldb int, acc bool, c []float32, ldc int, par bool) {
	if m == 0 || n == 0 {
		return
	}
	_ = c[(m-1)*ldc+n-1]
	if k == 0 {
		if !acc {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	_ = b[(k-1)*ldb+n-1]
	panels := (m + gemmMR - 1) / gemmMR
	if src == nil {
		_ = ap[panels*gemmMR*k-1]
	}
	// Columns: full 24-wide blocks, in groups that one gemm4 call runs for a panel (one work item each); the
	// last group also takes the rest: one block of 16 or 8, then the last n mod 8 columns through a
	// zero-padded copy.
	full := n / gemmNR
	rest := n - full*gemmNR
	nvRest, tail := rest/8, rest%8
	// A group's rows of b (k × 24·cg floats) stay in the L1 cache (≤ 16 KiB) while every panel of op(a)
	// passes over them.
	cg := max(1, min(full, (16<<10)/(4*gemmNR*k)))
	par = par && m*n*k >= parGemm
	groups := max(1, (full+cg-1)/cg)
	chunks := (panels + gemmPC - 1) / gemmPC
	work := func(lo, hi int) {
		var tmp [gemmMR * gemmNR]float32
		var bt []float32 // the last n mod 8 columns of b, zero-padded to 8
		var btp *[]float32
		var lp []float32 // with src: the packed panels of chunk packed
		var lpp *[]float32
		packed := -1
		for it := lo; it < hi; it++ {
			ch, grp := it/groups, it%groups
			if src != nil && ch != packed {
				if lpp == nil {
					lpp, lp = getScratch32(gemmPC * gemmMR * k)
				}
				i0 := ch * gemmPC * gemmMR
				rows := min(gemmPC*gemmMR, m-i0)
				if src.transA {
					packPanels(true, rows, k, src.a[i0:], src.lda, lp)
				} else {
					packPanels(false, rows, k, src.a[i0*src.lda:], src.lda, lp)
				}
				packed = ch
			}
			b0, b1 := grp*cg, min(full, (grp+1)*cg)
			last := grp == groups-1
			if last && tail > 0 && bt == nil {
				btp, bt = getScratch32(k * 8)
				for l := 0; l < k; l++ {
					row := bt[l*8 : l*8+8]
					clear(row[tail:])
					copy(row, b[l*ldb+n-tail:l*ldb+n])
				}
			}
			for p := ch * gemmPC; p < min(panels, (ch+1)*gemmPC); p++ {
				i0 := p * gemmMR
				rows := min(gemmMR, m-i0)
				var pa []float32
				if src != nil {
					q := p - ch*gemmPC
					pa = lp[q*gemmMR*k : (q+1)*gemmMR*k]
				} else {
					pa = ap[p*gemmMR*k : (p+1)*gemmMR*k]
				}
				// block runs one block of cols ≤ 8·nv columns at column cj of c, reading bsrc (row stride bld);
				// a block past the last row or column goes through tmp.
				block := func(cj, nv, cols int, bsrc []float32, bld int) {
					if rows == gemmMR && cols == 8*nv {
						gemm4(c[i0*ldc+cj:], ldc, pa, bsrc, bld, k, nv, acc, 1)
						return
					}
					if acc {
						for r := 0; r < rows; r++ {
							copy(tmp[r*gemmNR:r*gemmNR+cols], c[(i0+r)*ldc+cj:(i0+r)*ldc+cj+cols])
						}
					}
					gemm4(tmp[:], gemmNR, pa, bsrc, bld, k, nv, acc, 1)
					for r := 0; r < rows; r++ {
						copy(c[(i0+r)*ldc+cj:(i0+r)*ldc+cj+cols], tmp[r*gemmNR:r*gemmNR+cols])
					}
				}
				if b1 > b0 {
					if rows == gemmMR {
						gemm4(c[i0*ldc+b0*gemmNR:], ldc, pa, b[b0*gemmNR:], ldb, k, 3, acc, b1-b0)
					} else {
						for blk := b0; blk < b1; blk++ {
							block(blk*gemmNR, 3, gemmNR, b[blk*gemmNR:], ldb)
						}
					}
				}
				if last && nvRest > 0 {
					block(full*gemmNR, nvRest, 8*nvRest, b[full*gemmNR:], ldb)
				}
				if last && tail > 0 {
					block(n-tail, 1, tail, bt, 8)
				}
			}
		}
		if btp != nil {
			scratch32.Put(btp)
		}
		if lpp != nil {
			scratch32.Put(lpp)
		}
	}
	if par {
		ParallelFor(groups*chunks, work)
	} else {
		work(0, groups*chunks)
	}
}

// transpose32 writes dst (cols×rows, row stride ldd) = srcᵀ, src rows×cols with row stride lds, in 16×16
// tiles.
func transpose32(dst, src []float32, rows, cols, lds, ldd int) {
	const t = 16
	for i0 := 0; i0 < rows; i0 += t {
		i1 := min(rows, i0+t)
		for j0 := 0; j0 < cols; j0 += t {
			j1 := min(cols, j0+t)
			for i := i0; i < i1; i++ {
				row := src[i*lds+j0 : i*lds+j1]
				for j, v := range row {
					dst[(j0+j)*ldd+i] = v
				}
			}
		}
	}
}

// packPanels writes op(a) (m×k) as ⌈m/4⌉ panels of k×4: panel p holds rows 4p … 4p+3 with the four elements
// of each l side by side (ap[p·4k + 4l + r] = op(a)[4p+r, l]), rows past m zero.
func packPanels(transA bool, m, k int, a []float32, lda int, ap []float32) {
	panels := (m + gemmMR - 1) / gemmMR
	for p := 0; p < panels; p++ {
		dst := ap[p*gemmMR*k : (p+1)*gemmMR*k]
		rows := min(gemmMR, m-p*gemmMR)
		if rows < gemmMR {
			clear(dst)
		}
		if transA {
			// Row l of the stored a holds the panel's four elements side by side.
			i0 := p * gemmMR
			if rows == gemmMR && useAVX2 && k > 0 {
				_ = a[(k-1)*lda+i0+gemmMR-1] // the assembly reads up to here
				pack4TAVX2(&dst[0], &a[i0], lda, k)
				continue
			}
			if rows == gemmMR {
				for l := 0; l < k; l++ {
					copy(dst[l*gemmMR:l*gemmMR+gemmMR], a[l*lda+i0:l*lda+i0+gemmMR])
				}
				continue
			}
			for l := 0; l < k; l++ {
				copy(dst[l*gemmMR:l*gemmMR+rows], a[l*lda+i0:l*lda+i0+rows])
			}
			continue
		}
		i0 := p * gemmMR
		if rows == gemmMR {
			// Four rows side by side: sequential reads of each, sequential writes.
			a0, a1 := a[i0*lda:i0*lda+k], a[(i0+1)*lda:(i0+1)*lda+k]
			a2, a3 := a[(i0+2)*lda:(i0+2)*lda+k], a[(i0+3)*lda:(i0+3)*lda+k]
			l0 := 0
			if useAVX2 && k >= 8 {
				l0 = k &^ 7
				pack4AVX2(&dst[0], &a0[0], lda, l0)
			}
			for l := l0; l < k; l++ {
				d := dst[l*gemmMR : l*gemmMR+gemmMR : l*gemmMR+gemmMR]
				d[0], d[1], d[2], d[3] = a0[l], a1[l], a2[l], a3[l]
			}
			continue
		}
		for r := 0; r < rows; r++ {
			for l, v := range a[(i0+r)*lda : (i0+r)*lda+k] {
				dst[l*gemmMR+r] = v
			}
		}
	}
}

// gemm4 computes the 4×(8·nv) block c[r·ldc + j] = (acc ? c : 0) + Σ_l pa[4l+r]·b[l·ldb + j], r < 4,
// j < 8·nv, nv ∈ {1, 2, 3}, k > 0, for blocks blocks side by side (blocks > 1 only with nv = 3)
// (gemm4AVX2 or gemm4Go).
func gemm4(c []float32, ldc int, pa, b []float32, ldb, k, nv int, acc bool, blocks int) {
	w := 8 * nv * blocks
	_ = c[3*ldc+w-1]
	_ = b[(k-1)*ldb+w-1]
	_ = pa[4*k-1]
	if useAVX2 {
		flag := 0
		if acc {
			flag = 1
		}
		gemm4AVX2(&c[0], ldc, &pa[0], &b[0], ldb, k, nv, flag, blocks)
		return
	}
	gemm4Go(c, ldc, pa, b, ldb, k, w, acc)
}

// gemm4Go is the portable gemm4 on a 4×w block: every element sums l = 0, 1, … in order, as the assembly
// does.
func gemm4Go(c []float32, ldc int, pa, b []float32, ldb, k, w int, acc bool) {
	for r := 0; r < gemmMR; r++ {
		cr := c[r*ldc : r*ldc+w]
		if !acc {
			clear(cr)
		}
		for l := 0; l < k; l++ {
			av := pa[l*gemmMR+r]
			for j, bv := range b[l*ldb : l*ldb+w] {
				cr[j] += av * bv
			}
		}
	}
}

// gemm32NT computes c = Σ_{s<ns} a_s·b_sᵀ (+ c with acc), where a_s = a[s·sa:] is m×k (row stride lda) and
// b_s = b[s·sb:] is n×k (row stride ldb): with ns > 1, the filter gradient of a 1×1 convolution summed over
// samples. Each element of c is one dotBlock lane sum (k rounded down to a multiple of 8, all samples) plus,
// for k mod 8, scalar products added in order of (sample, l).
func gemm32NT(m, n, k int, a []float32, lda, sa int, b []float32, ldb, sb int, ns int, acc bool, c []float32, ldc int, par bool) {
	if m == 0 || n == 0 {
		return
	}
	_ = c[(m-1)*ldc+n-1]
	if k == 0 || ns == 0 {
		if !acc {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	_ = a[(ns-1)*sa+(m-1)*lda+k-1]
	_ = b[(ns-1)*sb+(n-1)*ldb+k-1]
	rb, cb := (m+dotMR-1)/dotMR, (n+dotNR-1)/dotNR
	// Work items are (tile of dotTile row blocks, column block): the four rows of b of a column block stay in
	// the L1 cache while the tile's rows of a pass over them, so b is read from L2 once per tile, not once
	// per row block (a Linear layer's weight, a few hundred KiB, against thousands of rows).
	tiles := (rb + dotTile - 1) / dotTile
	k8 := k &^ (dotLanes - 1)
	work := func(lo, hi int) {
		var aoffs [dotMR]int
		var boffs [dotNR]int
		var out [dotMR * dotNR]float32
		for it := lo; it < hi; it++ {
			tile, j0 := it/cb, (it%cb)*dotNR
			cols := min(dotNR, n-j0)
			for s := range boffs {
				boffs[s] = (j0 + min(s, cols-1)) * ldb // columns past n repeat the last: computed and dropped
			}
			for ib := tile * dotTile; ib < min(rb, (tile+1)*dotTile); ib++ {
				i0 := ib * dotMR
				rows := min(dotMR, m-i0)
				for r := range aoffs {
					aoffs[r] = (i0 + min(r, rows-1)) * lda // rows past m repeat the last: computed and dropped
				}
				if k8 > 0 {
					dotBlock(a, &aoffs, b, &boffs, k8, ns, sa, sb, &out)
				} else {
					out = [dotMR * dotNR]float32{}
				}
				for r := 0; r < rows; r++ {
					crow := c[(i0+r)*ldc+j0 : (i0+r)*ldc+j0+cols]
					for s := range crow {
						v := out[r*dotNR+s]
						if k8 < k {
							for smp := 0; smp < ns; smp++ {
								ar := a[smp*sa+aoffs[r] : smp*sa+aoffs[r]+k]
								br := b[smp*sb+boffs[s] : smp*sb+boffs[s]+k]
								for l := k8; l < k; l++ {
									v += ar[l] * br[l]
								}
							}
						}
						if acc {
							crow[s] += v
						} else {
							crow[s] = v
						}
					}
				}
			}
		}
	}
	if par && m*n*k*ns >= parGemm {
		ParallelFor(tiles*cb, work)
	} else {
		work(0, tiles*cb)
	}
}

// dotBlock computes out[4r+s] = Σ_{i<ns} Σ_{l<k} a[i·sa + aoffs[r] + l]·b[i·sb + boffs[s] + l], k > 0 a
// multiple of 8 (dotBlockAVX2 or dotBlockGo). The caller has checked that every read is inside a and b.
func dotBlock(a []float32, aoffs *[dotMR]int, b []float32, boffs *[dotNR]int, k, ns, sa, sb int, out *[dotMR * dotNR]float32) {
	if useAVX2 {
		dotBlockAVX2(&a[0], &aoffs[0], &b[0], &boffs[0], k, ns, sa, sb, &out[0])
		return
	}
	dotBlockGo(a, aoffs, b, boffs, k, ns, sa, sb, out)
}

// dotBlockGo is the portable dotBlock, with the assembly's summation order: lane q (l ≡ q mod 8) sums its
// products in order of (sample, l), and the eight lanes are added pairwise as the assembly's reduction does.
func dotBlockGo(a []float32, aoffs *[dotMR]int, b []float32, boffs *[dotNR]int, k, ns, sa, sb int, out *[dotMR * dotNR]float32) {
	for r := 0; r < dotMR; r++ {
		for s := 0; s < dotNR; s++ {
			var lane [dotLanes]float32
			for i := 0; i < ns; i++ {
				ar := a[i*sa+aoffs[r] : i*sa+aoffs[r]+k]
				br := b[i*sb+boffs[s] : i*sb+boffs[s]+k]
				for l := 0; l < k; l += dotLanes {
					for q := range lane {
						lane[q] += ar[l+q] * br[l+q]
					}
				}
			}
			// VEXTRACTF128 + VADDPS: lanes q and q+4; then two VHADDPS: (0+1)+(2+3).
			h0, h1, h2, h3 := lane[0]+lane[4], lane[1]+lane[5], lane[2]+lane[6], lane[3]+lane[7]
			out[r*dotNR+s] = (h0 + h1) + (h2 + h3)
		}
	}
}
