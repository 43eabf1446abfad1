package optim

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// SGDConfig holds the hyperparameters of SGD, named as in torch.optim.SGD.
type SGDConfig struct {
	LR          float64 // learning rate; must be >= 0. There is no default.
	Momentum    float64 // momentum factor; 0 disables momentum
	Dampening   float64 // dampening of the momentum; PyTorch's default is 0
	WeightDecay float64 // L2 penalty added to the gradient: g + wd·p
	Nesterov    bool    // Nesterov momentum; needs Momentum > 0 and Dampening == 0
}

// Validate reports every invalid field, with the rules of torch.optim.SGD.
func (c SGDConfig) Validate() error {
	var errs []error
	if !(c.LR >= 0) || math.IsInf(c.LR, 0) {
		errs = append(errs, fmt.Errorf("optim: sgd: lr: got %v, want finite >= 0", c.LR))
	}
	if !(c.Momentum >= 0) || math.IsInf(c.Momentum, 0) {
		errs = append(errs, fmt.Errorf("optim: sgd: momentum: got %v, want finite >= 0", c.Momentum))
	}
	if !(c.Dampening >= 0) || math.IsInf(c.Dampening, 0) {
		errs = append(errs, fmt.Errorf("optim: sgd: dampening: got %v, want finite >= 0", c.Dampening))
	}
	if !(c.WeightDecay >= 0) || math.IsInf(c.WeightDecay, 0) {
		errs = append(errs, fmt.Errorf("optim: sgd: weight_decay: got %v, want finite >= 0", c.WeightDecay))
	}
	if c.Nesterov && (c.Momentum <= 0 || c.Dampening != 0) {
		errs = append(errs, fmt.Errorf("optim: sgd: nesterov needs momentum > 0 and dampening 0 (got momentum %v, dampening %v)", c.Momentum, c.Dampening))
	}
	return errors.Join(errs...)
}

// SGD is stochastic gradient descent with optional momentum, Nesterov
// momentum and L2 weight decay, exactly as torch.optim.SGD (PyTorch 1.13,
// _single_tensor_sgd):
//
//	d = g + wd·p
//	buf = d                          on the first step of p
//	buf = momentum·buf + (1-dampening)·d   afterwards
//	d = d + momentum·buf  (Nesterov)  or  d = buf
//	p = p - lr·d
type SGD[T Float] struct {
	cfg SGDConfig
	buf map[string][]T // momentum buffers by param name
}

// NewSGD returns an SGD optimiser, or the errors of cfg.Validate.
func NewSGD[T Float](cfg SGDConfig) (*SGD[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &SGD[T]{cfg: cfg, buf: map[string][]T{}}, nil
}

// LR returns the current learning rate.
func (o *SGD[T]) LR() float64 { return o.cfg.LR }

// SetLR sets the learning rate used by the next Step (a schedule's value).
func (o *SGD[T]) SetLR(lr float64) { o.cfg.LR = lr }

// Config returns the hyperparameters, with the current learning rate.
func (o *SGD[T]) Config() SGDConfig { return o.cfg }

// Step applies one update to every param that has a gradient.
func (o *SGD[T]) Step(params []Param[T]) error {
	if err := checkNames(params); err != nil {
		return err
	}
	c := o.cfg
	lr, wd, mom, damp := T(-c.LR), T(c.WeightDecay), T(c.Momentum), T(1-c.Dampening)
	hasWD := c.WeightDecay != 0 // torch skips the add when wd == 0 (0·Inf would be NaN)
	type job struct {
		v, g, buf []T
		first     bool // torch: buf = clone(d_p) on the first step
	}
	// Check everything before changing anything.
	jobs := make([]job, 0, len(params))
	names := make([]string, 0, len(params))
	sizes := make([]int, 0, len(params))
	for _, p := range params {
		v, g, err := fetch(p)
		if err != nil {
			return err
		}
		if g == nil {
			continue
		}
		j := job{v: v, g: g}
		if c.Momentum != 0 {
			buf, ok := o.buf[p.Name()]
			if ok && len(buf) != len(v) {
				return stateLenError(p.Name(), "momentum_buffer", len(buf), len(v))
			}
			j.buf, j.first = buf, !ok
		}
		jobs = append(jobs, j)
		names = append(names, p.Name())
		sizes = append(sizes, len(v))
	}
	for k := range jobs {
		if j := &jobs[k]; c.Momentum != 0 && j.first {
			j.buf = make([]T, len(j.v))
			o.buf[names[k]] = j.buf
		}
	}
	momentum, nesterov := c.Momentum != 0, c.Nesterov
	forEachRange(sizes, func(k, lo, hi int) {
		j := &jobs[k]
		v, g, buf := j.v[lo:hi], j.g[lo:hi], j.buf
		if !momentum {
			for i := range v {
				d := g[i]
				if hasWD {
					d += wd * v[i]
				}
				v[i] += lr * d
			}
			return
		}
		buf = buf[lo:hi]
		for i := range v {
			d := g[i]
			if hasWD {
				d += wd * v[i]
			}
			b := d
			if !j.first {
				b = mom*buf[i] + damp*d
			}
			buf[i] = b
			if nesterov {
				d += mom * b
			} else {
				d = b
			}
			v[i] += lr * d
		}
	})
	return nil
}

// StateDict returns a copy of the momentum buffers, keyed
// "<param name>.momentum_buffer" (torch's state key).
func (o *SGD[T]) StateDict() map[string][]T {
	out := make(map[string][]T, len(o.buf))
	for name, b := range o.buf {
		out[name+".momentum_buffer"] = append([]T(nil), b...)
	}
	return out
}

// LoadStateDict replaces the state with a copy of sd, as written by
// StateDict. Lengths are checked against the params at the next Step.
func (o *SGD[T]) LoadStateDict(sd map[string][]T) error {
	buf := make(map[string][]T, len(sd))
	for k, v := range sd {
		name, ok := strings.CutSuffix(k, ".momentum_buffer")
		if !ok || name == "" {
			return fmt.Errorf("optim: sgd: state key %q: want \"<param>.momentum_buffer\"", k)
		}
		buf[name] = append([]T(nil), v...)
	}
	o.buf = buf
	return nil
}

func stateLenError(name, key string, got, want int) error {
	return fmt.Errorf("optim: param %q: state %s has %d elements, param has %d (state loaded from a different model?)", name, key, got, want)
}
