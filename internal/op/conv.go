package op

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/kernel"
)

// ConvParams are torch.nn.Conv2d's parameters other than the weight: stride, zero padding on both sides and
// dilation as (height, width), and the number of groups. Zero values mean PyTorch's defaults: stride 1,
// padding 0, dilation 1, groups 1. ReLU fuses a ReLU in front of the convolution, conv2d(relu(x), w): one op
// instead of two, and no ReLU output to allocate (DARTS' ReLU → conv blocks).
type ConvParams struct {
	Stride, Padding, Dilation [2]int
	Groups                    int
	ReLU                      bool
}

// norm returns p with zero strides, dilations and groups replaced by 1.
func (p ConvParams) norm() ConvParams {
	for i := 0; i < 2; i++ {
		if p.Stride[i] == 0 {
			p.Stride[i] = 1
		}
		if p.Dilation[i] == 0 {
			p.Dilation[i] = 1
		}
	}
	if p.Groups == 0 {
		p.Groups = 1
	}
	return p
}

// String renders the parameters compactly; ops use it in their names and hashes.
func (p ConvParams) String() string {
	return fmt.Sprintf("s%dx%d,p%dx%d,d%dx%d,g%d,relu%v", p.Stride[0], p.Stride[1], p.Padding[0], p.Padding[1],
		p.Dilation[0], p.Dilation[1], p.Groups, p.ReLU)
}

// geom returns the kernel geometry for input shape xs (N, C, H, W) and weight shape ws (K, C/g, KH, KW),
// validated, or an error naming op and both shapes.
func (p ConvParams) geom(name string, xs, ws tensor.Shape) (kernel.ConvGeom, error) {
	if len(xs) != 4 {
		return kernel.ConvGeom{}, shapeErrorf(name, "input: want 4-D (N, C, H, W), got %v", xs)
	}
	if len(ws) != 4 {
		return kernel.ConvGeom{}, shapeErrorf(name, "weight: want 4-D (K, C/groups, KH, KW), got %v", ws)
	}
	g := kernel.ConvGeom{N: xs[0], C: xs[1], H: xs[2], W: xs[3], K: ws[0], KH: ws[2], KW: ws[3],
		SH: p.Stride[0], SW: p.Stride[1], PH: p.Padding[0], PW: p.Padding[1], DH: p.Dilation[0], DW: p.Dilation[1],
		Groups: p.Groups, ReLU: p.ReLU}
	if p.Groups > 0 && ws[1]*p.Groups != xs[1] {
		return g, shapeErrorf(name, "weight %v has %d input channels per group, input %v has %d channels in %d groups (want weight dim 1 = %d)",
			ws, ws[1], xs, xs[1], p.Groups, xs[1]/max(p.Groups, 1))
	}
	if err := g.Validate(); err != nil {
		return g, shapeErrorf(name, "input %v, weight %v: %v", xs, ws, err)
	}
	return g, nil
}

// Conv2d returns the node conv2d(x, w) + b, as torch.nn.functional.conv2d(x, w, b, stride, padding,
// dilation, groups), or conv2d(relu(x), w) + b with p.ReLU. x is (N, C, H, W), w is (K, C/groups, KH, KW)
// and b, which may be nil, is (K). Depthwise convolutions (groups = C = K) and stride-1 ones run on padded
// planes, one SIMD pass per tap; strided dense ones run im2col + GEMM.
func Conv2d(x, w, b *G.Node, p ConvParams) (*G.Node, error) {
	op := conv2dOp{p: p.norm(), bias: b != nil}
	if _, err := op.InferShape(x.Shape(), w.Shape(), biasShape(b)); err != nil {
		return nil, err
	}
	if b != nil {
		return G.ApplyOp(op, x, w, b)
	}
	return G.ApplyOp(op, x, w)
}

func biasShape(b *G.Node) tensor.Shape {
	if b == nil {
		return nil
	}
	return b.Shape()
}

// conv2dOp is the forward convolution; inputs (x, w) or (x, w, b).
type conv2dOp struct {
	pure
	p    ConvParams
	bias bool
}

func (op conv2dOp) Arity() int {
	if op.bias {
		return 3
	}
	return 2
}

func (op conv2dOp) Type() hm.Type {
	if op.bias {
		return hm.NewFnType(t4, t4, t1, t4)
	}
	return hm.NewFnType(t4, t4, t4)
}

func (op conv2dOp) String() string {
	return cachedName(op, func(op conv2dOp) string { return describe("Conv2d", op.p, op.bias) })
}
func (op conv2dOp) WriteHash(h hash.Hash) { writeHash(h, "Conv2d", op.p, op.bias) }
func (op conv2dOp) Hashcode() uint32      { return hashcode(op) }

func (op conv2dOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	xs, err := shapeOf(op.String(), in, 0)
	if err != nil {
		return nil, err
	}
	ws, err := shapeOf(op.String(), in, 1)
	if err != nil {
		return nil, err
	}
	g, err := op.p.geom(op.String(), xs, ws)
	if err != nil {
		return nil, err
	}
	if op.bias {
		bs, err := shapeOf(op.String(), in, 2)
		if err != nil {
			return nil, err
		}
		if len(bs) != 1 || bs[0] != g.K {
			return nil, shapeErrorf(op.String(), "bias: want (%d), got %v", g.K, bs)
		}
	}
	return tensor.Shape{g.N, g.K, g.OutH(), g.OutW()}, nil
}

func (op conv2dOp) Do(in ...G.Value) (G.Value, error) {
	if err := checkArity(op.String(), op.Arity(), len(in)); err != nil {
		return nil, err
	}
	ds, dt, err := denseArgs(op.String(), in)
	if err != nil {
		return nil, err
	}
	g, err := op.p.geom(op.String(), ds[0].Shape(), ds[1].Shape())
	if err != nil {
		return nil, err
	}
	y := newOut(dt, g.N, g.K, g.OutH(), g.OutW())
	if dt == tensor.Float32 {
		convForward[float32](g, ds, y)
	} else {
		convForward[float64](g, ds, y)
	}
	return y, nil
}

func convForward[T kernel.Float](g kernel.ConvGeom, ds []*tensor.Dense, y *tensor.Dense) {
	var b []T
	if len(ds) == 3 {
		b = data[T](ds[2])
	}
	kernel.Conv2dForward(g, data[T](ds[0]), data[T](ds[1]), b, data[T](y))
}

func (op conv2dOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = true
	}
	return d
}

func (op conv2dOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	xs := in[0].Shape()
	var dx *G.Node
	var err error
	if op.p.ReLU {
		dx, err = G.ApplyOp(convBwdDataOp{p: op.p, h: xs[2], w: xs[3]}, in[1], grad, in[0])
	} else {
		dx, err = G.ApplyOp(convBwdDataOp{p: op.p, h: xs[2], w: xs[3]}, in[1], grad)
	}
	if err != nil {
		return nil, fmt.Errorf("%v: backward data: %w", op, err)
	}
	ws := in[1].Shape()
	dw, err := G.ApplyOp(convBwdFilterOp{p: op.p, kh: ws[2], kw: ws[3]}, in[0], grad)
	if err != nil {
		return nil, fmt.Errorf("%v: backward filter: %w", op, err)
	}
	if !op.bias {
		return G.Nodes{dx, dw}, nil
	}
	db, err := G.ApplyOp(biasGradOp{}, grad)
	if err != nil {
		return nil, fmt.Errorf("%v: bias gradient: %w", op, err)
	}
	return G.Nodes{dx, dw, db}, nil
}

// convBwdDataOp maps (w, dy) to dx = ∂(sum(conv2d(x, w) ⊙ dy))/∂x for an input of spatial size h×w; with
// p.ReLU it maps (w, dy, x), as the ReLU mask needs x.
type convBwdDataOp struct {
	pure
	p    ConvParams
	h, w int
}

func (op convBwdDataOp) Arity() int {
	if op.p.ReLU {
		return 3
	}
	return 2
}

func (op convBwdDataOp) Type() hm.Type {
	if op.p.ReLU {
		return hm.NewFnType(t4, t4, t4, t4)
	}
	return hm.NewFnType(t4, t4, t4)
}

func (op convBwdDataOp) String() string {
	return cachedName(op, func(op convBwdDataOp) string { return describe("Conv2dBackwardData", op.p, op.h, op.w) })
}
func (op convBwdDataOp) WriteHash(h hash.Hash) { writeHash(h, "Conv2dBackwardData", op.p, op.h, op.w) }
func (op convBwdDataOp) Hashcode() uint32      { return hashcode(op) }

// geom recovers the forward geometry from w (K, C/g, KH, KW) and dy (N, K, OH, OW).
func (op convBwdDataOp) geom(ws, dys tensor.Shape) (kernel.ConvGeom, error) {
	if len(ws) != 4 || len(dys) != 4 {
		return kernel.ConvGeom{}, shapeErrorf(op.String(), "want 4-D weight and output gradient, got %v and %v", ws, dys)
	}
	xs := tensor.Shape{dys[0], ws[1] * op.p.Groups, op.h, op.w}
	g, err := op.p.geom(op.String(), xs, ws)
	if err != nil {
		return g, err
	}
	if dys[1] != g.K || dys[2] != g.OutH() || dys[3] != g.OutW() {
		return g, shapeErrorf(op.String(), "output gradient %v does not match weight %v and input size %dx%d (want (%d, %d, %d, %d))",
			dys, ws, op.h, op.w, g.N, g.K, g.OutH(), g.OutW())
	}
	return g, nil
}

func (op convBwdDataOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	ws, err := shapeOf(op.String(), in, 0)
	if err != nil {
		return nil, err
	}
	dys, err := shapeOf(op.String(), in, 1)
	if err != nil {
		return nil, err
	}
	g, err := op.geom(ws, dys)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.N, g.C, g.H, g.W}, nil
}

func (op convBwdDataOp) Do(in ...G.Value) (G.Value, error) {
	if err := checkArity(op.String(), op.Arity(), len(in)); err != nil {
		return nil, err
	}
	ds, dt, err := denseArgs(op.String(), in)
	if err != nil {
		return nil, err
	}
	g, err := op.geom(ds[0].Shape(), ds[1].Shape())
	if err != nil {
		return nil, err
	}
	if op.p.ReLU && !ds[2].Shape().Eq(tensor.Shape{g.N, g.C, g.H, g.W}) {
		return nil, shapeErrorf(op.String(), "input %v does not match its gradient (%d, %d, %d, %d)", ds[2].Shape(), g.N, g.C, g.H, g.W)
	}
	dx := newOut(dt, g.N, g.C, g.H, g.W)
	if dt == tensor.Float32 {
		convBackwardData[float32](g, ds, dx)
	} else {
		convBackwardData[float64](g, ds, dx)
	}
	return dx, nil
}

func convBackwardData[T kernel.Float](g kernel.ConvGeom, ds []*tensor.Dense, dx *tensor.Dense) {
	var x []T
	if len(ds) == 3 {
		x = data[T](ds[2])
	}
	kernel.Conv2dBackwardData(g, x, data[T](ds[0]), data[T](ds[1]), data[T](dx))
}

// convBwdFilterOp maps (x, dy) to dw = ∂(sum(conv2d(x, w) ⊙ dy))/∂w for a kh×kw kernel.
type convBwdFilterOp struct {
	pure
	p      ConvParams
	kh, kw int
}

func (op convBwdFilterOp) Arity() int    { return 2 }
func (op convBwdFilterOp) Type() hm.Type { return hm.NewFnType(t4, t4, t4) }
func (op convBwdFilterOp) String() string {
	return cachedName(op, func(op convBwdFilterOp) string { return describe("Conv2dBackwardFilter", op.p, op.kh, op.kw) })
}
func (op convBwdFilterOp) WriteHash(h hash.Hash) {
	writeHash(h, "Conv2dBackwardFilter", op.p, op.kh, op.kw)
}
func (op convBwdFilterOp) Hashcode() uint32 { return hashcode(op) }

// geom recovers the forward geometry from x (N, C, H, W) and dy (N, K, OH, OW).
func (op convBwdFilterOp) geom(xs, dys tensor.Shape) (kernel.ConvGeom, error) {
	if len(xs) != 4 || len(dys) != 4 || op.p.Groups <= 0 {
		return kernel.ConvGeom{}, shapeErrorf(op.String(), "want 4-D input and output gradient, got %v and %v", xs, dys)
	}
	ws := tensor.Shape{dys[1], xs[1] / op.p.Groups, op.kh, op.kw}
	g, err := op.p.geom(op.String(), xs, ws)
	if err != nil {
		return g, err
	}
	if dys[0] != g.N || dys[2] != g.OutH() || dys[3] != g.OutW() {
		return g, shapeErrorf(op.String(), "output gradient %v does not match input %v (want (%d, %d, %d, %d))",
			dys, xs, g.N, g.K, g.OutH(), g.OutW())
	}
	return g, nil
}

func (op convBwdFilterOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	xs, err := shapeOf(op.String(), in, 0)
	if err != nil {
		return nil, err
	}
	dys, err := shapeOf(op.String(), in, 1)
	if err != nil {
		return nil, err
	}
	g, err := op.geom(xs, dys)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.K, g.C / g.Groups, g.KH, g.KW}, nil
}

func (op convBwdFilterOp) Do(in ...G.Value) (G.Value, error) {
	if err := checkArity(op.String(), 2, len(in)); err != nil {
		return nil, err
	}
	ds, dt, err := denseArgs(op.String(), in)
	if err != nil {
		return nil, err
	}
	g, err := op.geom(ds[0].Shape(), ds[1].Shape())
	if err != nil {
		return nil, err
	}
	dw := newOut(dt, g.K, g.C/g.Groups, g.KH, g.KW)
	if dt == tensor.Float32 {
		kernel.Conv2dBackwardFilter(g, data[float32](ds[0]), data[float32](ds[1]), data[float32](dw))
	} else {
		kernel.Conv2dBackwardFilter(g, data[float64](ds[0]), data[float64](ds[1]), data[float64](dw))
	}
	return dw, nil
}

// biasGradOp maps dy (N, K, H, W) to db[k] = Σ dy[:, k, :, :], the bias gradient of a convolution.
type biasGradOp struct{ pure }

func (op biasGradOp) Arity() int            { return 1 }
func (op biasGradOp) Type() hm.Type         { return hm.NewFnType(t4, t1) }
func (op biasGradOp) String() string        { return describe("ConvBiasGrad") }
func (op biasGradOp) WriteHash(h hash.Hash) { writeHash(h, "ConvBiasGrad") }
func (op biasGradOp) Hashcode() uint32      { return hashcode(op) }

func (op biasGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(op.String(), in, 0)
	if err != nil {
		return nil, err
	}
	if len(s) != 4 {
		return nil, shapeErrorf(op.String(), "want 4-D output gradient, got %v", s)
	}
	return tensor.Shape{s[1]}, nil
}

func (op biasGradOp) Do(in ...G.Value) (G.Value, error) {
	if err := checkArity(op.String(), 1, len(in)); err != nil {
		return nil, err
	}
	ds, dt, err := denseArgs(op.String(), in)
	if err != nil {
		return nil, err
	}
	s := ds[0].Shape()
	if len(s) != 4 {
		return nil, shapeErrorf(op.String(), "want 4-D output gradient, got %v", s)
	}
	db := newOut(dt, s[1])
	if dt == tensor.Float32 {
		kernel.ConvBiasGrad(s[0], s[1], s[2]*s[3], data[float32](ds[0]), data[float32](db))
	} else {
		kernel.ConvBiasGrad(s[0], s[1], s[2]*s[3], data[float64](ds[0]), data[float64](db))
	}
	return db, nil
}

var (
	_ G.SDOp = conv2dOp{}
	_ G.Op   = convBwdDataOp{}
	_ G.Op   = convBwdFilterOp{}
	_ G.Op   = biasGradOp{}
)
