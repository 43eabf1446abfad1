package optim

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// AdamConfig holds the hyperparameters of Adam and AdamW, named as in
// torch.optim.Adam.
type AdamConfig struct {
	LR          float64 // learning rate; must be >= 0. There is no default (torch: 1e-3)
	Beta1       float64 // first-moment decay, in [0, 1) (torch: 0.9; DARTS α: 0.5)
	Beta2       float64 // second-moment decay, in [0, 1) (torch: 0.999)
	Eps         float64 // added to the denominator outside the square root; >= 0 (torch: 1e-8)
	WeightDecay float64 // Adam: L2 penalty added to the gradient; AdamW: decoupled decay
}

// Validate reports every invalid field, with the rules of torch.optim.Adam.
func (c AdamConfig) Validate() error { return c.validate("adam") }

func (c AdamConfig) validate(kind string) error {
	var errs []error
	check := func(name string, v float64, ok bool, want string) {
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			errs = append(errs, fmt.Errorf("optim: %s: %s: got %v, want %s", kind, name, v, want))
		}
	}
	check("lr", c.LR, c.LR >= 0, "finite >= 0")
	check("betas[0]", c.Beta1, c.Beta1 >= 0 && c.Beta1 < 1, "in [0, 1)")
	check("betas[1]", c.Beta2, c.Beta2 >= 0 && c.Beta2 < 1, "in [0, 1)")
	check("eps", c.Eps, c.Eps >= 0, "finite >= 0")
	check("weight_decay", c.WeightDecay, c.WeightDecay >= 0, "finite >= 0")
	return errors.Join(errs...)
}

// Adam is torch.optim.Adam (PyTorch 1.13, _single_tensor_adam, amsgrad off)
// when Decoupled is false, and torch.optim.AdamW when it is true. With t the
// per-parameter step count after the increment:
//
//	Adam:  g = g + wd·p
//	AdamW: p = p·(1 - lr·wd)
//	m = β1·m + (1-β1)·g
//	v = β2·v + (1-β2)·g²
//	p = p - lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + eps)
//
// Use NewAdam or NewAdamW.
type Adam[T Float] struct {
	cfg       AdamConfig
	decoupled bool
	state     map[string]*adamState[T]
}

type adamState[T Float] struct {
	step     []T // one element, as torch 1.13 keeps step as a float tensor
	expAvg   []T
	expAvgSq []T
}

// NewAdam returns torch.optim.Adam with L2 weight decay added to the
// gradient, or the errors of cfg.Validate.
func NewAdam[T Float](cfg AdamConfig) (*Adam[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Adam[T]{cfg: cfg, state: map[string]*adamState[T]{}}, nil
}

// NewAdamW returns torch.optim.AdamW with decoupled weight decay, or the
// errors of cfg.Validate. Note that torch's AdamW default weight decay is
// 1e-2, not 0; there is no default here.
func NewAdamW[T Float](cfg AdamConfig) (*Adam[T], error) {
	if err := cfg.validate("adamw"); err != nil {
		return nil, err
	}
	return &Adam[T]{cfg: cfg, decoupled: true, state: map[string]*adamState[T]{}}, nil
}

// LR returns the current learning rate.
func (o *Adam[T]) LR() float64 { return o.cfg.LR }

// SetLR sets the learning rate used by the next Step (a schedule's value).
func (o *Adam[T]) SetLR(lr float64) { o.cfg.LR = lr }

// Config returns the hyperparameters, with the current learning rate.
func (o *Adam[T]) Config() AdamConfig { return o.cfg }

// Step applies one update to every param that has a gradient.
func (o *Adam[T]) Step(params []Param[T]) error {
	if err := checkNames(params); err != nil {
		return err
	}
	c := o.cfg
	type job struct {
		v, g, m, s        []T
		stepSize, bc2Sqrt T
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
		if st, ok := o.state[p.Name()]; ok {
			if len(st.expAvg) != len(v) {
				return stateLenError(p.Name(), "exp_avg", len(st.expAvg), len(v))
			}
			if len(st.expAvgSq) != len(v) {
				return stateLenError(p.Name(), "exp_avg_sq", len(st.expAvgSq), len(v))
			}
		}
		jobs = append(jobs, job{v: v, g: g})
		names = append(names, p.Name())
		sizes = append(sizes, len(v))
	}
	for k := range jobs {
		j := &jobs[k]
		st, ok := o.state[names[k]]
		if !ok {
			st = &adamState[T]{step: []T{0}, expAvg: make([]T, len(j.v)), expAvgSq: make([]T, len(j.v))}
			o.state[names[k]] = st
		}
		st.step[0]++ // per parameter, as torch's state['step']
		t := float64(st.step[0])
		j.m, j.s = st.expAvg, st.expAvgSq
		j.stepSize = T(-(c.LR / (1 - math.Pow(c.Beta1, t))))
		j.bc2Sqrt = T(math.Sqrt(1 - math.Pow(c.Beta2, t)))
	}
	b1, b2 := T(c.Beta1), T(c.Beta2)
	ob1, ob2 := T(1-c.Beta1), T(1-c.Beta2)
	eps := T(c.Eps)
	l2 := !o.decoupled && c.WeightDecay != 0
	decoupled := o.decoupled && c.WeightDecay != 0
	wd, decay := T(c.WeightDecay), T(1-c.LR*c.WeightDecay)
	// One fused pass per element, in torch's order of operations:
	// Adam:  g' = g + wd·p; m, s from g'; p += -stepSize·m/den
	// AdamW: p = p·(1-lr·wd); m, s from g; p += -stepSize·m/den
	forEachRange(sizes, func(k, lo, hi int) {
		j := &jobs[k]
		v, g, m, s := j.v[lo:hi], j.g[lo:hi], j.m[lo:hi], j.s[lo:hi]
		stepSize, bc2Sqrt := j.stepSize, j.bc2Sqrt
		for i := range v {
			gi, pi := g[i], v[i]
			if l2 {
				gi += wd * pi
			}
			if decoupled {
				pi *= decay
			}
			mi := m[i]*b1 + ob1*gi
			si := s[i]*b2 + ob2*gi*gi
			m[i], s[i] = mi, si
			den := T(math.Sqrt(float64(si)))/bc2Sqrt + eps
			v[i] = pi + stepSize*mi/den // torch addcdiv: p + (value·m)/den
		}
	})
	return nil
}

// StateDict returns a copy of the state, keyed "<param name>.step" (one
// element), "<param name>.exp_avg" and "<param name>.exp_avg_sq", as torch's
// Adam state.
func (o *Adam[T]) StateDict() map[string][]T {
	out := make(map[string][]T, 3*len(o.state))
	for name, st := range o.state {
		out[name+".step"] = append([]T(nil), st.step...)
		out[name+".exp_avg"] = append([]T(nil), st.expAvg...)
		out[name+".exp_avg_sq"] = append([]T(nil), st.expAvgSq...)
	}
	return out
}

// LoadStateDict replaces the state with a copy of sd, as written by
// StateDict. Every param in sd needs all three keys; element counts are
// checked against the params at the next Step.
func (o *Adam[T]) LoadStateDict(sd map[string][]T) error {
	state := map[string]*adamState[T]{}
	get := func(name string) *adamState[T] {
		st, ok := state[name]
		if !ok {
			st = &adamState[T]{}
			state[name] = st
		}
		return st
	}
	for k, v := range sd {
		v = append([]T(nil), v...)
		switch {
		case strings.HasSuffix(k, ".exp_avg_sq") && len(k) > len(".exp_avg_sq"):
			get(strings.TrimSuffix(k, ".exp_avg_sq")).expAvgSq = v
		case strings.HasSuffix(k, ".exp_avg") && len(k) > len(".exp_avg"):
			get(strings.TrimSuffix(k, ".exp_avg")).expAvg = v
		case strings.HasSuffix(k, ".step") && len(k) > len(".step"):
			if len(v) != 1 || v[0] < 0 || float64(v[0]) != math.Trunc(float64(v[0])) {
				return fmt.Errorf("optim: adam: state key %q: got %v, want one non-negative whole number", k, v)
			}
			get(strings.TrimSuffix(k, ".step")).step = v
		default:
			return fmt.Errorf("optim: adam: state key %q: want \"<param>.step\", \"<param>.exp_avg\" or \"<param>.exp_avg_sq\"", k)
		}
	}
	for name, st := range state {
		if st.step == nil || st.expAvg == nil || st.expAvgSq == nil {
			return fmt.Errorf("optim: adam: state of param %q is incomplete: want step, exp_avg and exp_avg_sq", name)
		}
	}
	o.state = state
	return nil
}
