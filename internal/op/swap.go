package op

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/kernel"
)

// SwapAxes12 returns x (A, B, C, D) with its axes 1 and 2 exchanged, (A, C, B, D), as a new contiguous tensor:
// gorgonia's Transpose(x, 0, 2, 1, 3) with a direct block copy in place of tensor's generic strided iterator (the
// head split and merge of multi-head attention, which is where the transformer spent a fifth of its step time
// in Transpose). The permutation is its own inverse, so the gradient is SwapAxes12 of the output gradient.
func SwapAxes12(x *G.Node) (*G.Node, error) {
	name := describe("SwapAxes12")
	if x.Dims() != 4 {
		return nil, shapeErrorf(name, "x %v: want rank 4", x.Shape())
	}
	o := &funcOp{name: name, arity: 1, typ: fnType(t4, t4), diffWRT: []bool{true}}
	o.shape = func(in []tensor.Shape) (tensor.Shape, error) {
		s := in[0]
		if len(s) != 4 {
			return nil, shapeErrorf(name, "x %v: want rank 4", s)
		}
		return tensor.Shape{s[0], s[2], s[1], s[3]}, nil
	}
	o.do = func(in []G.Value) (G.Value, error) {
		ds, dt, err := denseArgs(name, in)
		if err != nil {
			return nil, err
		}
		s := ds[0].Shape()
		if len(s) != 4 {
			return nil, shapeErrorf(name, "x %v: want rank 4", s)
		}
		y := newOut(dt, s[0], s[2], s[1], s[3])
		byDtype(dt, func() { swap12(data[float32](y), data[float32](ds[0]), s[0], s[1], s[2], s[3]) },
			func() { swap12(data[float64](y), data[float64](ds[0]), s[0], s[1], s[2], s[3]) })
		return y, nil
	}
	o.symDiff = func(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		g, err := SwapAxes12(grad)
		return G.Nodes{g}, err
	}
	return apply(o, x)
}

// swap12 copies x (a, b, c, d) into y (a, c, b, d): y[i][k][j] = x[i][j][k], each a row of d values. The
// outer index is split over the cores (on one core it ran serially beside parallel kernels: 3% of a
// transformer layer's step at 2 threads).
func swap12[T float32 | float64](y, x []T, a, b, c, d int) {
	if len(x) < kernel.MinParallel {
		swap12Rows(y, x, 0, a, b, c, d) // no closure on the small path
		return
	}
	kernel.ParallelFor(a, func(lo, hi int) { swap12Rows(y, x, lo, hi, b, c, d) })
}

// swap12Rows is swap12 for the outer indices lo ≤ i < hi.
func swap12Rows[T float32 | float64](y, x []T, lo, hi, b, c, d int) {
	for i := lo; i < hi; i++ {
		xi, yi := x[i*b*c*d:(i+1)*b*c*d], y[i*b*c*d:(i+1)*b*c*d]
		for j := range b {
			for k := range c {
				copy(yi[(k*b+j)*d:(k*b+j+1)*d], xi[(j*c+k)*d:(j*c+k+1)*d])
			}
		}
	}
}
