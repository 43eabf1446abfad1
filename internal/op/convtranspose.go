package op

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/kernel"
)

// ConvTransposeParams are torch.nn.ConvTranspose2d's parameters other than the weight: stride, padding,
// output padding and dilation as (height, width), and groups. Zero strides, dilations and groups mean 1.
type ConvTransposeParams struct {
	Stride, Padding, OutputPadding, Dilation [2]int
	Groups                                   int
}

func (p ConvTransposeParams) conv() ConvParams {
	return ConvParams{Stride: p.Stride, Padding: p.Padding, Dilation: p.Dilation, Groups: p.Groups}.norm()
}

// ConvTranspose2d returns torch.nn.functional.conv_transpose2d(x, w, b, stride, padding, output_padding,
// groups, dilation). x is (N, Cin, H, W), w is (Cin, Cout/groups, KH, KW), b (Cout) may be nil; the output is
// (N, Cout, (H−1)·stride − 2·padding + dilation·(KH−1) + output_padding + 1, likewise for W). It runs as the
// data-gradient of the matching Conv2d, and its gradients are a Conv2d and a filter gradient.
func ConvTranspose2d(x, w, b *G.Node, p ConvTransposeParams) (*G.Node, error) {
	c := p.conv()
	op := convTransposeOp{p: c, outPad: p.OutputPadding, bias: b != nil}
	if _, err := op.InferShape(x.Shape(), w.Shape(), biasShape(b)); err != nil {
		return nil, err
	}
	if b != nil {
		return G.ApplyOp(op, x, w, b)
	}
	return G.ApplyOp(op, x, w)
}

// convTransposeOp is the transposed convolution; inputs (x, w) or (x, w, b).
type convTransposeOp struct {
	pure
	p      ConvParams
	outPad [2]int
	bias   bool
}

func (op convTransposeOp) Arity() int {
	if op.bias {
		return 3
	}
	return 2
}

func (op convTransposeOp) Type() hm.Type {
	if op.bias {
		return hm.NewFnType(t4, t4, t1, t4)
	}
	return hm.NewFnType(t4, t4, t4)
}

func (op convTransposeOp) String() string {
	return cachedName(op, func(op convTransposeOp) string {
		return describe("ConvTranspose2d", op.p, fmt.Sprintf("op%dx%d", op.outPad[0], op.outPad[1]), op.bias)
	})
}
func (op convTransposeOp) WriteHash(h hash.Hash) { h.Write([]byte(op.String())) }
func (op convTransposeOp) Hashcode() uint32      { return hashcode(op) }

// geom returns the geometry of the Conv2d whose data-gradient this op is: its input is our output.
func (op convTransposeOp) geom(xs, ws tensor.Shape) (kernel.ConvGeom, error) {
	name := op.String()
	if len(xs) != 4 {
		return kernel.ConvGeom{}, shapeErrorf(name, "input: want 4-D (N, Cin, H, W), got %v", xs)
	}
	if len(ws) != 4 {
		return kernel.ConvGeom{}, shapeErrorf(name, "weight: want 4-D (Cin, Cout/groups, KH, KW), got %v", ws)
	}
	if ws[0] != xs[1] {
		return kernel.ConvGeom{}, shapeErrorf(name, "weight %v: dim 0 must equal the input channels of %v", ws, xs)
	}
	for i := 0; i < 2; i++ {
		if op.outPad[i] < 0 || (op.outPad[i] >= op.p.Stride[i] && op.outPad[i] >= op.p.Dilation[i]) {
			return kernel.ConvGeom{}, shapeErrorf(name, "output padding %d must be >= 0 and smaller than stride %d or dilation %d",
				op.outPad[i], op.p.Stride[i], op.p.Dilation[i])
		}
	}
	oh := (xs[2]-1)*op.p.Stride[0] - 2*op.p.Padding[0] + op.p.Dilation[0]*(ws[2]-1) + op.outPad[0] + 1
	ow := (xs[3]-1)*op.p.Stride[1] - 2*op.p.Padding[1] + op.p.Dilation[1]*(ws[3]-1) + op.outPad[1] + 1
	if oh < 1 || ow < 1 {
		return kernel.ConvGeom{}, shapeErrorf(name, "input %v, weight %v: output size %dx%d is empty", xs, ws, oh, ow)
	}
	g, err := op.p.geom(name, tensor.Shape{xs[0], ws[1] * op.p.Groups, oh, ow}, ws)
	if err != nil {
		return g, err
	}
	if g.OutH() != xs[2] || g.OutW() != xs[3] {
		return g, shapeErrorf(name, "input %v, weight %v: inconsistent geometry", xs, ws)
	}
	return g, nil
}

func (op convTransposeOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	xs, err := shapeOf(op.String(), in, 0)
	if err != nil {
		return nil, err
	}
	ws, err := shapeOf(op.String(), in, 1)
	if err != nil {
		return nil, err
	}
	g, err := op.geom(xs, ws)
	if err != nil {
		return nil, err
	}
	if op.bias {
		bs, err := shapeOf(op.String(), in, 2)
		if err != nil {
			return nil, err
		}
		if len(bs) != 1 || bs[0] != g.C {
			return nil, shapeErrorf(op.String(), "bias: want (%d), got %v", g.C, bs)
		}
	}
	return tensor.Shape{g.N, g.C, g.H, g.W}, nil
}

func (op convTransposeOp) Do(in ...G.Value) (G.Value, error) {
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
	y := newOut(dt, g.N, g.C, g.H, g.W)
	if dt == tensor.Float32 {
		convTransposeForward[float32](g, ds, y)
	} else {
		convTransposeForward[float64](g, ds, y)
	}
	return y, nil
}

func convTransposeForward[T kernel.Float](g kernel.ConvGeom, ds []*tensor.Dense, y *tensor.Dense) {
	kernel.Conv2dBackwardData(g, nil, data[T](ds[1]), data[T](ds[0]), data[T](y))
	if len(ds) == 3 {
		kernel.AddChannelBias(g.N, g.H*g.W, data[T](ds[2]), data[T](y))
	}
}

func (op convTransposeOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = true
	}
	return d
}

func (op convTransposeOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	// y = Conv2dᵀ(x): dx = Conv2d(dy, w), dw = Conv2dBackwardFilter(input = dy, output gradient = x).
	dx, err := G.ApplyOp(conv2dOp{p: op.p}, grad, in[1])
	if err != nil {
		return nil, fmt.Errorf("%v: input gradient: %w", op, err)
	}
	ws := in[1].Shape()
	dw, err := G.ApplyOp(convBwdFilterOp{p: op.p, kh: ws[2], kw: ws[3]}, grad, in[0])
	if err != nil {
		return nil, fmt.Errorf("%v: weight gradient: %w", op, err)
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

var _ G.SDOp = convTransposeOp{}
