package nn

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/op"
	"github.com/nasx/nasx/internal/weights"
)

// Block is a Module that also owns a parameter registry with PyTorch's
// state_dict names, fills its learnables from a seeded generator (Init,
// separate from construction) and switches between training and evaluation
// (BatchNorm statistics, dropout).
type Block interface {
	Module
	// Params returns the block's learnables and buffers under the names the
	// equivalent torch module's state_dict uses.
	Params() *Params
	// Init fills the learnables as torch's default initialisation does,
	// drawing from rng in registration order.
	Init(rng *rand.Rand) error
	// SetTraining selects training (batch statistics, random masks) or
	// evaluation mode for every stateful op of the block.
	SetTraining(training bool)
}

// children is an ordered list of sub-blocks; it implements Init,
// SetTraining and Learnables for composite blocks.
type children []Block

func (cs children) Init(rng *rand.Rand) error {
	for _, c := range cs {
		if err := c.Init(rng); err != nil {
			return err
		}
	}
	return nil
}

func (cs children) SetTraining(training bool) {
	for _, c := range cs {
		c.SetTraining(training)
	}
}

// MultAdds sums the multiply-adds of the children that count them.
func (cs children) MultAdds() int64 {
	var n int64
	for _, c := range cs {
		if m, ok := c.(MultAdder); ok {
			n += m.MultAdds()
		}
	}
	return n
}

// MultAdder is a block that reports the multiply-adds of one sample through
// its last built forward pass. nasx counts convolutions and linear layers
// only (the DARTS/NAS convention: BN, activations, pools and additions are
// not counted): a convolution costs Cout·Hout·Wout·(Cin/groups)·K·K, a linear
// layer in·out. A block that was never applied reports 0.
type MultAdder interface {
	MultAdds() int64
}

// register adds each child's parameters under its prefix to p.
func register(p *Params, prefixes []string, cs []Block) error {
	for i, c := range cs {
		if err := p.AddModule(prefixes[i], c.Params()); err != nil {
			return err
		}
	}
	return nil
}

func checkDtype(dt tensor.Dtype, name string) error {
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return fmt.Errorf("nn: %s: dtype %v, want float32 or float64", name, dt)
	}
	return nil
}

// Conv2d is torch.nn.Conv2d: weight (Cout, Cin/groups, K, K) and an
// optional bias (Cout), initialised by DefaultLayer. With P.ReLU it computes
// conv(relu(x)), the fused form of DARTS' ReLU → Conv pairs.
type Conv2d struct {
	Weight, Bias *G.Node // Bias is nil without bias
	P            op.ConvParams
	params       Params
	macs         int64 // multiply-adds per sample of the latest Forward
}

var _ Block = (*Conv2d)(nil)

// NewConv2d returns a k×k convolution from cin to cout channels named name
// (the weight node is name+".weight"). cin and cout must be divisible by
// p.Groups (0 means 1).
func NewConv2d(g *G.ExprGraph, dt tensor.Dtype, name string, cin, cout, k int, p op.ConvParams, bias bool) (*Conv2d, error) {
	if p.Groups == 0 {
		p.Groups = 1
	}
	if cin <= 0 || cout <= 0 || k <= 0 || cin%p.Groups != 0 || cout%p.Groups != 0 {
		return nil, fmt.Errorf("nn: conv %q: cin %d, cout %d, kernel %d, groups %d: want positive sizes divisible by groups",
			name, cin, cout, k, p.Groups)
	}
	w, err := NewLearnable(g, dt, name+".weight", cout, cin/p.Groups, k, k)
	if err != nil {
		return nil, err
	}
	c := &Conv2d{Weight: w, P: p}
	if err := c.params.AddLearnable("weight", w); err != nil {
		return nil, err
	}
	if bias {
		if c.Bias, err = NewLearnable(g, dt, name+".bias", cout); err != nil {
			return nil, err
		}
		if err := c.params.AddLearnable("bias", c.Bias); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Forward applies the convolution.
func (c *Conv2d) Forward(x *G.Node) (*G.Node, error) {
	y, err := op.Conv2d(x, c.Weight, c.Bias, c.P)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Weight.Name(), err)
	}
	ws, ys := c.Weight.Shape(), y.Shape()
	c.macs = int64(ws[0]) * int64(ys[2]*ys[3]) * int64(ws[1]*ws[2]*ws[3])
	return y, nil
}

// MultAdds returns Cout·Hout·Wout·(Cin/groups)·K·K for the latest Forward.
func (c *Conv2d) MultAdds() int64 { return c.macs }

// Learnables returns the weight and the bias (if any).
func (c *Conv2d) Learnables() G.Nodes { return c.params.Learnables() }

// Params returns "weight" and, with bias, "bias".
func (c *Conv2d) Params() *Params { return &c.params }

// Init draws the weight and the bias as torch's _ConvNd.reset_parameters.
func (c *Conv2d) Init(rng *rand.Rand) error { return initLayer(c.Weight, c.Bias, rng) }

// SetTraining does nothing: a convolution has no mode.
func (c *Conv2d) SetTraining(bool) {}

// initLayer fills weight and bias (which may be nil) with DefaultLayer.
func initLayer(w, b *G.Node, rng *rand.Rand) error {
	shape := []int(w.Shape())
	switch w.Dtype() {
	case tensor.Float32:
		wd, err := Data[float32](w)
		if err != nil {
			return err
		}
		var bd []float32
		if b != nil {
			if bd, err = Data[float32](b); err != nil {
				return err
			}
		}
		return DefaultLayer(wd, bd, shape, rng)
	default:
		wd, err := Data[float64](w)
		if err != nil {
			return err
		}
		var bd []float64
		if b != nil {
			if bd, err = Data[float64](b); err != nil {
				return err
			}
		}
		return DefaultLayer(wd, bd, shape, rng)
	}
}

// fillConst sets every element of n to v.
func fillConst(n *G.Node, v float64) error {
	if n.Dtype() == tensor.Float32 {
		d, err := Data[float32](n)
		if err != nil {
			return err
		}
		Constant(d, v)
		return nil
	}
	d, err := Data[float64](n)
	if err != nil {
		return err
	}
	Constant(d, v)
	return nil
}

// Linear is torch.nn.Linear: weight (out, in) and bias (out).
type Linear struct {
	Weight, Bias *G.Node
	params       Params
}

var _ Block = (*Linear)(nil)

// NewLinear returns a fully connected layer from in to out features.
func NewLinear(g *G.ExprGraph, dt tensor.Dtype, name string, in, out int) (*Linear, error) {
	w, err := NewLearnable(g, dt, name+".weight", out, in)
	if err != nil {
		return nil, err
	}
	b, err := NewLearnable(g, dt, name+".bias", out)
	if err != nil {
		return nil, err
	}
	l := &Linear{Weight: w, Bias: b}
	if err := l.params.AddLearnable("weight", w); err != nil {
		return nil, err
	}
	if err := l.params.AddLearnable("bias", b); err != nil {
		return nil, err
	}
	return l, nil
}

// Forward applies x·Wᵀ + b to x (N, in).
func (l *Linear) Forward(x *G.Node) (*G.Node, error) {
	y, err := op.Linear(x, l.Weight, l.Bias)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.Weight.Name(), err)
	}
	return y, nil
}

// MultAdds returns in·out.
func (l *Linear) MultAdds() int64 {
	s := l.Weight.Shape()
	return int64(s[0] * s[1])
}

// Learnables returns the weight and the bias.
func (l *Linear) Learnables() G.Nodes { return l.params.Learnables() }

// Params returns "weight" and "bias".
func (l *Linear) Params() *Params { return &l.params }

// Init draws the weight and bias as torch's Linear.reset_parameters.
func (l *Linear) Init(rng *rand.Rand) error { return initLayer(l.Weight, l.Bias, rng) }

// SetTraining does nothing: a linear layer has no mode.
func (l *Linear) SetTraining(bool) {}

// BatchNorm is torch.nn.BatchNorm2d with track_running_stats=True: an
// op.BatchNorm2d plus, when affine, the learnable weight (init 1) and bias
// (init 0). Its registry holds weight, bias (affine only), running_mean,
// running_var and num_batches_tracked, as torch's state_dict.
type BatchNorm struct {
	Op           *op.BatchNorm2d
	Weight, Bias *G.Node // nil unless affine
	params       Params
}

var _ Block = (*BatchNorm)(nil)

// NewBatchNorm returns a BatchNorm2d over c channels with torch's eps 1e-5
// and momentum 0.1.
func NewBatchNorm(g *G.ExprGraph, dt tensor.Dtype, name string, c int, affine bool) (*BatchNorm, error) {
	if err := checkDtype(dt, name); err != nil {
		return nil, err
	}
	bnop, err := op.NewBatchNorm2d(c, op.BatchNormConfig{Affine: affine})
	if err != nil {
		return nil, fmt.Errorf("nn: batchnorm %q: %w", name, err)
	}
	bn := &BatchNorm{Op: bnop}
	if affine {
		if bn.Weight, err = NewLearnable(g, dt, name+".weight", c); err != nil {
			return nil, err
		}
		if bn.Bias, err = NewLearnable(g, dt, name+".bias", c); err != nil {
			return nil, err
		}
		if err := bn.params.AddLearnable("weight", bn.Weight); err != nil {
			return nil, err
		}
		if err := bn.params.AddLearnable("bias", bn.Bias); err != nil {
			return nil, err
		}
		if err := fillConst(bn.Weight, 1); err != nil {
			return nil, err
		}
	}
	for i, key := range []string{"running_mean", "running_var", "num_batches_tracked"} {
		if err := bn.params.AddBuffer(key, bn.buffer(dt, i)); err != nil {
			return nil, err
		}
	}
	return bn, nil
}

// buffer returns the BufferValue of running_mean (i=0), running_var (1) or
// num_batches_tracked (2), read from and written to the op.
func (bn *BatchNorm) buffer(dt tensor.Dtype, i int) FuncBuffer {
	get := func() ([3]*tensor.Dense, error) {
		m, v, n, err := bn.Op.Buffers(dt)
		return [3]*tensor.Dense{m, v, n}, err
	}
	return FuncBuffer{
		Get: func() weights.Tensor {
			bufs, err := get()
			if err != nil { // dt was checked at construction; Buffers cannot fail then
				panic(err)
			}
			return DenseBuffer{T: bufs[i]}.State()
		},
		Set: func(t weights.Tensor) error {
			bufs, err := get()
			if err != nil {
				return err
			}
			if err := (DenseBuffer{T: bufs[i]}).Load(t); err != nil {
				return err
			}
			return bn.Op.SetBuffers(bufs[0], bufs[1], bufs[2])
		},
		// The op keeps the statistics in float64 even in a float32 network:
		// snapshot them at that precision. (Each of the three buffers
		// restores all three; restoring is idempotent.)
		Snap: func() func() error {
			m, v, n := bn.Op.RunningStats()
			return func() error { return bn.Op.SetRunningStats(m, v, n) }
		},
	}
}

// Forward normalises x (N, C, H, W).
func (bn *BatchNorm) Forward(x *G.Node) (*G.Node, error) { return bn.Op.Apply(x, bn.Weight, bn.Bias) }

// Learnables returns weight and bias when affine, else nothing.
func (bn *BatchNorm) Learnables() G.Nodes { return bn.params.Learnables() }

// Params returns the affine parameters and the running statistics.
func (bn *BatchNorm) Params() *Params { return &bn.params }

// Init sets weight to 1 and bias to 0 (torch's reset_parameters) and resets
// the running statistics to mean 0, variance 1, no batches; it draws nothing.
func (bn *BatchNorm) Init(*rand.Rand) error {
	if bn.Weight != nil {
		if err := fillConst(bn.Weight, 1); err != nil {
			return err
		}
		if err := fillConst(bn.Bias, 0); err != nil {
			return err
		}
	}
	c := bn.Op.Channels()
	mean, variance := make([]float64, c), make([]float64, c)
	for i := range variance {
		variance[i] = 1
	}
	return bn.Op.SetRunningStats(mean, variance, 0)
}

// SetTraining selects batch statistics (true) or running statistics.
func (bn *BatchNorm) SetTraining(training bool) { bn.Op.SetTraining(training) }
