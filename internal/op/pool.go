package op

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/kernel"
)

// PoolParams are the window parameters of MaxPool2d and AvgPool2d as (height, width): kernel size, stride
// and padding. A zero stride means the kernel size (PyTorch's default). Dilation is 1 and ceil_mode is False.
type PoolParams struct {
	Kernel, Stride, Padding [2]int
}

func (p PoolParams) norm() PoolParams {
	for i := 0; i < 2; i++ {
		if p.Stride[i] == 0 {
			p.Stride[i] = p.Kernel[i]
		}
	}
	return p
}

// String renders the parameters compactly; ops use it in their names and hashes.
func (p PoolParams) String() string {
	return fmt.Sprintf("k%dx%d,s%dx%d,p%dx%d", p.Kernel[0], p.Kernel[1], p.Stride[0], p.Stride[1], p.Padding[0], p.Padding[1])
}

func (p PoolParams) geom(name string, xs tensor.Shape) (kernel.PoolGeom, error) {
	if len(xs) != 4 {
		return kernel.PoolGeom{}, shapeErrorf(name, "input: want 4-D (N, C, H, W), got %v", xs)
	}
	g := kernel.PoolGeom{N: xs[0], C: xs[1], H: xs[2], W: xs[3], KH: p.Kernel[0], KW: p.Kernel[1],
		SH: p.Stride[0], SW: p.Stride[1], PH: p.Padding[0], PW: p.Padding[1]}
	if err := g.Validate(); err != nil {
		return g, shapeErrorf(name, "input %v: %v", xs, err)
	}
	return g, nil
}

// poolOp is MaxPool2d (avg false) or AvgPool2d (avg true) on x (N, C, H, W).
type poolOp struct {
	pure
	p               PoolParams
	avg             bool
	countIncludePad bool
}

// MaxPool2d returns torch.nn.functional.max_pool2d(x, kernel, stride, padding): padding acts as −∞, and the
// gradient goes to the first maximum of each window, as in PyTorch.
func MaxPool2d(x *G.Node, p PoolParams) (*G.Node, error) {
	return applyPool(poolOp{p: p.norm()}, x)
}

// AvgPool2d returns torch.nn.functional.avg_pool2d(x, kernel, stride, padding, count_include_pad=...): with
// countIncludePad the padding counts as zeros in each window's mean; without it, only the input elements do.
func AvgPool2d(x *G.Node, p PoolParams, countIncludePad bool) (*G.Node, error) {
	return applyPool(poolOp{p: p.norm(), avg: true, countIncludePad: countIncludePad}, x)
}

func applyPool(op poolOp, x *G.Node) (*G.Node, error) {
	if _, err := op.InferShape(x.Shape()); err != nil {
		return nil, err
	}
	return G.ApplyOp(op, x)
}

func (op poolOp) name() string {
	if op.avg {
		return "AvgPool2d"
	}
	return "MaxPool2d"
}

func (op poolOp) Arity() int    { return 1 }
func (op poolOp) Type() hm.Type { return hm.NewFnType(t4, t4) }
func (op poolOp) String() string {
	return cachedName(op, func(op poolOp) string { return describe(op.name(), op.p, op.countIncludePad) })
}
func (op poolOp) WriteHash(h hash.Hash) { writeHash(h, op.name(), op.p, op.countIncludePad) }
func (op poolOp) Hashcode() uint32      { return hashcode(op) }

func (op poolOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	xs, err := shapeOf(op.String(), in, 0)
	if err != nil {
		return nil, err
	}
	g, err := op.p.geom(op.String(), xs)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.N, g.C, g.OutH(), g.OutW()}, nil
}

func (op poolOp) Do(in ...G.Value) (G.Value, error) {
	if err := checkArity(op.String(), 1, len(in)); err != nil {
		return nil, err
	}
	ds, dt, err := denseArgs(op.String(), in)
	if err != nil {
		return nil, err
	}
	g, err := op.p.geom(op.String(), ds[0].Shape())
	if err != nil {
		return nil, err
	}
	y := newOut(dt, g.N, g.C, g.OutH(), g.OutW())
	switch {
	case dt == tensor.Float32 && op.avg:
		kernel.AvgPool2dForward(g, op.countIncludePad, data[float32](ds[0]), data[float32](y))
	case dt == tensor.Float32:
		kernel.MaxPool2dForward(g, data[float32](ds[0]), data[float32](y))
	case op.avg:
		kernel.AvgPool2dForward(g, op.countIncludePad, data[float64](ds[0]), data[float64](y))
	default:
		kernel.MaxPool2dForward(g, data[float64](ds[0]), data[float64](y))
	}
	return y, nil
}

func (op poolOp) DiffWRT(int) []bool { return []bool{true} }

func (op poolOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	xs := in[0].Shape()
	bwd := poolBwdOp{fwd: op, h: xs[2], w: xs[3]}
	var dx *G.Node
	var err error
	if op.avg {
		dx, err = G.ApplyOp(bwd, grad)
	} else {
		dx, err = G.ApplyOp(bwd, in[0], out, grad)
	}
	if err != nil {
		return nil, fmt.Errorf("%v: backward: %w", op, err)
	}
	return G.Nodes{dx}, nil
}

// poolBwdOp is the input gradient of a pool over an h×w input: (dy) → dx for AvgPool2d, (x, y, dy) → dx
// for MaxPool2d, which finds each window's selected element again from x and y (no state is kept).
type poolBwdOp struct {
	pure
	fwd  poolOp
	h, w int
}

func (op poolBwdOp) Arity() int {
	if op.fwd.avg {
		return 1
	}
	return 3
}

func (op poolBwdOp) Type() hm.Type {
	if op.fwd.avg {
		return hm.NewFnType(t4, t4)
	}
	return hm.NewFnType(t4, t4, t4, t4)
}

func (op poolBwdOp) String() string {
	return cachedName(op, func(op poolBwdOp) string {
		return describe(op.fwd.name()+"Backward", op.fwd.p, op.fwd.countIncludePad, op.h, op.w)
	})
}
func (op poolBwdOp) WriteHash(h hash.Hash) { h.Write([]byte(op.String())) }
func (op poolBwdOp) Hashcode() uint32      { return hashcode(op) }

func (op poolBwdOp) geom(dys tensor.Shape) (kernel.PoolGeom, error) {
	if len(dys) != 4 {
		return kernel.PoolGeom{}, shapeErrorf(op.String(), "output gradient: want 4-D, got %v", dys)
	}
	g, err := op.fwd.p.geom(op.String(), tensor.Shape{dys[0], dys[1], op.h, op.w})
	if err != nil {
		return g, err
	}
	if dys[2] != g.OutH() || dys[3] != g.OutW() {
		return g, shapeErrorf(op.String(), "output gradient %v does not match input size %dx%d (want %dx%d)",
			dys, op.h, op.w, g.OutH(), g.OutW())
	}
	return g, nil
}

func (op poolBwdOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	dys, err := shapeOf(op.String(), in, op.Arity()-1)
	if err != nil {
		return nil, err
	}
	g, err := op.geom(dys)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.N, g.C, g.H, g.W}, nil
}

func (op poolBwdOp) Do(in ...G.Value) (G.Value, error) {
	if err := checkArity(op.String(), op.Arity(), len(in)); err != nil {
		return nil, err
	}
	ds, dt, err := denseArgs(op.String(), in)
	if err != nil {
		return nil, err
	}
	dy := ds[len(ds)-1]
	g, err := op.geom(dy.Shape())
	if err != nil {
		return nil, err
	}
	if !op.fwd.avg && (!ds[0].Shape().Eq(tensor.Shape{g.N, g.C, g.H, g.W}) || !ds[1].Shape().Eq(dy.Shape())) {
		return nil, shapeErrorf(op.String(), "input %v and output %v do not match output gradient %v", ds[0].Shape(), ds[1].Shape(), dy.Shape())
	}
	dx := newOut(dt, g.N, g.C, g.H, g.W)
	switch {
	case dt == tensor.Float32 && op.fwd.avg:
		kernel.AvgPool2dBackward(g, op.fwd.countIncludePad, data[float32](dy), data[float32](dx))
	case dt == tensor.Float32:
		kernel.MaxPool2dBackward(g, data[float32](ds[0]), data[float32](ds[1]), data[float32](dy), data[float32](dx))
	case op.fwd.avg:
		kernel.AvgPool2dBackward(g, op.fwd.countIncludePad, data[float64](dy), data[float64](dx))
	default:
		kernel.MaxPool2dBackward(g, data[float64](ds[0]), data[float64](ds[1]), data[float64](dy), data[float64](dx))
	}
	return dx, nil
}

// GlobalAvgPool2d returns the mean of each (n, c) plane of x (N, C, H, W) as an (N, C) node, as
// torch.nn.AdaptiveAvgPool2d(1) followed by flatten.
func GlobalAvgPool2d(x *G.Node) (*G.Node, error) {
	op := globalAvgPoolOp{}
	if _, err := op.InferShape(x.Shape()); err != nil {
		return nil, err
	}
	return G.ApplyOp(op, x)
}

type globalAvgPoolOp struct{ pure }

func (op globalAvgPoolOp) Arity() int            { return 1 }
func (op globalAvgPoolOp) Type() hm.Type         { return hm.NewFnType(t4, t2) }
func (op globalAvgPoolOp) String() string        { return describe("GlobalAvgPool2d") }
func (op globalAvgPoolOp) WriteHash(h hash.Hash) { writeHash(h, "GlobalAvgPool2d") }
func (op globalAvgPoolOp) Hashcode() uint32      { return hashcode(op) }

func (op globalAvgPoolOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	xs, err := shapeOf(op.String(), in, 0)
	if err != nil {
		return nil, err
	}
	if len(xs) != 4 || xs.TotalSize() == 0 {
		return nil, shapeErrorf(op.String(), "input: want non-empty 4-D (N, C, H, W), got %v", xs)
	}
	return tensor.Shape{xs[0], xs[1]}, nil
}

func (op globalAvgPoolOp) Do(in ...G.Value) (G.Value, error) {
	if err := checkArity(op.String(), 1, len(in)); err != nil {
		return nil, err
	}
	ds, dt, err := denseArgs(op.String(), in)
	if err != nil {
		return nil, err
	}
	s, err := op.InferShape(ds[0].Shape())
	if err != nil {
		return nil, err
	}
	xs := ds[0].Shape()
	y := newOut(dt, s...)
	if dt == tensor.Float32 {
		kernel.GlobalAvgPoolForward(xs[0]*xs[1], xs[2]*xs[3], data[float32](ds[0]), data[float32](y))
	} else {
		kernel.GlobalAvgPoolForward(xs[0]*xs[1], xs[2]*xs[3], data[float64](ds[0]), data[float64](y))
	}
	return y, nil
}

func (op globalAvgPoolOp) DiffWRT(int) []bool { return []bool{true} }

func (op globalAvgPoolOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	xs := in[0].Shape()
	dx, err := G.ApplyOp(globalAvgPoolBwdOp{h: xs[2], w: xs[3]}, grad)
	if err != nil {
		return nil, fmt.Errorf("%v: backward: %w", op, err)
	}
	return G.Nodes{dx}, nil
}

// globalAvgPoolBwdOp maps dy (N, C) to dx (N, C, h, w) = dy / (h·w) on every element.
type globalAvgPoolBwdOp struct {
	pure
	h, w int
}

func (op globalAvgPoolBwdOp) Arity() int     { return 1 }
func (op globalAvgPoolBwdOp) Type() hm.Type  { return hm.NewFnType(t2, t4) }
func (op globalAvgPoolBwdOp) String() string { return describe("GlobalAvgPool2dBackward", op.h, op.w) }
func (op globalAvgPoolBwdOp) WriteHash(h hash.Hash) {
	writeHash(h, "GlobalAvgPool2dBackward", op.h, op.w)
}
func (op globalAvgPoolBwdOp) Hashcode() uint32 { return hashcode(op) }

func (op globalAvgPoolBwdOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(op.String(), in, 0)
	if err != nil {
		return nil, err
	}
	if len(s) != 2 || op.h <= 0 || op.w <= 0 {
		return nil, shapeErrorf(op.String(), "output gradient: want 2-D (N, C), got %v", s)
	}
	return tensor.Shape{s[0], s[1], op.h, op.w}, nil
}

func (op globalAvgPoolBwdOp) Do(in ...G.Value) (G.Value, error) {
	if err := checkArity(op.String(), 1, len(in)); err != nil {
		return nil, err
	}
	ds, dt, err := denseArgs(op.String(), in)
	if err != nil {
		return nil, err
	}
	s, err := op.InferShape(ds[0].Shape())
	if err != nil {
		return nil, err
	}
	dx := newOut(dt, s...)
	if dt == tensor.Float32 {
		kernel.GlobalAvgPoolBackward(s[0]*s[1], op.h*op.w, data[float32](ds[0]), data[float32](dx))
	} else {
		kernel.GlobalAvgPoolBackward(s[0]*s[1], op.h*op.w, data[float64](ds[0]), data[float64](dx))
	}
	return dx, nil
}

var (
	_ G.SDOp = poolOp{}
	_ G.Op   = poolBwdOp{}
	_ G.SDOp = globalAvgPoolOp{}
	_ G.Op   = globalAvgPoolBwdOp{}
)
