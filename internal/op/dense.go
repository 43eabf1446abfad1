package op

import (
	"fmt"

	"github.com/chewxy/hm"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/kernel"
)

// Linear returns x·weightᵀ + bias for x (..., in), weight (out, in) in PyTorch's layout and bias (out), batched
// over the leading dimensions of x; the output is (..., out). bias may be nil (bias=False). Each product is
// one GEMM of internal/kernel (fused SIMD axpys in float32).
func Linear(x, weight, bias *G.Node) (*G.Node, error) {
	if x.Dims() < 1 || weight.Dims() != 2 {
		return nil, shapeErrorf("Linear", "x %v, weight %v: want x (..., in) and weight (out, in)", x.Shape(), weight.Shape())
	}
	out, inF := weight.Shape()[0], weight.Shape()[1]
	name := describe("Linear", x.Dims(), inF, out, bias != nil)
	if x.Shape()[x.Dims()-1] != inF {
		return nil, shapeErrorf(name, "x has shape %v, want last dimension %d (weight %v)", x.Shape(), inF, weight.Shape())
	}
	tx := tensorType(x.Dims())
	o := &funcOp{name: name, arity: 2, typ: fnType(tx, t2, tx), diffWRT: []bool{true, true}}
	inputs := G.Nodes{x, weight}
	if bias != nil {
		if bias.Dims() != 1 || bias.Shape()[0] != out {
			return nil, shapeErrorf(name, "bias has shape %v, want (%d)", bias.Shape(), out)
		}
		inputs = append(inputs, bias)
		o.arity, o.typ, o.diffWRT = 3, fnType(tx, t2, t1, tx), []bool{true, true, true}
	}
	o.shape = func(in []tensor.Shape) (tensor.Shape, error) {
		s := in[0].Clone()
		s[len(s)-1] = out
		return s, nil
	}
	o.do = func(in []G.Value) (G.Value, error) {
		ds, dt, err := denseArgs(name, in)
		if err != nil {
			return nil, err
		}
		rows, k := leading(ds[0].Shape())
		if k != inF || !ds[1].Shape().Eq(tensor.Shape{out, inF}) {
			return nil, shapeErrorf(name, "x %v, weight %v", ds[0].Shape(), ds[1].Shape())
		}
		s, _ := o.shape([]tensor.Shape{ds[0].Shape()})
		y := newOut(dt, s...)
		dims := kernel.MatMulDims{M: rows, N: out, K: inF, TransB: true}
		byDtype(dt, func() {
			kernel.BatchedMatMul(data[float32](y), data[float32](ds[0]), data[float32](ds[1]), 1, dims, 1, 0)
			if len(ds) == 3 {
				kernel.AddRowVector(data[float32](y), data[float32](ds[2]), rows, out)
			}
		}, func() {
			kernel.BatchedMatMul(data[float64](y), data[float64](ds[0]), data[float64](ds[1]), 1, dims, 1, 0)
			if len(ds) == 3 {
				kernel.AddRowVector(data[float64](y), data[float64](ds[2]), rows, out)
			}
		})
		return y, nil
	}
	o.symDiff = func(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		// dx = dy·W: (rows, out)·(out, in).
		gx := &funcOp{name: describe("LinearGradX", x.Dims(), inF, out), arity: 2, typ: fnType(t2, tx, tx),
			shape: func(s []tensor.Shape) (tensor.Shape, error) {
				r := s[1].Clone()
				r[len(r)-1] = inF
				return r, nil
			}}
		gx.do = func(vs []G.Value) (G.Value, error) {
			ds, dt, err := denseArgs(gx.name, vs)
			if err != nil {
				return nil, err
			}
			rows, _ := leading(ds[1].Shape())
			s := ds[1].Shape().Clone()
			s[len(s)-1] = inF
			dx := newOut(dt, s...)
			dims := kernel.MatMulDims{M: rows, N: inF, K: out}
			byDtype(dt, func() {
				kernel.BatchedMatMul(data[float32](dx), data[float32](ds[1]), data[float32](ds[0]), 1, dims, 1, 0)
			},
				func() {
					kernel.BatchedMatMul(data[float64](dx), data[float64](ds[1]), data[float64](ds[0]), 1, dims, 1, 0)
				})
			return dx, nil
		}
		// dW = dyᵀ·x: (out, rows)·(rows, in).
		gw := &funcOp{name: describe("LinearGradW", x.Dims(), inF, out), arity: 2, typ: fnType(tx, tx, t2),
			shape: func([]tensor.Shape) (tensor.Shape, error) { return tensor.Shape{out, inF}, nil }}
		gw.do = func(vs []G.Value) (G.Value, error) {
			ds, dt, err := denseArgs(gw.name, vs)
			if err != nil {
				return nil, err
			}
			rows, _ := leading(ds[0].Shape())
			dw := newOut(dt, out, inF)
			dims := kernel.MatMulDims{M: out, N: inF, K: rows, TransA: true}
			byDtype(dt, func() {
				kernel.BatchedMatMul(data[float32](dw), data[float32](ds[1]), data[float32](ds[0]), 1, dims, 1, 0)
			},
				func() {
					kernel.BatchedMatMul(data[float64](dw), data[float64](ds[1]), data[float64](ds[0]), 1, dims, 1, 0)
				})
			return dw, nil
		}
		dx, err := apply(gx, in[1], grad)
		if err != nil {
			return nil, err
		}
		dw, err := apply(gw, in[0], grad)
		if err != nil {
			return nil, err
		}
		if bias == nil {
			return G.Nodes{dx, dw}, nil
		}
		db, err := columnSums(grad, out)
		return G.Nodes{dx, dw, db}, err
	}
	return apply(o, inputs...)
}

// columnSums returns Σ over all leading dimensions of g (..., d): the gradient of a bias added to every row.
func columnSums(g *G.Node, d int) (*G.Node, error) {
	tg := tensorType(g.Dims())
	b := &funcOp{name: describe("ColumnSums", g.Dims(), d), arity: 1, typ: fnType(tg, t1),
		shape: func([]tensor.Shape) (tensor.Shape, error) { return tensor.Shape{d}, nil }}
	b.do = func(vs []G.Value) (G.Value, error) {
		ds, dt, err := denseArgs(b.name, vs)
		if err != nil {
			return nil, err
		}
		rows, dd := leading(ds[0].Shape())
		out := newOut(dt, dd)
		byDtype(dt, func() { kernel.ColumnSums(data[float32](out), data[float32](ds[0]), rows, dd) },
			func() { kernel.ColumnSums(data[float64](out), data[float64](ds[0]), rows, dd) })
		return out, nil
	}
	return apply(b, g)
}

// Term is one operand of a WeightedSum: the tensor X weighted by entry Index of the weight vector.
type Term struct {
	Index int     // the term's entry in the weight vector (the candidate op's position in the space's op list)
	X     *G.Node // the candidate op's output
}

// WeightedSum returns Σ_j w[terms[j].Index]·terms[j].X, the fused sum of a DARTS mixed op: w (K) holds the
// softmax of the edge's α over all K candidate ops and the terms are the outputs of the ops that are not
// "none", each with its index into w. Every X has the same shape. The gradient w.r.t. w is Σ dy·X_j at each
// term's index and 0 at indices with no term; the gradient w.r.t. X_j is w[index_j]·dy.
func WeightedSum(w *G.Node, terms ...Term) (*G.Node, error) {
	if w.Dims() != 1 {
		return nil, shapeErrorf("WeightedSum", "weights have shape %v, want a vector (K)", w.Shape())
	}
	k := w.Shape()[0]
	if len(terms) == 0 {
		return nil, fmt.Errorf("op WeightedSum: no terms (a mixed op with only \"none\" has no output tensor)")
	}
	idx := make([]int, len(terms))
	inputs := G.Nodes{w}
	shape := terms[0].X.Shape()
	seen := map[int]bool{}
	for j, t := range terms {
		if t.Index < 0 || t.Index >= k {
			return nil, fmt.Errorf("op WeightedSum: term %d: index %d out of range [0, %d)", j, t.Index, k)
		}
		if seen[t.Index] {
			return nil, fmt.Errorf("op WeightedSum: term %d: index %d used twice", j, t.Index)
		}
		seen[t.Index] = true
		if !t.X.Shape().Eq(shape) {
			return nil, shapeErrorf("WeightedSum", "term %d has shape %v, term 0 has %v", j, t.X.Shape(), shape)
		}
		idx[j] = t.Index
		inputs = append(inputs, t.X)
	}
	name := describe("WeightedSum", k, fmt.Sprint(idx), len(shape))
	tx := tensorType(len(shape))
	ts := []hm.Type{t1}
	for range terms {
		ts = append(ts, tx)
	}
	o := &funcOp{name: name, arity: len(inputs), typ: fnType(append(ts, tx)...), shape: shapeOfInput(1)}
	o.diffWRT = make([]bool, len(inputs))
	for i := range o.diffWRT {
		o.diffWRT[i] = true
	}
	o.do = func(in []G.Value) (G.Value, error) {
		ds, dt, err := denseArgs(name, in)
		if err != nil {
			return nil, err
		}
		for j := 2; j < len(ds); j++ {
			if !ds[j].Shape().Eq(ds[1].Shape()) {
				return nil, shapeErrorf(name, "term %d has shape %v, term 0 has %v", j-1, ds[j].Shape(), ds[1].Shape())
			}
		}
		y := newOut(dt, ds[1].Shape()...)
		byDtype(dt, func() { wsumForward[float32](y, ds, idx) }, func() { wsumForward[float64](y, ds, idx) })
		return y, nil
	}
	o.symDiff = func(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		grads := make(G.Nodes, len(in))
		// dw: inputs (dy, X_0, ..., X_{n-1}).
		gts := []hm.Type{tx}
		for range terms {
			gts = append(gts, tx)
		}
		gw := &funcOp{name: describe("WeightedSumGradW", k, fmt.Sprint(idx), len(shape)), arity: len(in),
			typ: fnType(append(gts, t1)...), shape: func([]tensor.Shape) (tensor.Shape, error) { return tensor.Shape{k}, nil }}
		gw.do = func(vs []G.Value) (G.Value, error) {
			ds, dt, err := denseArgs(gw.name, vs)
			if err != nil {
				return nil, err
			}
			out := newLike(dt, k) // entries of w that no term uses (DARTS' "none") stay 0
			byDtype(dt, func() { wsumGradW[float32](out, ds, idx) }, func() { wsumGradW[float64](out, ds, idx) })
			return out, nil
		}
		var err error
		if grads[0], err = apply(gw, append(G.Nodes{grad}, in[1:]...)...); err != nil {
			return nil, err
		}
		for j := range terms {
			if grads[j+1], err = scaleByEntry(in[0], grad, idx[j]); err != nil {
				return nil, err
			}
		}
		return grads, nil
	}
	return apply(o, inputs...)
}

func wsumForward[T kernel.Float](y *tensor.Dense, ds []*tensor.Dense, idx []int) {
	w := data[T](ds[0])
	ws := make([]T, len(idx))
	xs := make([][]T, len(idx))
	for j, i := range idx {
		ws[j] = w[i]
		xs[j] = data[T](ds[j+1])
	}
	kernel.WeightedSum(data[T](y), ws, xs)
}

func wsumGradW[T kernel.Float](out *tensor.Dense, ds []*tensor.Dense, idx []int) {
	o := data[T](out)
	dy := data[T](ds[0])
	for j, i := range idx {
		o[i] = T(kernel.Dot(dy, data[T](ds[j+1])))
	}
}

// scaleByEntry returns w[i]·g for a vector w: the gradient of one term of a WeightedSum.
func scaleByEntry(w, g *G.Node, i int) (*G.Node, error) {
	tg := tensorType(g.Dims())
	b := &funcOp{name: describe("ScaleByEntry", i, g.Dims()), arity: 2, typ: fnType(t1, tg, tg), shape: shapeOfInput(1)}
	b.do = func(vs []G.Value) (G.Value, error) {
		ds, dt, err := denseArgs(b.name, vs)
		if err != nil {
			return nil, err
		}
		out := newOut(dt, ds[1].Shape()...)
		byDtype(dt, func() { kernel.Scale(data[float32](out), data[float32](ds[1]), data[float32](ds[0])[i]) },
			func() { kernel.Scale(data[float64](out), data[float64](ds[1]), data[float64](ds[0])[i]) })
		return out, nil
	}
	return apply(b, w, g)
}
