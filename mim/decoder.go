package mim

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/nn"
	"github.com/nasx/nasx/internal/op"
	"github.com/nasx/nasx/internal/weights"
)

// ScaleRatio is the widening of the decoder's inter_conv (α-DARTS
// Decoder(scale_ratio=4)).
const ScaleRatio = 4

// DecoderConfig configures the reconstruction decoder.
type DecoderConfig struct {
	// C is the number of input channels, the supernet's last cell output
	// (4·4·C = 256 for C=16). It must be a multiple of 4 and > 0.
	C int
	// Lo and Hi are the output clamp, the dataset's normalised pixel range
	// (CIFAR-10 (-1.99, 2.13), CIFAR-100 (-1.9, 2.03): train_search.py
	// DATA_STATS). Lo must be < Hi.
	Lo, Hi float64
	// Dtype is tensor.Float32 or tensor.Float64.
	Dtype tensor.Dtype
}

// Decoder is α-DARTS' reconstruction decoder (SD@d525eed model_search.py
// Decoder): inter_conv = Conv3×3(C→4C) → Conv1×1(4C→C); decoder =
// Conv3×3(C→C) → BN → ReLU → ConvT4×4/2(C→C/2) → BN → ReLU →
// Conv3×3(C/2→C/2) → BN → ReLU → ConvT4×4/2(C/2→C/4) → BN → ReLU →
// Conv3×3(C/4→3) → Hardtanh(Lo, Hi). It upsamples by 4 (8×8 → 32×32).
// Convolutions have biases and BNs are affine. Its state-dict names are
// torch's: inter_conv.0.weight, ..., decoder.12.bias.
type Decoder struct {
	cfg    DecoderConfig
	params nn.Params
	convs  []decConv // in forward order
}

// decConv is one convolution of the decoder, optionally followed by BN+ReLU.
type decConv struct {
	w, b       *G.Node
	transposed bool
	pad        int
	bn         *op.BatchNorm2d
	bnW, bnB   *G.Node
}

var _ nn.Module = (*Decoder)(nil)

// NewDecoder allocates the decoder's learnables in g, named name + "." +
// torch's names. Call Init to fill them.
func NewDecoder(g *G.ExprGraph, name string, cfg DecoderConfig) (*Decoder, error) {
	if cfg.C <= 0 || cfg.C%4 != 0 {
		return nil, fmt.Errorf("mim: decoder: channels: got %d, want a positive multiple of 4", cfg.C)
	}
	if !(cfg.Lo < cfg.Hi) {
		return nil, fmt.Errorf("mim: decoder: clamp range (%v, %v): want lo < hi", cfg.Lo, cfg.Hi)
	}
	d := &Decoder{cfg: cfg}
	C := cfg.C
	type spec struct {
		key        string
		ci, co, k  int
		transposed bool
		pad        int
		bnKey      string
	}
	specs := []spec{
		{"inter_conv.0", C, ScaleRatio * C, 3, false, 1, ""},
		{"inter_conv.1", ScaleRatio * C, C, 1, false, 0, ""},
		{"decoder.0", C, C, 3, false, 1, "decoder.1"},
		{"decoder.3", C, C / 2, 4, true, 1, "decoder.4"},
		{"decoder.6", C / 2, C / 2, 3, false, 1, "decoder.7"},
		{"decoder.9", C / 2, C / 4, 4, true, 1, "decoder.10"},
		{"decoder.12", C / 4, 3, 3, false, 1, ""},
	}
	for _, s := range specs {
		shape := []int{s.co, s.ci, s.k, s.k}
		if s.transposed { // torch ConvTranspose2d weight: (in, out/groups, k, k)
			shape = []int{s.ci, s.co, s.k, s.k}
		}
		c := decConv{transposed: s.transposed, pad: s.pad}
		var err error
		if c.w, err = d.learnable(g, name, s.key+".weight", shape...); err != nil {
			return nil, err
		}
		if c.b, err = d.learnable(g, name, s.key+".bias", s.co); err != nil {
			return nil, err
		}
		if s.bnKey != "" {
			if c.bn, c.bnW, c.bnB, err = addBN(g, &d.params, name, s.bnKey, s.co, cfg.Dtype, true); err != nil {
				return nil, err
			}
		}
		d.convs = append(d.convs, c)
	}
	return d, nil
}

func (d *Decoder) learnable(g *G.ExprGraph, prefix, key string, shape ...int) (*G.Node, error) {
	n, err := nn.NewLearnable(g, d.cfg.Dtype, prefix+"."+key, shape...)
	if err != nil {
		return nil, fmt.Errorf("mim: decoder %s: %w", key, err)
	}
	if err := d.params.AddLearnable(key, n); err != nil {
		return nil, fmt.Errorf("mim: decoder %s: %w", key, err)
	}
	return n, nil
}

// addBN allocates a BatchNorm2d of c channels registered under key in p
// (weight, bias if affine, then torch's three buffers).
func addBN(g *G.ExprGraph, p *nn.Params, prefix, key string, c int, dt tensor.Dtype, affine bool) (*op.BatchNorm2d, *G.Node, *G.Node, error) {
	bn, err := op.NewBatchNorm2d(c, op.BatchNormConfig{Affine: affine})
	if err != nil {
		return nil, nil, nil, err
	}
	var w, b *G.Node
	if affine {
		if w, err = nn.NewLearnable(g, dt, prefix+"."+key+".weight", c); err != nil {
			return nil, nil, nil, err
		}
		if b, err = nn.NewLearnable(g, dt, prefix+"."+key+".bias", c); err != nil {
			return nil, nil, nil, err
		}
		if err := p.AddLearnable(key+".weight", w); err != nil {
			return nil, nil, nil, err
		}
		if err := p.AddLearnable(key+".bias", b); err != nil {
			return nil, nil, nil, err
		}
	}
	for i, bufName := range []string{op.BufferRunningMean, op.BufferRunningVar, op.BufferNumBatchesTracked} {
		i := i
		buf := nn.FuncBuffer{
			Get: func() weights.Tensor {
				m, v, nb, _ := bn.Buffers(dt)
				switch i {
				case 0:
					return weights.Tensor{Shape: []int{c}, Data: m.Data()}
				case 1:
					return weights.Tensor{Shape: []int{c}, Data: v.Data()}
				}
				return weights.Tensor{Shape: []int{}, Data: []int64{nb.Data().(int64)}}
			},
			Set: func(t weights.Tensor) error {
				m, v, nb, err := bn.Buffers(dt)
				if err != nil {
					return err
				}
				var d *tensor.Dense
				if i < 2 {
					d = tensor.New(tensor.WithShape(t.Shape...), tensor.WithBacking(t.Data))
				} else {
					n, ok := t.Data.([]int64)
					if !ok || len(n) != 1 {
						return fmt.Errorf("num_batches_tracked: want one int64, got %T", t.Data)
					}
					d = tensor.New(tensor.FromScalar(n[0]))
				}
				switch i {
				case 0:
					m = d
				case 1:
					v = d
				default:
					nb = d
				}
				return bn.SetBuffers(m, v, nb)
			},
		}
		if err := p.AddBuffer(key+"."+bufName, buf); err != nil {
			return nil, nil, nil, err
		}
	}
	return bn, w, b, nil
}

// Init fills the weights as torch's default initialisation (Conv/ConvT
// reset_parameters; BN weight 1, bias 0), in state-dict order.
func (d *Decoder) Init(rng *rand.Rand) error {
	for _, c := range d.convs {
		if err := initLayer(c.w, c.b, rng); err != nil {
			return err
		}
		if c.bn != nil {
			if err := fill(c.bnW, 1); err != nil {
				return err
			}
			if err := fill(c.bnB, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

func initLayer(w, b *G.Node, rng *rand.Rand) error {
	shape := []int(w.Shape())
	if w.Dtype() == tensor.Float32 {
		wd, err := nn.Data[float32](w)
		if err != nil {
			return err
		}
		bd, err := nn.Data[float32](b)
		if err != nil {
			return err
		}
		return nn.DefaultLayer(wd, bd, shape, rng)
	}
	wd, err := nn.Data[float64](w)
	if err != nil {
		return err
	}
	bd, err := nn.Data[float64](b)
	if err != nil {
		return err
	}
	return nn.DefaultLayer(wd, bd, shape, rng)
}

func fill(n *G.Node, v float64) error {
	if n.Dtype() == tensor.Float32 {
		d, err := nn.Data[float32](n)
		if err != nil {
			return err
		}
		nn.Constant(d, v)
		return nil
	}
	d, err := nn.Data[float64](n)
	if err != nil {
		return err
	}
	nn.Constant(d, v)
	return nil
}

// Params returns the decoder's state-dict registry (names without prefix).
func (d *Decoder) Params() *nn.Params { return &d.params }

// Learnables returns the learnable nodes in state-dict order.
func (d *Decoder) Learnables() G.Nodes { return d.params.Learnables() }

// Forward returns the reconstruction (N, 3, 4H, 4W) of the features x
// (N, C, H, W), clamped to [Lo, Hi].
func (d *Decoder) Forward(x *G.Node) (*G.Node, error) {
	var err error
	for i, c := range d.convs {
		if c.transposed {
			x, err = op.ConvTranspose2d(x, c.w, c.b, op.ConvTransposeParams{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}})
		} else {
			x, err = op.Conv2d(x, c.w, c.b, op.ConvParams{Padding: [2]int{c.pad, c.pad}})
		}
		if err != nil {
			return nil, fmt.Errorf("mim: decoder conv %d: %w", i, err)
		}
		if c.bn != nil {
			if x, err = c.bn.Apply(x, c.bnW, c.bnB); err != nil {
				return nil, fmt.Errorf("mim: decoder bn %d: %w", i, err)
			}
			if x, err = op.ReLU(x); err != nil {
				return nil, fmt.Errorf("mim: decoder relu %d: %w", i, err)
			}
		}
	}
	if x, err = op.Hardtanh(x, d.cfg.Lo, d.cfg.Hi); err != nil {
		return nil, fmt.Errorf("mim: decoder clamp: %w", err)
	}
	return x, nil
}

// SetTraining switches the decoder's BatchNorms between batch statistics
// (training) and running statistics (eval).
func (d *Decoder) SetTraining(training bool) {
	for _, c := range d.convs {
		if c.bn != nil {
			c.bn.SetTraining(training)
		}
	}
}

// BatchNorms returns the decoder's BatchNorm ops in forward order.
func (d *Decoder) BatchNorms() []*op.BatchNorm2d {
	var out []*op.BatchNorm2d
	for _, c := range d.convs {
		if c.bn != nil {
			out = append(out, c.bn)
		}
	}
	return out
}
