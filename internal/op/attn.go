package op

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/kernel"
)

// BatchedMatMul returns op(a)·op(b) for every matrix of a batch: a (..., M, K) and b (..., K, N) give
// (..., M, N). The leading dimensions broadcast as in torch.matmul where one side has size 1 (e.g. a decoder
// query of batch 1 against encoder keys of batch B); otherwise they must be equal. transA and transB transpose
// the last two axes of a or b first without a copy, so attention's scores Q·Kᵀ are
// BatchedMatMul(q, k, false, true) on q (B, H, L, d) and k (B, H, L, d). Each product is one GEMM of
// internal/kernel; the batch is spread over the cores. The gradients are batched matmuls of this same op (summed over
// the broadcast dimensions of a broadcast operand), so they are exact in any combination of transpositions.
func BatchedMatMul(a, b *G.Node, transA, transB bool) (*G.Node, error) {
	name := describe("BatchedMatMul", a.Dims(), transA, transB)
	if a.Dims() < 2 || a.Dims() != b.Dims() {
		return nil, shapeErrorf(name, "a %v, b %v: want both (..., rows, cols) with the same rank", a.Shape(), b.Shape())
	}
	if _, err := bmmShape(name, a.Shape(), b.Shape(), transA, transB); err != nil {
		return nil, err
	}
	ta := tensorType(a.Dims())
	o := &funcOp{name: name, arity: 2, typ: fnType(ta, ta, ta), diffWRT: []bool{true, true}}
	o.shape = func(in []tensor.Shape) (tensor.Shape, error) {
		s, err := bmmShape(name, in[0], in[1], transA, transB)
		return s, err
	}
	o.do = func(in []G.Value) (G.Value, error) {
		ds, dt, err := denseArgs(name, in)
		if err != nil {
			return nil, err
		}
		as, bs := ds[0].Shape(), ds[1].Shape()
		s, err := bmmShape(name, as, bs, transA, transB)
		if err != nil {
			return nil, err
		}
		r := len(s)
		m, n := s[r-2], s[r-1]
		k := as[r-1]
		if transA {
			k = as[r-2]
		}
		batch := s[:r-2].TotalSize()
		if r == 2 {
			batch = 1
		}
		aIdx, bIdx := broadcastIndex(s[:r-2], as[:r-2]), broadcastIndex(s[:r-2], bs[:r-2])
		y := newOut(dt, s...)
		dims := kernel.MatMulDims{M: m, N: n, K: k, TransA: transA, TransB: transB}
		byDtype(dt, func() {
			kernel.BatchedMatMulIndexed(data[float32](y), data[float32](ds[0]), data[float32](ds[1]), batch, aIdx, bIdx, dims, 1, 0)
		}, func() {
			kernel.BatchedMatMulIndexed(data[float64](y), data[float64](ds[0]), data[float64](ds[1]), batch, aIdx, bIdx, dims, 1, 0)
		})
		return y, nil
	}
	o.symDiff = func(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		a, b := in[0], in[1]
		var da, db *G.Node
		var err error
		// C = op(A)·op(B); each case writes dA and dB as batched products of dC with A or B.
		switch {
		case !transA && !transB: // dA = dC·Bᵀ, dB = Aᵀ·dC
			if da, err = BatchedMatMul(grad, b, false, true); err == nil {
				db, err = BatchedMatMul(a, grad, true, false)
			}
		case !transA && transB: // C = A·Bᵀ: dA = dC·B, dB = dCᵀ·A
			if da, err = BatchedMatMul(grad, b, false, false); err == nil {
				db, err = BatchedMatMul(grad, a, true, false)
			}
		case transA && !transB: // C = Aᵀ·B: dA = B·dCᵀ, dB = A·dC
			if da, err = BatchedMatMul(b, grad, false, true); err == nil {
				db, err = BatchedMatMul(a, grad, false, false)
			}
		default: // C = Aᵀ·Bᵀ: dA = Bᵀ·dCᵀ, dB = dCᵀ·Aᵀ
			if da, err = BatchedMatMul(b, grad, true, true); err == nil {
				db, err = BatchedMatMul(grad, a, true, true)
			}
		}
		if err != nil {
			return nil, err
		}
		if da, err = sumToLeading(da, a.Shape()); err != nil {
			return nil, err
		}
		db, err = sumToLeading(db, b.Shape())
		return G.Nodes{da, db}, err
	}
	return apply(o, a, b)
}

// broadcastIndex maps each flat index of the leading shape out to the flat index of the leading shape in that
// it reads under broadcasting (dimensions of size 1 in in repeat); nil when the shapes are equal.
func broadcastIndex(out, in tensor.Shape) []int {
	if out.Eq(in) {
		return nil
	}
	total := out.TotalSize()
	idx := make([]int, total)
	for f := 0; f < total; f++ {
		rem, src, stride := f, 0, 1
		for d := len(out) - 1; d >= 0; d-- {
			c := rem % out[d]
			rem /= out[d]
			if in[d] != 1 {
				src += c * stride
			}
			stride *= in[d]
		}
		idx[f] = src
	}
	return idx
}

// sumToLeading sums g (..., M, K) over the leading dimensions in which target has size 1 and g does not: the
// gradient of an operand that BatchedMatMul broadcast. It returns g itself when the shapes already agree.
func sumToLeading(g *G.Node, target tensor.Shape) (*G.Node, error) {
	if g.Shape().Eq(target) {
		return g, nil
	}
	target = target.Clone()
	tg := tensorType(g.Dims())
	r := len(target)
	b := &funcOp{name: describe("SumToLeading", fmt.Sprint([]int(target))), arity: 1, typ: fnType(tg, tg),
		shape: func([]tensor.Shape) (tensor.Shape, error) { return target.Clone(), nil }}
	b.do = func(vs []G.Value) (G.Value, error) {
		ds, dt, err := denseArgs(b.name, vs)
		if err != nil {
			return nil, err
		}
		gs := ds[0].Shape()
		if len(gs) != r || gs[r-2] != target[r-2] || gs[r-1] != target[r-1] {
			return nil, shapeErrorf(b.name, "gradient %v cannot sum to %v", gs, target)
		}
		idx := broadcastIndex(gs[:r-2], target[:r-2])
		out := newOut(dt, target...)
		block := target[r-2] * target[r-1]
		byDtype(dt, func() { kernel.SumBlocks(data[float32](out), data[float32](ds[0]), idx, block) },
			func() { kernel.SumBlocks(data[float64](out), data[float64](ds[0]), idx, block) })
		return out, nil
	}
	return apply(b, g)
}

// bmmShape returns the output shape of a batched op(a)·op(b), or an error naming the mismatch.
func bmmShape(name string, a, b tensor.Shape, transA, transB bool) (tensor.Shape, error) {
	r := len(a)
	if r < 2 || len(b) != r {
		return nil, shapeErrorf(name, "a %v, b %v: want both (..., rows, cols) with the same rank", a, b)
	}
	s := a.Clone()
	for i := 0; i < r-2; i++ {
		switch {
		case a[i] == b[i]:
		case a[i] == 1:
			s[i] = b[i]
		case b[i] == 1:
		default:
			return nil, shapeErrorf(name, "a %v, b %v: leading dimension %d differs (%d vs %d; only size 1 broadcasts)", a, b, i, a[i], b[i])
		}
	}
	m, ka := a[r-2], a[r-1]
	if transA {
		m, ka = ka, m
	}
	kb, n := b[r-2], b[r-1]
	if transB {
		kb, n = n, kb
	}
	if ka != kb {
		return nil, shapeErrorf(name, "a %v (transposed %v), b %v (transposed %v): inner dimensions %d and %d differ", a, transA, b, transB, ka, kb)
	}
	s[r-2], s[r-1] = m, n
	return s, nil
}
