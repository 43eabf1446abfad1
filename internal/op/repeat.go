package op

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// RepeatAxis returns x with its axis of size 1 repeated n times: x (..., 1, ...) gives (..., n, ...), every copy
// equal to x, as torch's expand followed by contiguous(). It is how a value shared by a whole batch (a
// transformer decoder's query computed once per tier, keys projected once per architecture) meets a batch
// without recomputing it. The gradient is SumAxis of the output gradient over that axis.
func RepeatAxis(x *G.Node, axis, n int) (*G.Node, error) {
	name := describe("RepeatAxis", axis, n)
	s := x.Shape()
	if axis < 0 || axis >= len(s) || s[axis] != 1 || n < 1 {
		return nil, shapeErrorf(name, "x %v: want axis %d of size 1 and n >= 1", s, axis)
	}
	o := &funcOp{name: name, arity: 1, typ: fnType(tensorType(x.Dims()), tensorType(x.Dims())), diffWRT: []bool{true}}
	o.shape = func(in []tensor.Shape) (tensor.Shape, error) {
		out := in[0].Clone()
		if axis >= len(out) || out[axis] != 1 {
			return nil, shapeErrorf(name, "x %v: want axis %d of size 1", in[0], axis)
		}
		out[axis] = n
		return out, nil
	}
	o.do = func(in []G.Value) (G.Value, error) {
		ds, dt, err := denseArgs(name, in)
		if err != nil {
			return nil, err
		}
		xs := ds[0].Shape()
		if axis >= len(xs) || xs[axis] != 1 {
			return nil, shapeErrorf(name, "x %v: want axis %d of size 1", xs, axis)
		}
		outer, inner := xs[:axis].TotalSize(), xs[axis+1:].TotalSize()
		if axis == 0 {
			outer = 1
		}
		if axis == len(xs)-1 {
			inner = 1
		}
		out := xs.Clone()
		out[axis] = n
		y := newOut(dt, out...)
		byDtype(dt, func() { repeatBlocks(data[float32](y), data[float32](ds[0]), outer, inner, n) },
			func() { repeatBlocks(data[float64](y), data[float64](ds[0]), outer, inner, n) })
		return y, nil
	}
	o.symDiff = func(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		g, err := SumAxis(grad, axis)
		return G.Nodes{g}, err
	}
	return apply(o, x)
}

// SumAxis returns the sum of x over one axis, keeping it with size 1: x (..., n, ...) gives (..., 1, ...), as
// torch's x.sum(axis, keepdim=True). It sums the per-tier decoder outputs of NAR's ranker. The gradient is
// RepeatAxis of the output gradient.
func SumAxis(x *G.Node, axis int) (*G.Node, error) {
	name := describe("SumAxis", axis)
	s := x.Shape()
	if axis < 0 || axis >= len(s) {
		return nil, shapeErrorf(name, "x %v: want 0 <= axis < rank", s)
	}
	n := s[axis]
	o := &funcOp{name: describe("SumAxis", axis, fmt.Sprint(n)), arity: 1, typ: fnType(tensorType(x.Dims()), tensorType(x.Dims())),
		diffWRT: []bool{true}}
	o.shape = func(in []tensor.Shape) (tensor.Shape, error) {
		out := in[0].Clone()
		if axis >= len(out) {
			return nil, shapeErrorf(name, "x %v: want 0 <= axis < rank", in[0])
		}
		out[axis] = 1
		return out, nil
	}
	o.do = func(in []G.Value) (G.Value, error) {
		ds, dt, err := denseArgs(name, in)
		if err != nil {
			return nil, err
		}
		xs := ds[0].Shape()
		if axis >= len(xs) {
			return nil, shapeErrorf(name, "x %v: want 0 <= axis < rank", xs)
		}
		outer, inner := xs[:axis].TotalSize(), xs[axis+1:].TotalSize()
		if axis == 0 {
			outer = 1
		}
		if axis == len(xs)-1 {
			inner = 1
		}
		out := xs.Clone()
		out[axis] = 1
		y := newLike(dt, out...) // sumBlocks adds into y
		byDtype(dt, func() { sumBlocks(data[float32](y), data[float32](ds[0]), outer, inner, xs[axis]) },
			func() { sumBlocks(data[float64](y), data[float64](ds[0]), outer, inner, xs[axis]) })
		return y, nil
	}
	o.symDiff = func(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		g, err := RepeatAxis(grad, axis, n)
		return G.Nodes{g}, err
	}
	return apply(o, x)
}

// repeatBlocks writes y (outer, n, inner) = x (outer, 1, inner) repeated n times.
func repeatBlocks[T float32 | float64](y, x []T, outer, inner, n int) {
	for o := range outer {
		src := x[o*inner : (o+1)*inner]
		for r := range n {
			copy(y[(o*n+r)*inner:(o*n+r+1)*inner], src)
		}
	}
}

// sumBlocks writes y (outer, 1, inner) = the sum of x (outer, n, inner) over its middle axis.
func sumBlocks[T float32 | float64](y, x []T, outer, inner, n int) {
	for o := range outer {
		dst := y[o*inner : (o+1)*inner]
		for r := range n {
			src := x[(o*n+r)*inner : (o*n+r+1)*inner]
			for i, v := range src {
				dst[i] += v
			}
		}
	}
}
