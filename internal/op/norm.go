package op

import (
	"fmt"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/kernel"
)

// PyTorch's names for the buffers of a BatchNorm2d in a state_dict.
const (
	BufferRunningMean       = "running_mean"
	BufferRunningVar        = "running_var"
	BufferNumBatchesTracked = "num_batches_tracked"
)

// BatchNormConfig holds the hyper-parameters of a BatchNorm2d. Zero values take PyTorch's defaults.
type BatchNormConfig struct {
	// Eps is added to the variance (torch default 1e-5).
	Eps float64
	// Momentum is the weight of the new batch statistic in the running averages (torch default 0.1).
	Momentum float64
	// Affine adds the learnable per-channel weight and bias (torch's affine=True).
	Affine bool
}

// BatchNorm2d is one batch normalisation layer over the channels of (N, C, H, W) tensors, with PyTorch's
// semantics: in training it normalises with the batch mean and the biased batch variance and updates the
// running mean and the running (unbiased) variance with the momentum; in evaluation it normalises with the
// running statistics. Every instance has a unique id, so two layers on the same input never merge.
//
// The mode is switched by SetTraining. Building a TapeMachine also sets it, for every layer in the graph
// (training, or evaluation with gorgonia.EvalMode()); when a training and an evaluation machine share one
// graph, the last one built wins, so call SetTraining before running the other. The running statistics are kept in float64 and are read and restored through RunningStats and
// SetRunningStats for checkpoints (the buffers named BufferRunningMean, BufferRunningVar and
// BufferNumBatchesTracked in a PyTorch state_dict).
//
// The backward pass is stateless in training: it recomputes the batch statistics from x.
type BatchNorm2d struct {
	id  uint64
	c   int
	cfg BatchNormConfig

	mu         sync.Mutex
	training   bool
	runMean    []float64
	runVar     []float64
	numBatches int64
}

// NewBatchNorm2d returns a layer for c channels in training mode, with running mean 0 and running variance 1
// as in PyTorch.
func NewBatchNorm2d(c int, cfg BatchNormConfig) (*BatchNorm2d, error) {
	if cfg.Eps == 0 {
		cfg.Eps = 1e-5
	}
	if cfg.Momentum == 0 {
		cfg.Momentum = 0.1
	}
	if c <= 0 || cfg.Eps < 0 || cfg.Momentum < 0 || cfg.Momentum > 1 {
		return nil, fmt.Errorf("op BatchNorm2d: channels %d, eps %v, momentum %v: want channels > 0, eps >= 0, momentum in [0, 1]", c, cfg.Eps, cfg.Momentum)
	}
	bn := &BatchNorm2d{id: nextID(), c: c, cfg: cfg, training: true, runMean: make([]float64, c), runVar: make([]float64, c)}
	for i := range bn.runVar {
		bn.runVar[i] = 1
	}
	return bn, nil
}

// Channels returns the number of channels C.
func (bn *BatchNorm2d) Channels() int { return bn.c }

// Config returns the layer's hyper-parameters.
func (bn *BatchNorm2d) Config() BatchNormConfig { return bn.cfg }

// SetTraining selects batch statistics (true) or running statistics (false).
func (bn *BatchNorm2d) SetTraining(training bool) {
	bn.mu.Lock()
	bn.training = training
	bn.mu.Unlock()
}

// Training reports the current mode.
func (bn *BatchNorm2d) Training() bool {
	bn.mu.Lock()
	defer bn.mu.Unlock()
	return bn.training
}

// RunningStats returns copies of the running mean, the running variance and the number of batches seen in
// training.
func (bn *BatchNorm2d) RunningStats() (mean, variance []float64, numBatches int64) {
	bn.mu.Lock()
	defer bn.mu.Unlock()
	return append([]float64(nil), bn.runMean...), append([]float64(nil), bn.runVar...), bn.numBatches
}

// SetRunningStats restores the running statistics, e.g. from a checkpoint. mean and variance must have one
// entry per channel and the variances must be non-negative.
func (bn *BatchNorm2d) SetRunningStats(mean, variance []float64, numBatches int64) error {
	if len(mean) != bn.c || len(variance) != bn.c {
		return fmt.Errorf("op %s: running stats of length %d and %d, want %d (one per channel)", bn.name(), len(mean), len(variance), bn.c)
	}
	for i, v := range variance {
		if !(v >= 0) {
			return fmt.Errorf("op %s: %s[%d] = %v, want >= 0", bn.name(), BufferRunningVar, i, v)
		}
	}
	bn.mu.Lock()
	defer bn.mu.Unlock()
	copy(bn.runMean, mean)
	copy(bn.runVar, variance)
	bn.numBatches = numBatches
	return nil
}

func (bn *BatchNorm2d) name() string {
	return describe("BatchNorm2d", bn.id, bn.c, bn.cfg.Eps, bn.cfg.Momentum, bn.cfg.Affine)
}

// Apply normalises x (N, C, H, W). weight and bias are (C) vectors when the layer is affine and must be nil
// otherwise. Applying one layer several times (to one input or to several) shares its running statistics and
// updates them once per application and step, as calling a torch module twice does.
func (bn *BatchNorm2d) Apply(x, weight, bias *G.Node) (*G.Node, error) {
	name := bn.name()
	if x.Dims() != 4 {
		return nil, shapeErrorf(name, "x has shape %v, want (N, C, H, W)", x.Shape())
	}
	if x.Shape()[1] != bn.c {
		return nil, shapeErrorf(name, "x has %d channels (shape %v), want %d", x.Shape()[1], x.Shape(), bn.c)
	}
	if (weight != nil || bias != nil) != bn.cfg.Affine || (bn.cfg.Affine && (weight == nil || bias == nil)) {
		return nil, fmt.Errorf("op %s: affine %v: weight and bias must both be given exactly when affine", name, bn.cfg.Affine)
	}
	inputs := G.Nodes{x}
	if bn.cfg.Affine {
		for _, p := range []*G.Node{weight, bias} {
			if p.Dims() != 1 || p.Shape()[0] != bn.c {
				return nil, shapeErrorf(name, "weight/bias has shape %v, want (%d)", p.Shape(), bn.c)
			}
		}
		inputs = append(inputs, weight, bias)
	}
	// Each application is its own node (like a torch module called twice, it updates the running statistics
	// once per call), so the name carries an application id next to the layer's.
	o := &funcOp{name: describe("BatchNorm2d", bn.id, nextID(), bn.c, bn.cfg.Eps, bn.cfg.Momentum, bn.cfg.Affine),
		arity: len(inputs), shape: sameShape, training: bn.SetTraining}
	if bn.cfg.Affine {
		o.typ = fnType(t4, t1, t1, t4)
		o.diffWRT = []bool{true, true, true}
	} else {
		o.typ = fnType(t4, t4)
		o.diffWRT = []bool{true}
	}
	o.do = func(in []G.Value) (G.Value, error) {
		ds, dt, err := denseArgs(name, in)
		if err != nil {
			return nil, err
		}
		var y *tensor.Dense
		byDtype(dt, func() { y, err = bnForward[float32](bn, ds) }, func() { y, err = bnForward[float64](bn, ds) })
		return y, err
	}
	o.symDiff = func(in G.Nodes, _, grad *G.Node) (G.Nodes, error) { return bn.symDiff(in, grad) }
	return apply(o, inputs...)
}

// bnForward runs the forward pass on x [, weight, bias] and, in training, updates the running statistics.
func bnForward[T kernel.Float](bn *BatchNorm2d, ds []*tensor.Dense) (*tensor.Dense, error) {
	s := ds[0].Shape()
	n, c, hw := s[0], s[1], s[2]*s[3]
	if c != bn.c {
		return nil, shapeErrorf(bn.name(), "x has shape %v, want %d channels", s, bn.c)
	}
	var gamma, beta []T
	if len(ds) == 3 {
		gamma, beta = data[T](ds[1]), data[T](ds[2])
	}
	y := newOut(ds[0].Dtype(), s...)
	bn.mu.Lock()
	defer bn.mu.Unlock()
	if !bn.training {
		kernel.BatchNormApply(data[T](y), data[T](ds[0]), n, c, hw, bn.runMean, bn.runVar, gamma, beta, bn.cfg.Eps)
		return y, nil
	}
	m := n * hw
	if m < 2 {
		return nil, fmt.Errorf("op %s: x has shape %v: training needs more than 1 value per channel (torch raises too)", bn.name(), s)
	}
	mean, variance := make([]float64, c), make([]float64, c)
	kernel.BatchNormStats(mean, variance, data[T](ds[0]), n, c, hw)
	kernel.BatchNormApply(data[T](y), data[T](ds[0]), n, c, hw, mean, variance, gamma, beta, bn.cfg.Eps)
	mom := bn.cfg.Momentum
	unbias := float64(m) / float64(m-1)
	for i := range mean {
		bn.runMean[i] = (1-mom)*bn.runMean[i] + mom*mean[i]
		bn.runVar[i] = (1-mom)*bn.runVar[i] + mom*variance[i]*unbias
	}
	bn.numBatches++
	return y, nil
}

// symDiff builds dx (and dweight, dbias when affine) from x, the weight and dy. The backward ops read the
// layer's mode when they run: in training they recompute the batch statistics from x, in evaluation they use
// the running statistics.
func (bn *BatchNorm2d) symDiff(in G.Nodes, grad *G.Node) (G.Nodes, error) {
	affine := bn.cfg.Affine
	// which: 0 = dx (inputs x, [weight,] dy), 1 = dweight (x, dy), 2 = dbias (x, dy).
	mk := func(which int) *funcOp {
		b := &funcOp{name: describe("BatchNorm2dGrad", bn.id, which, bn.c, bn.cfg.Eps, affine)}
		switch {
		case which == 0 && affine:
			b.arity, b.typ, b.shape = 3, fnType(t4, t1, t4, t4), shapeOfInput(0)
		case which == 0:
			b.arity, b.typ, b.shape = 2, fnType(t4, t4, t4), shapeOfInput(0)
		default:
			b.arity, b.typ = 2, fnType(t4, t4, t1)
			b.shape = func(in []tensor.Shape) (tensor.Shape, error) { return tensor.Shape{in[0][1]}, nil }
		}
		b.do = func(vs []G.Value) (G.Value, error) {
			ds, dt, err := denseArgs(b.name, vs)
			if err != nil {
				return nil, err
			}
			var out *tensor.Dense
			byDtype(dt, func() { out = bnBackward[float32](bn, which, ds) }, func() { out = bnBackward[float64](bn, which, ds) })
			return out, nil
		}
		return b
	}
	if !affine {
		dx, err := apply(mk(0), in[0], grad)
		return G.Nodes{dx}, err
	}
	dx, err := apply(mk(0), in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	dw, err := apply(mk(1), in[0], grad)
	if err != nil {
		return nil, err
	}
	db, err := apply(mk(2), in[0], grad)
	return G.Nodes{dx, dw, db}, err
}

// bnBackward computes one gradient of the layer (which: 0 dx, 1 dweight, 2 dbias).
func bnBackward[T kernel.Float](bn *BatchNorm2d, which int, ds []*tensor.Dense) *tensor.Dense {
	x, dy := ds[0], ds[len(ds)-1]
	s := x.Shape()
	n, c, hw := s[0], s[1], s[2]*s[3]
	var gamma []T
	if len(ds) == 3 {
		gamma = data[T](ds[1])
	}
	training := bn.Training()
	if which == 2 { // dbias = Σ dy needs no statistics
		out := newOut(x.Dtype(), c)
		db := data[T](out)
		dys := data[T](dy)
		kernel.ParallelFor(c, func(lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				var s float64
				for i := 0; i < n; i++ {
					for _, v := range dys[(i*c+ch)*hw : (i*c+ch+1)*hw] {
						s += float64(v)
					}
				}
				db[ch] = T(s)
			}
		})
		return out
	}
	var mean, variance []float64 // nil in training: the kernel recomputes the batch statistics in its first pass
	if !training {
		mean, variance, _ = bn.RunningStats()
	}
	var dx, dgamma, dbeta []T
	var out *tensor.Dense
	switch which {
	case 0:
		out = newOut(x.Dtype(), s...)
		dx = data[T](out)
	case 1:
		out = newOut(x.Dtype(), c)
		dgamma = data[T](out)
	default:
		out = newOut(x.Dtype(), c)
		dbeta = data[T](out)
	}
	kernel.BatchNormBackward(dx, dgamma, dbeta, data[T](x), data[T](dy), n, c, hw, mean, variance, gamma, bn.cfg.Eps, training)
	return out
}

// LayerNorm normalises x (..., D) over its last axis with the biased variance and eps (PyTorch's default is
// 1e-5; the NAR transformer uses 1e-6), then applies the affine weight and bias (D). weight and bias may both be
// nil for no affine transform (elementwise_affine=False).
func LayerNorm(x, weight, bias *G.Node, eps float64) (*G.Node, error) {
	if x.Dims() < 1 || x.Shape()[x.Dims()-1] < 1 {
		return nil, shapeErrorf("LayerNorm", "x has shape %v, want (..., D) with D >= 1", x.Shape())
	}
	d := x.Shape()[x.Dims()-1]
	affine := weight != nil
	name := describe("LayerNorm", x.Dims(), d, eps, affine)
	if (weight == nil) != (bias == nil) {
		return nil, fmt.Errorf("op %s: give both weight and bias, or neither", name)
	}
	if !(eps >= 0) {
		return nil, fmt.Errorf("op %s: eps %v, want >= 0", name, eps)
	}
	inputs := G.Nodes{x}
	tx := tensorType(x.Dims())
	o := &funcOp{name: name, arity: 1, typ: fnType(tx, tx), shape: sameShape, diffWRT: []bool{true}}
	if affine {
		for _, p := range []*G.Node{weight, bias} {
			if p.Dims() != 1 || p.Shape()[0] != d {
				return nil, shapeErrorf(name, "weight/bias has shape %v, want (%d)", p.Shape(), d)
			}
		}
		inputs = append(inputs, weight, bias)
		o.arity, o.typ, o.diffWRT = 3, fnType(tx, t1, t1, tx), []bool{true, true, true}
	}
	o.do = func(in []G.Value) (G.Value, error) {
		ds, dt, err := denseArgs(name, in)
		if err != nil {
			return nil, err
		}
		rows, dd := leading(ds[0].Shape())
		if dd != d {
			return nil, shapeErrorf(name, "x has shape %v, want last dimension %d", ds[0].Shape(), d)
		}
		y := newOut(dt, ds[0].Shape()...)
		byDtype(dt, func() { lnForward[float32](y, ds, rows, d, eps) }, func() { lnForward[float64](y, ds, rows, d, eps) })
		return y, nil
	}
	o.symDiff = func(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		mk := func(which int) *funcOp {
			b := &funcOp{name: describe("LayerNormGrad", which, x.Dims(), d, eps, affine), arity: 2}
			switch {
			case which == 0 && affine:
				b.arity, b.typ, b.shape = 3, fnType(tx, t1, tx, tx), shapeOfInput(0)
			case which == 0:
				b.typ, b.shape = fnType(tx, tx, tx), shapeOfInput(0)
			default:
				b.typ = fnType(tx, tx, t1)
				b.shape = func([]tensor.Shape) (tensor.Shape, error) { return tensor.Shape{d}, nil }
			}
			b.do = func(vs []G.Value) (G.Value, error) {
				ds, dt, err := denseArgs(b.name, vs)
				if err != nil {
					return nil, err
				}
				xv, dy := ds[0], ds[len(ds)-1]
				rows, _ := leading(xv.Shape())
				var out *tensor.Dense
				if which == 0 {
					out = newOut(dt, xv.Shape()...)
				} else {
					out = newOut(dt, d)
				}
				byDtype(dt, func() { lnBackward[float32](out, which, ds, xv, dy, rows, d, eps) },
					func() { lnBackward[float64](out, which, ds, xv, dy, rows, d, eps) })
				return out, nil
			}
			return b
		}
		if !affine {
			dx, err := apply(mk(0), in[0], grad)
			return G.Nodes{dx}, err
		}
		dx, err := apply(mk(0), in[0], in[1], grad)
		if err != nil {
			return nil, err
		}
		dw, err := apply(mk(1), in[0], grad)
		if err != nil {
			return nil, err
		}
		db, err := columnSums(grad, d) // dbias = Σ_rows dy needs no statistics
		return G.Nodes{dx, dw, db}, err
	}
	return apply(o, inputs...)
}

func lnForward[T kernel.Float](y *tensor.Dense, ds []*tensor.Dense, rows, d int, eps float64) {
	var w, b []T
	if len(ds) == 3 {
		w, b = data[T](ds[1]), data[T](ds[2])
	}
	kernel.LayerNorm(data[T](y), data[T](ds[0]), rows, d, w, b, eps, nil, nil)
}

func lnBackward[T kernel.Float](out *tensor.Dense, which int, ds []*tensor.Dense, x, dy *tensor.Dense, rows, d int, eps float64) {
	var w []T
	if len(ds) == 3 {
		w = data[T](ds[1])
	}
	o := data[T](out)
	switch which {
	case 0:
		kernel.LayerNormBackward(o, nil, nil, data[T](x), data[T](dy), rows, d, w, eps)
	default:
		kernel.LayerNormBackward(nil, o, nil, data[T](x), data[T](dy), rows, d, w, eps)
	}
}

// Buffers returns the running statistics as PyTorch stores them in a state_dict: running_mean and running_var
// as (C) tensors of dtype dt (float32 or float64; torch keeps them in the parameters' dtype) and
// num_batches_tracked as an int64 scalar tensor. The tensors are copies.
func (bn *BatchNorm2d) Buffers(dt tensor.Dtype) (runningMean, runningVar, numBatchesTracked *tensor.Dense, err error) {
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, nil, nil, fmt.Errorf("op %s: buffers of dtype %v: %w (want float32 or float64)", bn.name(), dt, ErrDtype)
	}
	mean, variance, nb := bn.RunningStats()
	conv := func(v []float64) *tensor.Dense {
		if dt == tensor.Float64 {
			return tensor.New(tensor.WithShape(len(v)), tensor.WithBacking(v))
		}
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(len(v)), tensor.WithBacking(f))
	}
	return conv(mean), conv(variance), tensor.New(tensor.FromScalar(nb)), nil
}

// SetBuffers restores the running statistics from state_dict tensors (as Buffers returns them):
// running_mean and running_var of shape (C) in float32 or float64, num_batches_tracked an int64 scalar (or a
// one-element int64 tensor). Errors name the buffer and what was wrong; nothing changes on error.
func (bn *BatchNorm2d) SetBuffers(runningMean, runningVar, numBatchesTracked *tensor.Dense) error {
	vals := make([][]float64, 2)
	for i, b := range []struct {
		name string
		t    *tensor.Dense
	}{{BufferRunningMean, runningMean}, {BufferRunningVar, runningVar}} {
		if b.t == nil || !b.t.Shape().Eq(tensor.Shape{bn.c}) {
			var s tensor.Shape
			if b.t != nil {
				s = b.t.Shape()
			}
			return fmt.Errorf("op %s: %s has shape %v, want (%d)", bn.name(), b.name, s, bn.c)
		}
		switch d := b.t.Data().(type) {
		case []float32:
			vals[i] = make([]float64, len(d))
			for j, v := range d {
				vals[i][j] = float64(v)
			}
		case []float64:
			vals[i] = append([]float64(nil), d...)
		default:
			return fmt.Errorf("op %s: %s has dtype %v: %w (want float32 or float64)", bn.name(), b.name, b.t.Dtype(), ErrDtype)
		}
	}
	if numBatchesTracked == nil {
		return fmt.Errorf("op %s: %s is missing", bn.name(), BufferNumBatchesTracked)
	}
	var nb int64
	switch d := numBatchesTracked.Data().(type) {
	case int64:
		nb = d
	case []int64:
		if len(d) != 1 {
			return fmt.Errorf("op %s: %s has %d values, want 1", bn.name(), BufferNumBatchesTracked, len(d))
		}
		nb = d[0]
	default:
		return fmt.Errorf("op %s: %s has dtype %v: %w (want int64)", bn.name(), BufferNumBatchesTracked, numBatchesTracked.Dtype(), ErrDtype)
	}
	return bn.SetRunningStats(vals[0], vals[1], nb)
}
