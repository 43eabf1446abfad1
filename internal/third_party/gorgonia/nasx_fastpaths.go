package gorgonia

// nasx: this file is nasx's addition to the fork (see NASX_FORK.md).
//
// Fast paths for three built-in ops that nasx graphs use on large tensors,
// which upstream runs on one core through the tensor package's generic code:
//
//   - Concat and Slice copy element by element through a tensor iterator
//     (tensor.copyDenseIter), about ten times slower than a block copy. In a
//     DARTS cell (the concatenation of the intermediate nodes, and its
//     gradient, a slice) and in multi-head attention (heads split and joined)
//     those copies were 10–14% of a training step at one thread. For
//     row-major, unmasked float32/float64 tensors that are not views, both
//     ops are a set of contiguous block copies, one per index of the axes
//     before the concatenation or slicing axis and per input.
//   - Add of two such tensors of one shape (node sums, residual connections,
//     and the sums of gradients that Grad builds for every value read more
//     than once) was 5–9% of a cell's step.
//
// Both run split over the cores with ParallelFor when it is set. Every
// element is copied, or is a+b in float32/float64 as upstream computes it,
// so values are the same as upstream's.

import (
	"gorgonia.org/tensor"
)

// ParallelFor, when set, splits the fast paths of Concat, Slice and Add (see
// nasx_fastpaths.go) over the cores: it must call fn on disjoint ranges
// [lo, hi) covering [0, n) and return when all are done. nasx sets it to
// kernel.ParallelFor.
var ParallelFor func(n int, fn func(lo, hi int))

// plainDense returns t as a *tensor.Dense if its values are one row-major,
// unmasked float32 or float64 slice in shape order.
func plainDense(t tensor.Tensor) (*tensor.Dense, bool) {
	d, ok := t.(*tensor.Dense)
	if !ok || d.IsMaterializable() || d.IsMasked() || !d.DataOrder().IsRowMajor() {
		return nil, false
	}
	if dt := d.Dtype(); dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, false
	}
	return d, d.Shape().TotalSize() == d.DataSize()
}

// copyBlock is one contiguous copy: n elements from srcs[src][soff:] to dst[doff:].
type copyBlock struct{ src, soff, doff, n int }

// copyGrain is the least number of elements one ParallelFor piece copies (64 KiB of float32), well above
// the cost of handing a piece to another core.
const copyGrain = 16 << 10

// runBlocks performs the copies of blocks (total elements in all), which
// write disjoint parts of the destination, in pieces of consecutive blocks
// of about copyGrain elements, over the cores when ParallelFor is set.
func runBlocks(blocks []copyBlock, total int, copyOne func(b copyBlock)) {
	per := 1 // blocks per piece
	if total > 0 && len(blocks)*copyGrain/total > 1 {
		per = len(blocks) * copyGrain / total
	}
	pieces := (len(blocks) + per - 1) / per
	work := func(lo, hi int) {
		end := hi * per
		if end > len(blocks) {
			end = len(blocks)
		}
		for _, b := range blocks[lo*per : end] {
			copyOne(b)
		}
	}
	if ParallelFor != nil && pieces > 1 {
		ParallelFor(pieces, work)
	} else {
		work(0, pieces)
	}
}

// copyBlocks copies blocks from the values of srcs into dst, which must be
// float32 or float64 tensors of one type; it reports false for other types.
func copyBlocks(dst tensor.Tensor, srcs []*tensor.Dense, blocks []copyBlock, total int) bool {
	switch d := dst.Data().(type) {
	case []float32:
		s := make([][]float32, len(srcs))
		for i, t := range srcs {
			s[i] = t.Data().([]float32)
		}
		runBlocks(blocks, total, func(b copyBlock) { copy(d[b.doff:b.doff+b.n], s[b.src][b.soff:b.soff+b.n]) })
	case []float64:
		s := make([][]float64, len(srcs))
		for i, t := range srcs {
			s[i] = t.Data().([]float64)
		}
		runBlocks(blocks, total, func(b copyBlock) { copy(d[b.doff:b.doff+b.n], s[b.src][b.soff:b.soff+b.n]) })
	default:
		return false
	}
	return true
}

// NewFastOutput, when set, allocates the outputs of the fast paths below
// (Concat, Slice, Add), each of which they overwrite whole; nasx's op
// package sets it to its buffer pool, so that a machine built with
// FreeIntermediates recycles these outputs as it does the ops' own. nil:
// tensor.New.
var NewFastOutput func(dt tensor.Dtype, shape tensor.Shape) *tensor.Dense

func newFastOutput(dt tensor.Dtype, shape tensor.Shape) *tensor.Dense {
	if NewFastOutput != nil {
		return NewFastOutput(dt, shape)
	}
	return tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
}

// fastConcat concatenates ts along axis by block copies, or reports false
// when a tensor is not plain (see plainDense) or the shapes do not fit, for
// the upstream path to handle (and report).
func fastConcat(axis int, ts []tensor.Tensor) (tensor.Tensor, bool) {
	ds := make([]*tensor.Dense, len(ts))
	for i, t := range ts {
		d, ok := plainDense(t)
		if !ok || d.Dtype() != ts[0].Dtype() || d.Dims() != ts[0].Dims() {
			return nil, false
		}
		ds[i] = d
	}
	s0 := ds[0].Shape()
	if axis < 0 || axis >= len(s0) {
		return nil, false
	}
	outShape := s0.Clone()
	outShape[axis] = 0
	for _, d := range ds {
		s := d.Shape()
		for k := range s {
			if k != axis && s[k] != s0[k] {
				return nil, false
			}
		}
		outShape[axis] += s[axis]
	}
	outer, inner := 1, 1
	for k := 0; k < axis; k++ {
		outer *= s0[k]
	}
	for k := axis + 1; k < len(s0); k++ {
		inner *= s0[k]
	}
	// Block (o, i) is input i's slab o: d_i[o*w_i : (o+1)*w_i] goes to out[o*W + pos_i :], with w_i =
	// shape_i[axis]*inner and W the sum of the w_i.
	W := outShape[axis] * inner
	blocks := make([]copyBlock, 0, outer*len(ds))
	for o := 0; o < outer; o++ {
		pos := 0
		for i, d := range ds {
			w := d.Shape()[axis] * inner
			if w > 0 {
				blocks = append(blocks, copyBlock{src: i, soff: o * w, doff: o*W + pos, n: w})
			}
			pos += w
		}
	}
	out := newFastOutput(ds[0].Dtype(), outShape)
	if !copyBlocks(out, ds, blocks, outer*W) {
		return nil, false
	}
	return out, true
}

// fastSlice materialises t[..., start:end, ...] (end-start > 0, along axis,
// step 1) by block copies into a new tensor of the view's shape, or reports
// false for the upstream path.
func fastSlice(t tensor.Tensor, view tensor.Tensor, axis, start, end int) (tensor.Tensor, bool) {
	d, ok := plainDense(t)
	if !ok {
		return nil, false
	}
	s := d.Shape()
	if axis < 0 || axis >= len(s) || start < 0 || end > s[axis] || end <= start {
		return nil, false
	}
	outer, inner := 1, 1
	for k := 0; k < axis; k++ {
		outer *= s[k]
	}
	for k := axis + 1; k < len(s); k++ {
		inner *= s[k]
	}
	w := (end - start) * inner
	if view.Shape().TotalSize() != outer*w {
		return nil, false
	}
	blocks := make([]copyBlock, outer)
	for o := 0; o < outer; o++ {
		blocks[o] = copyBlock{soff: o*s[axis]*inner + start*inner, doff: o * w, n: w}
	}
	out := newFastOutput(d.Dtype(), view.Shape().Clone())
	if !copyBlocks(out, []*tensor.Dense{d}, blocks, outer*w) {
		return nil, false
	}
	return out, true
}

// addGrain is the least number of elements of one ParallelFor piece of fastAdd.
const addGrain = 16 << 10

// fastAdd computes a+b for plain tensors (see plainDense) of one shape and
// dtype, honouring the options tBinOp passes (WithReuse, UseUnsafe,
// AsSameType), or reports false for the upstream path (scalars, views,
// WithIncr, other types).
func fastAdd(a, b interface{}, opts []tensor.FuncOpt) (tensor.Tensor, bool) {
	at, ok := a.(tensor.Tensor)
	if !ok {
		return nil, false
	}
	bt, ok := b.(tensor.Tensor)
	if !ok {
		return nil, false
	}
	ad, ok := plainDense(at)
	if !ok {
		return nil, false
	}
	bd, ok := plainDense(bt)
	if !ok || bd.Dtype() != ad.Dtype() || !bd.Shape().Eq(ad.Shape()) {
		return nil, false
	}
	oo := tensor.ParseFuncOpts(opts...)
	if oo.Incr() != nil {
		return nil, false
	}
	var out *tensor.Dense
	switch {
	case oo.Reuse() != nil:
		r, ok := plainDense(oo.Reuse())
		if !ok || r.Dtype() != ad.Dtype() || !r.Shape().Eq(ad.Shape()) {
			return nil, false
		}
		out = r
	case !oo.Safe():
		out = ad
	default:
		out = newFastOutput(ad.Dtype(), ad.Shape().Clone())
	}
	n := ad.DataSize()
	pieces := (n + addGrain - 1) / addGrain
	var work func(lo, hi int)
	switch o := out.Data().(type) {
	case []float32:
		x, y := ad.Data().([]float32), bd.Data().([]float32)
		work = func(lo, hi int) {
			hi = hi * addGrain
			if hi > n {
				hi = n
			}
			for i := lo * addGrain; i < hi; i++ {
				o[i] = x[i] + y[i]
			}
		}
	case []float64:
		x, y := ad.Data().([]float64), bd.Data().([]float64)
		work = func(lo, hi int) {
			hi = hi * addGrain
			if hi > n {
				hi = n
			}
			for i := lo * addGrain; i < hi; i++ {
				o[i] = x[i] + y[i]
			}
		}
	default:
		return nil, false
	}
	if ParallelFor != nil && pieces > 1 {
		ParallelFor(pieces, work)
	} else {
		work(0, pieces)
	}
	return out, true
}
