package op

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/kernel"
)

// BatchedMatMul returns op(a)·op(b) for every matrix of a batch: a (..., M, K) and b (..., K, N) with equal
// leading dimensions give (..., M, N). transA and transB transpose the last two axes of a or b first without a
// copy, so attention's scores Q·Kᵀ are BatchedMatMul(q, k, false, true) on q (B, H, L, d) and k (B, H, L, d).
// Each product is one blas32/blas64 GEMM; the batch is spread over the cores. The gradients are batched
// matmuls of this same op, so they are exact in any combination of transpositions.
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
		s, err := bmmShape(name, ds[0].Shape(), ds[1].Shape(), transA, transB)
		if err != nil {
			return nil, err
		}
		r := len(s)
		m, n := s[r-2], s[r-1]
		k := ds[0].Shape()[r-1]
		if transA {
			k = ds[0].Shape()[r-2]
		}
		batch := 1
		for _, v := range s[:r-2] {
			batch *= v
		}
		y := newLike(dt, s...)
		dims := kernel.MatMulDims{M: m, N: n, K: k, TransA: transA, TransB: transB}
		byDtype(dt, func() {
			kernel.BatchedMatMul(data[float32](y), data[float32](ds[0]), data[float32](ds[1]), batch, dims, 1, 0)
		}, func() {
			kernel.BatchedMatMul(data[float64](y), data[float64](ds[0]), data[float64](ds[1]), batch, dims, 1, 0)
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
		return G.Nodes{da, db}, err
	}
	return apply(o, a, b)
}

// bmmShape returns the output shape of a batched op(a)·op(b), or an error naming the mismatch.
func bmmShape(name string, a, b tensor.Shape, transA, transB bool) (tensor.Shape, error) {
	r := len(a)
	if r < 2 || len(b) != r {
		return nil, shapeErrorf(name, "a %v, b %v: want both (..., rows, cols) with the same rank", a, b)
	}
	for i := 0; i < r-2; i++ {
		if a[i] != b[i] {
			return nil, shapeErrorf(name, "a %v, b %v: leading dimension %d differs (no broadcasting)", a, b, i)
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
	s := a.Clone()
	s[r-2], s[r-1] = m, n
	return s, nil
}
