package nn

import (
	"fmt"
	"math/rand/v2"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/op"
)

// The NAS-Bench-201 operations of xautodl/models/cell_operations.py
// (https://github.com/D-X-Y/AutoDL-Projects/blob/f46486e21b71ae6459a700be720d7648b5429569/xautodl/models/cell_operations.py)
// (ReLUConvBN, ResNetBasicblock, POOLING, Identity, Zero), with their
// state_dict names.

// NewNB201ReLUConvBN returns NAS-Bench-201's ReLUConvBN(cin, cout, k,
// stride, pad, dilation 1, affine): unlike DARTS' block its conv has a bias
// exactly when the BN is not affine (bias=not affine in cell_operations.py).
// Parameters: op.1.weight (and op.1.bias when not affine), op.2.*.
func NewNB201ReLUConvBN(g *G.ExprGraph, dt tensor.Dtype, name string, cin, cout, k, stride, pad int, affine bool) (*ReLUConvBN, error) {
	return newReLUConvBN(g, dt, name, cin, cout, k, stride, pad, affine, !affine)
}

// ResNetBasicblock is NAS-Bench-201's residual reduction block (algorithms.md
// F): conv_a = ReLUConvBN(3×3, stride), conv_b = ReLUConvBN(3×3, 1), and a
// residual that is AvgPool2d(2, 2) → Conv1×1 (no bias, no BN) at stride 2,
// ReLUConvBN(1×1) when only the width changes, or x itself. Parameters:
// conv_a.*, conv_b.*, downsample.1.weight (stride 2) or downsample.op.*.
type ResNetBasicblock struct {
	ConvA, ConvB *ReLUConvBN
	// Down is the residual path's conv: a *Conv2d after a 2×2 average pool
	// (stride 2), a *ReLUConvBN (same size, other width) or nil (identity).
	Down   Block
	pool   bool
	params Params
	children
}

var _ Block = (*ResNetBasicblock)(nil)

// NewResNetBasicblock returns ResNetBasicblock(cin, cout, stride, affine);
// stride is 1 or 2.
func NewResNetBasicblock(g *G.ExprGraph, dt tensor.Dtype, name string, cin, cout, stride int, affine bool) (*ResNetBasicblock, error) {
	if stride != 1 && stride != 2 {
		return nil, fmt.Errorf("nn: resnet block %q: stride %d, want 1 or 2", name, stride)
	}
	a, err := NewNB201ReLUConvBN(g, dt, name+".conv_a", cin, cout, 3, stride, 1, affine)
	if err != nil {
		return nil, err
	}
	b, err := NewNB201ReLUConvBN(g, dt, name+".conv_b", cout, cout, 3, 1, 1, affine)
	if err != nil {
		return nil, err
	}
	r := &ResNetBasicblock{ConvA: a, ConvB: b, children: children{a, b}}
	prefixes := []string{"conv_a", "conv_b"}
	switch {
	case stride == 2:
		conv, err := NewConv2d(g, dt, name+".downsample.1", cin, cout, 1, op.ConvParams{}, false)
		if err != nil {
			return nil, err
		}
		r.Down, r.pool = conv, true
		prefixes = append(prefixes, "downsample.1")
	case cin != cout:
		rcb, err := NewNB201ReLUConvBN(g, dt, name+".downsample", cin, cout, 1, 1, 0, affine)
		if err != nil {
			return nil, err
		}
		r.Down = rcb
		prefixes = append(prefixes, "downsample")
	}
	if r.Down != nil {
		r.children = append(r.children, r.Down)
	}
	return r, register(&r.params, prefixes, r.children)
}

// Forward returns residual(x) + conv_b(conv_a(x)).
func (r *ResNetBasicblock) Forward(x *G.Node) (*G.Node, error) {
	y, err := chain(x, r.ConvA, r.ConvB)
	if err != nil {
		return nil, err
	}
	res := x
	if r.pool {
		if res, err = op.AvgPool2d(res, op.PoolParams{Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}, true); err != nil {
			return nil, fmt.Errorf("resnet block downsample: %w", err)
		}
	}
	if r.Down != nil {
		if res, err = r.Down.Forward(res); err != nil {
			return nil, err
		}
	}
	return G.Add(res, y)
}

// Learnables returns the block's learnables in registry order.
func (r *ResNetBasicblock) Learnables() G.Nodes { return r.params.Learnables() }

// Params returns conv_a.*, conv_b.* and the residual's parameters.
func (r *ResNetBasicblock) Params() *Params { return &r.params }

// Init initialises conv_a, conv_b and the residual conv, in that order (the
// order of torch's module registration).
func (r *ResNetBasicblock) Init(rng *rand.Rand) error { return r.children.Init(rng) }

// NB201Ops lists the NAS-Bench-201 candidate ops in the benchmark's order.
var NB201Ops = []string{"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"}

// NB201Op returns the builder of the NAS-Bench-201 op named name (cells use
// the same width in and out, stride 1). An unknown name is an error.
func NB201Op(opName string) (OpFunc, error) {
	switch opName {
	case "none":
		return func(g *G.ExprGraph, dt tensor.Dtype, name string, c, stride int, affine bool) (Block, error) {
			return &Zero{Stride: stride}, nil
		}, nil
	case "skip_connect":
		return func(g *G.ExprGraph, dt tensor.Dtype, name string, c, stride int, affine bool) (Block, error) {
			if stride != 1 { // NB201 cells only use stride 1; xautodl's stride-2 skip differs from DARTS'
				return nil, fmt.Errorf("nn: NAS-Bench-201 op skip_connect at %q: stride %d, want 1", name, stride)
			}
			return &Identity{}, nil
		}, nil
	case "nor_conv_1x1", "nor_conv_3x3":
		k := int(opName[len(opName)-1] - '0')
		return func(g *G.ExprGraph, dt tensor.Dtype, name string, c, stride int, affine bool) (Block, error) {
			return NewNB201ReLUConvBN(g, dt, name, c, c, k, stride, k/2, affine)
		}, nil
	case "avg_pool_3x3":
		return func(g *G.ExprGraph, dt tensor.Dtype, name string, c, stride int, affine bool) (Block, error) {
			return NewPool(g, dt, name, c, stride, false, false)
		}, nil
	}
	return nil, fmt.Errorf("nn: NAS-Bench-201 op %q has no implementation (known: %s)", opName, strings.Join(NB201Ops, ", "))
}
