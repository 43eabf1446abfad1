package nn

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/op"
)

// The DARTS CNN operations of quark0/darts cnn/operations.py
// (https://github.com/quark0/darts/blob/f276dd346a09ae3160f8e3aca5c7b193fda1da37/cnn/operations.py),
// with the same structure and therefore the same state_dict names. Each
// torch nn.Sequential index is kept: a ReLU takes an index but no
// parameters, so ReLUConvBN's conv is "op.1" and its BN "op.2". The ReLU
// in front of a convolution is fused into it (op.ConvParams.ReLU), which
// computes the same values and gradients.

// ReLUConvBN is DARTS' ReLU → Conv(k, stride, pad, bias=False) → BN:
// parameters op.1.weight and op.2.*.
type ReLUConvBN struct {
	Conv *Conv2d
	BN   *BatchNorm
	children
	params Params
}

var _ Block = (*ReLUConvBN)(nil)

// NewReLUConvBN returns DARTS' ReLUConvBN(cin, cout, k, stride, pad, affine).
func NewReLUConvBN(g *G.ExprGraph, dt tensor.Dtype, name string, cin, cout, k, stride, pad int, affine bool) (*ReLUConvBN, error) {
	return newReLUConvBN(g, dt, name, cin, cout, k, stride, pad, affine, false)
}

func newReLUConvBN(g *G.ExprGraph, dt tensor.Dtype, name string, cin, cout, k, stride, pad int, affine, bias bool) (*ReLUConvBN, error) {
	conv, err := NewConv2d(g, dt, name+".op.1", cin, cout, k,
		op.ConvParams{Stride: [2]int{stride, stride}, Padding: [2]int{pad, pad}, ReLU: true}, bias)
	if err != nil {
		return nil, err
	}
	bn, err := NewBatchNorm(g, dt, name+".op.2", cout, affine)
	if err != nil {
		return nil, err
	}
	b := &ReLUConvBN{Conv: conv, BN: bn, children: children{conv, bn}}
	return b, register(&b.params, []string{"op.1", "op.2"}, b.children)
}

// Forward returns bn(conv(relu(x))).
func (b *ReLUConvBN) Forward(x *G.Node) (*G.Node, error) { return chain(x, b.Conv, b.BN) }

// Learnables returns the conv weight and the BN affine parameters.
func (b *ReLUConvBN) Learnables() G.Nodes { return b.params.Learnables() }

// Params returns op.1.weight and op.2.*.
func (b *ReLUConvBN) Params() *Params { return &b.params }

// chain applies ms in order.
func chain(x *G.Node, ms ...Module) (*G.Node, error) {
	var err error
	for _, m := range ms {
		if x, err = m.Forward(x); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// DilConv is DARTS' ReLU → depthwise Conv(k, stride, pad, dilation) →
// Conv1×1 → BN: parameters op.1.weight, op.2.weight, op.3.*.
type DilConv struct {
	DW, PW *Conv2d
	BN     *BatchNorm
	children
	params Params
}

var _ Block = (*DilConv)(nil)

// NewDilConv returns DARTS' DilConv(cin, cout, k, stride, pad, dilation, affine).
func NewDilConv(g *G.ExprGraph, dt tensor.Dtype, name string, cin, cout, k, stride, pad, dilation int, affine bool) (*DilConv, error) {
	dw, err := NewConv2d(g, dt, name+".op.1", cin, cin, k, op.ConvParams{Stride: [2]int{stride, stride},
		Padding: [2]int{pad, pad}, Dilation: [2]int{dilation, dilation}, Groups: cin, ReLU: true}, false)
	if err != nil {
		return nil, err
	}
	pw, err := NewConv2d(g, dt, name+".op.2", cin, cout, 1, op.ConvParams{}, false)
	if err != nil {
		return nil, err
	}
	bn, err := NewBatchNorm(g, dt, name+".op.3", cout, affine)
	if err != nil {
		return nil, err
	}
	b := &DilConv{DW: dw, PW: pw, BN: bn, children: children{dw, pw, bn}}
	return b, register(&b.params, []string{"op.1", "op.2", "op.3"}, b.children)
}

// Forward returns bn(pw(dw(relu(x)))).
func (b *DilConv) Forward(x *G.Node) (*G.Node, error) { return chain(x, b.DW, b.PW, b.BN) }

// Learnables returns the two conv weights and the BN affine parameters.
func (b *DilConv) Learnables() G.Nodes { return b.params.Learnables() }

// Params returns op.1.weight, op.2.weight and op.3.*.
func (b *DilConv) Params() *Params { return &b.params }

// SepConv is DARTS' separable convolution, DilConv(cin, cin, k, stride, pad,
// 1) followed by DilConv(cin, cout, k, 1, pad, 1) in one Sequential:
// parameters op.1, op.2, op.3 (BN), op.5, op.6, op.7 (BN).
type SepConv struct {
	DW1, PW1 *Conv2d
	BN1      *BatchNorm
	DW2, PW2 *Conv2d
	BN2      *BatchNorm
	children
	params Params
}

var _ Block = (*SepConv)(nil)

// NewSepConv returns DARTS' SepConv(cin, cout, k, stride, pad, affine).
func NewSepConv(g *G.ExprGraph, dt tensor.Dtype, name string, cin, cout, k, stride, pad int, affine bool) (*SepConv, error) {
	dw1, err := NewConv2d(g, dt, name+".op.1", cin, cin, k, op.ConvParams{Stride: [2]int{stride, stride},
		Padding: [2]int{pad, pad}, Groups: cin, ReLU: true}, false)
	if err != nil {
		return nil, err
	}
	pw1, err := NewConv2d(g, dt, name+".op.2", cin, cin, 1, op.ConvParams{}, false)
	if err != nil {
		return nil, err
	}
	bn1, err := NewBatchNorm(g, dt, name+".op.3", cin, affine)
	if err != nil {
		return nil, err
	}
	dw2, err := NewConv2d(g, dt, name+".op.5", cin, cin, k,
		op.ConvParams{Padding: [2]int{pad, pad}, Groups: cin, ReLU: true}, false)
	if err != nil {
		return nil, err
	}
	pw2, err := NewConv2d(g, dt, name+".op.6", cin, cout, 1, op.ConvParams{}, false)
	if err != nil {
		return nil, err
	}
	bn2, err := NewBatchNorm(g, dt, name+".op.7", cout, affine)
	if err != nil {
		return nil, err
	}
	b := &SepConv{DW1: dw1, PW1: pw1, BN1: bn1, DW2: dw2, PW2: pw2, BN2: bn2,
		children: children{dw1, pw1, bn1, dw2, pw2, bn2}}
	return b, register(&b.params, []string{"op.1", "op.2", "op.3", "op.5", "op.6", "op.7"}, b.children)
}

// Forward returns the two ReLU → depthwise → pointwise → BN stages.
func (b *SepConv) Forward(x *G.Node) (*G.Node, error) {
	return chain(x, b.DW1, b.PW1, b.BN1, b.DW2, b.PW2, b.BN2)
}

// Learnables returns the four conv weights and the BN affine parameters.
func (b *SepConv) Learnables() G.Nodes { return b.params.Learnables() }

// Params returns op.{1,2,3,5,6,7}.*.
func (b *SepConv) Params() *Params { return &b.params }

// FactorizedReduce is DARTS' stride-2 reduction: ReLU, then two 1×1
// stride-2 convolutions to cout/2 channels each, the second on
// x[:, :, 1:, 1:], concatenated on channels, then BN: parameters
// conv_1.weight, conv_2.weight, bn.*.
type FactorizedReduce struct {
	Conv1, Conv2 *Conv2d
	BN           *BatchNorm
	children
	params Params
}

var _ Block = (*FactorizedReduce)(nil)

// NewFactorizedReduce returns DARTS' FactorizedReduce(cin, cout, affine);
// cout must be even.
func NewFactorizedReduce(g *G.ExprGraph, dt tensor.Dtype, name string, cin, cout int, affine bool) (*FactorizedReduce, error) {
	if cout%2 != 0 {
		return nil, fmt.Errorf("nn: factorized reduce %q: cout %d, want an even number", name, cout)
	}
	p := op.ConvParams{Stride: [2]int{2, 2}, ReLU: true}
	c1, err := NewConv2d(g, dt, name+".conv_1", cin, cout/2, 1, p, false)
	if err != nil {
		return nil, err
	}
	c2, err := NewConv2d(g, dt, name+".conv_2", cin, cout/2, 1, p, false)
	if err != nil {
		return nil, err
	}
	bn, err := NewBatchNorm(g, dt, name+".bn", cout, affine)
	if err != nil {
		return nil, err
	}
	b := &FactorizedReduce{Conv1: c1, Conv2: c2, BN: bn, children: children{c1, c2, bn}}
	return b, register(&b.params, []string{"conv_1", "conv_2", "bn"}, b.children)
}

// Forward returns bn(cat(conv_1(relu(x)), conv_2(relu(x[:, :, 1:, 1:])))).
func (b *FactorizedReduce) Forward(x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if len(s) != 4 {
		return nil, fmt.Errorf("%s: input shape %v, want (N, C, H, W)", b.Conv1.Weight.Name(), s)
	}
	y1, err := b.Conv1.Forward(x)
	if err != nil {
		return nil, err
	}
	xs, err := G.Slice(x, nil, nil, G.S(1, s[2]), G.S(1, s[3]))
	if err != nil {
		return nil, fmt.Errorf("%s: slice: %w", b.Conv2.Weight.Name(), err)
	}
	y2, err := b.Conv2.Forward(xs)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(y1.Shape(), y2.Shape()) {
		return nil, fmt.Errorf("%s: halves of shapes %v and %v (odd input size %v?)", b.Conv1.Weight.Name(), y1.Shape(), y2.Shape(), s)
	}
	y, err := G.Concat(1, y1, y2)
	if err != nil {
		return nil, fmt.Errorf("%s: concat: %w", b.Conv1.Weight.Name(), err)
	}
	return b.BN.Forward(y)
}

// Learnables returns the conv weights and the BN affine parameters.
func (b *FactorizedReduce) Learnables() G.Nodes { return b.params.Learnables() }

// Params returns conv_1.weight, conv_2.weight and bn.*.
func (b *FactorizedReduce) Params() *Params { return &b.params }

// Identity returns its input (DARTS' skip_connect at stride 1). Evaluation
// cells apply drop-path to every op that is not an Identity.
type Identity struct{ params Params }

var _ Block = (*Identity)(nil)

// Forward returns x.
func (*Identity) Forward(x *G.Node) (*G.Node, error) { return x, nil }

// Learnables returns nothing.
func (*Identity) Learnables() G.Nodes { return nil }

// Params returns an empty registry.
func (b *Identity) Params() *Params { return &b.params }

// Init does nothing.
func (*Identity) Init(*rand.Rand) error { return nil }

// SetTraining does nothing.
func (*Identity) SetTraining(bool) {}

// Zero is DARTS' "none": x·0, or x[:, :, ::stride, ::stride]·0.
type Zero struct {
	Stride int
	params Params
}

var _ Block = (*Zero)(nil)

// Forward returns zeros shaped like x subsampled by the stride. Its
// gradient to x is zero.
func (z *Zero) Forward(x *G.Node) (*G.Node, error) {
	if z.Stride > 1 { // x[:, :, ::s, ::s] is a 1×1 pool with stride s
		var err error
		if x, err = op.AvgPool2d(x, op.PoolParams{Kernel: [2]int{1, 1}, Stride: [2]int{z.Stride, z.Stride}}, true); err != nil {
			return nil, fmt.Errorf("zero: %w", err)
		}
	}
	var zero *G.Node
	if x.Dtype() == tensor.Float32 {
		zero = G.NewConstant(float32(0))
	} else {
		zero = G.NewConstant(0.0)
	}
	return G.Mul(x, zero)
}

// Learnables returns nothing.
func (*Zero) Learnables() G.Nodes { return nil }

// Params returns an empty registry.
func (z *Zero) Params() *Params { return &z.params }

// Init does nothing.
func (*Zero) Init(*rand.Rand) error { return nil }

// SetTraining does nothing.
func (*Zero) SetTraining(bool) {}

// Pool is a 3×3 max or average pool with padding 1 (average with
// count_include_pad=False), optionally followed by BatchNorm(affine=False)
// as DARTS' search MixedOp does (nn.Sequential(pool, BN): parameters 1.*).
type Pool struct {
	Max    bool
	P      op.PoolParams
	BN     *BatchNorm // nil without BN
	params Params
}

var _ Block = (*Pool)(nil)

// NewPool returns a 3×3 max (max) or average pool with the given stride and
// padding 1; withBN appends BatchNorm2d(c, affine=False) named name+".1".
func NewPool(g *G.ExprGraph, dt tensor.Dtype, name string, c, stride int, max, withBN bool) (*Pool, error) {
	if err := checkDtype(dt, name); err != nil {
		return nil, err
	}
	p := &Pool{Max: max, P: op.PoolParams{Kernel: [2]int{3, 3}, Stride: [2]int{stride, stride}, Padding: [2]int{1, 1}}}
	if withBN {
		bn, err := NewBatchNorm(g, dt, name+".1", c, false)
		if err != nil {
			return nil, err
		}
		p.BN = bn
		if err := p.params.AddModule("1", bn.Params()); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Forward pools x and applies the BN, if any.
func (p *Pool) Forward(x *G.Node) (*G.Node, error) {
	var y *G.Node
	var err error
	if p.Max {
		y, err = op.MaxPool2d(x, p.P)
	} else {
		y, err = op.AvgPool2d(x, p.P, false)
	}
	if err != nil || p.BN == nil {
		return y, err
	}
	return p.BN.Forward(y)
}

// Learnables returns nothing (the BN is not affine).
func (p *Pool) Learnables() G.Nodes { return nil }

// Params returns the BN's running statistics, if any.
func (p *Pool) Params() *Params { return &p.params }

// Init resets the BN's running statistics, if any.
func (p *Pool) Init(rng *rand.Rand) error {
	if p.BN == nil {
		return nil
	}
	return p.BN.Init(rng)
}

// SetTraining switches the BN, if any.
func (p *Pool) SetTraining(training bool) {
	if p.BN != nil {
		p.BN.SetTraining(training)
	}
}

// OpFunc builds the candidate op of an edge: c channels in and out, the
// given stride, BN affine or not (search: false; evaluation: true), with
// node names under name. dt is tensor.Float32 or tensor.Float64.
type OpFunc func(g *G.ExprGraph, dt tensor.Dtype, name string, c, stride int, affine bool) (Block, error)

// DARTSOps lists the DARTS CNN primitives in genotypes.PRIMITIVES order.
var DARTSOps = []string{"none", "max_pool_3x3", "avg_pool_3x3", "skip_connect",
	"sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"}

// DARTSOp returns the builder of the DARTS op named name, as
// operations.OPS builds it (pools are bare: evaluation networks). It
// returns an error naming the op for an unknown name.
func DARTSOp(name string) (OpFunc, error) { return dartsOp(name, false) }

// DARTSSearchOp is DARTSOp with each pool followed by
// BatchNorm2d(c, affine=False), as model_search.MixedOp builds it.
func DARTSSearchOp(name string) (OpFunc, error) { return dartsOp(name, true) }

func dartsOp(opName string, poolBN bool) (OpFunc, error) {
	switch opName {
	case "none":
		return func(g *G.ExprGraph, dt tensor.Dtype, name string, c, stride int, affine bool) (Block, error) {
			return &Zero{Stride: stride}, nil
		}, nil
	case "max_pool_3x3", "avg_pool_3x3":
		max := opName == "max_pool_3x3"
		return func(g *G.ExprGraph, dt tensor.Dtype, name string, c, stride int, affine bool) (Block, error) {
			return NewPool(g, dt, name, c, stride, max, poolBN)
		}, nil
	case "skip_connect":
		return func(g *G.ExprGraph, dt tensor.Dtype, name string, c, stride int, affine bool) (Block, error) {
			if stride == 1 {
				return &Identity{}, nil
			}
			return NewFactorizedReduce(g, dt, name, c, c, affine)
		}, nil
	case "sep_conv_3x3", "sep_conv_5x5", "sep_conv_7x7":
		k := int(opName[len(opName)-1] - '0')
		return func(g *G.ExprGraph, dt tensor.Dtype, name string, c, stride int, affine bool) (Block, error) {
			return NewSepConv(g, dt, name, c, c, k, stride, k/2, affine)
		}, nil
	case "dil_conv_3x3", "dil_conv_5x5":
		k := int(opName[len(opName)-1] - '0')
		return func(g *G.ExprGraph, dt tensor.Dtype, name string, c, stride int, affine bool) (Block, error) {
			return NewDilConv(g, dt, name, c, c, k, stride, k/2*2, 2, affine)
		}, nil
	}
	return nil, fmt.Errorf("nn: DARTS op %q has no implementation (known: %s)", opName, strings.Join(DARTSOps, ", "))
}
