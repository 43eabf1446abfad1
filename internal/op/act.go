package op

import (
	G "gorgonia.org/gorgonia"

	"github.com/nasx/nasx/internal/kernel"
)

// ReLU returns max(x, 0) elementwise, for x of any shape. Its gradient is dy where x > 0 and 0 elsewhere
// (also at x = 0), as torch.relu.
func ReLU(x *G.Node) (*G.Node, error) {
	tx := tensorType(x.Dims())
	o := &funcOp{name: describe("ReLU", x.Dims()), arity: 1, typ: fnType(tx, tx), shape: sameShape}
	o.do = func(in []G.Value) (G.Value, error) {
		return elementwise(o.name, in, kernel.ReLU[float32], kernel.ReLU[float64])
	}
	o.diffWRT = []bool{true}
	o.symDiff = func(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		b := &funcOp{name: describe("ReLUGrad", x.Dims()), arity: 2, typ: fnType(tx, tx, tx), shape: sameShape}
		b.do = func(in []G.Value) (G.Value, error) {
			return elementwise2(b.name, in, kernel.ReLUBackward[float32], kernel.ReLUBackward[float64])
		}
		dx, err := apply(b, in[0], grad)
		return G.Nodes{dx}, err
	}
	return apply(o, x)
}

// Hardtanh returns min(max(x, lo), hi) elementwise with nn.Hardtanh's gradient: dy where lo < x < hi, 0
// elsewhere (also at the boundaries). The MIM decoder's output clamp is a Hardtanh.
func Hardtanh(x *G.Node, lo, hi float64) (*G.Node, error) { return clamp(x, lo, hi, false) }

// Clamp returns min(max(x, lo), hi) elementwise with torch.clamp's gradient: dy where lo <= x <= hi, 0
// elsewhere (the boundaries pass the gradient, unlike Hardtanh).
func Clamp(x *G.Node, lo, hi float64) (*G.Node, error) { return clamp(x, lo, hi, true) }

func clamp(x *G.Node, lo, hi float64, inclusive bool) (*G.Node, error) {
	kind := "Hardtanh"
	if inclusive {
		kind = "Clamp"
	}
	if !(lo <= hi) {
		return nil, shapeErrorf(describe(kind, lo, hi), "min %v must not exceed max %v", lo, hi)
	}
	tx := tensorType(x.Dims())
	o := &funcOp{name: describe(kind, x.Dims(), lo, hi), arity: 1, typ: fnType(tx, tx), shape: sameShape}
	o.do = func(in []G.Value) (G.Value, error) {
		return elementwise(o.name, in,
			func(dst, x []float32) { kernel.Clamp(dst, x, float32(lo), float32(hi)) },
			func(dst, x []float64) { kernel.Clamp(dst, x, lo, hi) })
	}
	o.diffWRT = []bool{true}
	o.symDiff = func(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		b := &funcOp{name: describe(kind+"Grad", x.Dims(), lo, hi), arity: 2, typ: fnType(tx, tx, tx), shape: sameShape}
		b.do = func(in []G.Value) (G.Value, error) {
			return elementwise2(b.name, in,
				func(dx, x, dy []float32) { kernel.ClampBackward(dx, x, dy, float32(lo), float32(hi), inclusive) },
				func(dx, x, dy []float64) { kernel.ClampBackward(dx, x, dy, lo, hi, inclusive) })
		}
		dx, err := apply(b, in[0], grad)
		return G.Nodes{dx}, err
	}
	return apply(o, x)
}

// elementwise runs a one-input kernel into a fresh output of the input's shape and dtype.
func elementwise(name string, in []G.Value, f32 func(dst, x []float32), f64 func(dst, x []float64)) (G.Value, error) {
	ds, dt, err := denseArgs(name, in)
	if err != nil {
		return nil, err
	}
	y := newOut(dt, ds[0].Shape()...)
	byDtype(dt, func() { f32(data[float32](y), data[float32](ds[0])) },
		func() { f64(data[float64](y), data[float64](ds[0])) })
	return y, nil
}

// elementwise2 runs a two-input kernel (inputs of one shape) into a fresh output of that shape.
func elementwise2(name string, in []G.Value, f32 func(dst, a, b []float32), f64 func(dst, a, b []float64)) (G.Value, error) {
	ds, dt, err := denseArgs(name, in)
	if err != nil {
		return nil, err
	}
	if !ds[0].Shape().Eq(ds[1].Shape()) {
		return nil, shapeErrorf(name, "input shapes %v and %v differ", ds[0].Shape(), ds[1].Shape())
	}
	y := newOut(dt, ds[0].Shape()...)
	byDtype(dt, func() { f32(data[float32](y), data[float32](ds[0]), data[float32](ds[1])) },
		func() { f64(data[float64](y), data[float64](ds[0]), data[float64](ds[1])) })
	return y, nil
}
