package darts

import (
	"fmt"
	"math"
	"time"

	"github.com/nasx/nasx/internal/optim"
)

// ArchConfig configures the Architect.
type ArchConfig struct {
	// Unrolled selects the second-order approximation (DARTS --unrolled):
	// the α gradient is taken at the virtual weights w' = w − ξ(momentum·buf +
	// ∇w L_train + wd·w), minus ξ times the finite-difference Hessian-vector
	// product. ξ is the weight optimiser's current learning rate.
	Unrolled bool
	// GradClip is the max L2 norm of the weight gradients (DARTS: 5); 0
	// disables clipping.
	GradClip float64
}

// Architect runs DARTS' bilevel step (quark0/darts cnn/architect.py and the
// loop of cnn/train_search.py): the α step on a validation batch, then the
// weight step on a training batch.
type Architect[T optim.Float] struct {
	net     *Supernet
	wOpt    *optim.SGD[T]
	aOpt    *optim.Adam[T]
	cfg     ArchConfig
	wParams []optim.Param[T]
	aParams []optim.Param[T]
	timing  *StepTiming
}

// NewArchitect returns an Architect driving net's weights with wOpt and
// its α with aOpt. T must be the supernet's element type.
func NewArchitect[T optim.Float](net *Supernet, wOpt *optim.SGD[T], aOpt *optim.Adam[T], cfg ArchConfig) (*Architect[T], error) {
	if !(cfg.GradClip >= 0) {
		return nil, fmt.Errorf("darts: architect: grad_clip: got %v, want >= 0", cfg.GradClip)
	}
	return &Architect[T]{net: net, wOpt: wOpt, aOpt: aOpt, cfg: cfg,
		wParams: WeightParams[T](net), aParams: AlphaParams[T](net)}, nil
}

// StepResult holds the outputs of the two passes of a step.
type StepResult struct {
	Val, Train Output
	GradNorm   float64 // weight gradient norm before clipping
}

// Step runs one search iteration on the batches.
func (a *Architect[T]) Step(train, val Batch[T]) (r StepResult, err error) {
	if a.timing != nil {
		t0, runs0 := time.Now(), a.timing.Runs
		defer func() {
			if err == nil {
				a.timing.Steps++
				a.timing.Update += time.Since(t0) - (a.timing.Runs - runs0)
			}
		}()
	}
	// Phase 1: architecture step (val batch).
	if a.cfg.Unrolled {
		r.Val, err = a.unrolledGrad(train, val)
	} else {
		r.Val, err = a.run(val)
	}
	if err != nil {
		return r, fmt.Errorf("architecture step: %w", err)
	}
	if err := a.aOpt.Step(a.aParams); err != nil {
		return r, fmt.Errorf("architecture step: %w", err)
	}
	// Phase 2: weight step (train batch).
	if r.Train, err = a.run(train); err != nil {
		return r, fmt.Errorf("weight step: %w", err)
	}
	if a.cfg.GradClip > 0 {
		if r.GradNorm, err = optim.ClipGradNorm(a.wParams, a.cfg.GradClip); err != nil {
			return r, fmt.Errorf("weight step: %w: %w", err, ErrNonFinite)
		}
	}
	if err := a.wOpt.Step(a.wParams); err != nil {
		return r, fmt.Errorf("weight step: %w", err)
	}
	return r, nil
}

// snapshot copies the data (grad false) or gradients (grad true) of ps.
func snapshot[T optim.Float](ps []optim.Param[T], grad bool) ([][]T, error) {
	out := make([][]T, len(ps))
	for i, p := range ps {
		var d []T
		var err error
		if grad {
			d, err = p.Grad()
		} else {
			d, err = p.Data()
		}
		if err != nil {
			return nil, err
		}
		out[i] = append([]T(nil), d...)
	}
	return out, nil
}

// axpy sets every param to base + s·v.
func setParams[T optim.Float](ps []optim.Param[T], base, v [][]T, s float64) error {
	for i, p := range ps {
		d, err := p.Data()
		if err != nil {
			return err
		}
		for j := range d {
			if v == nil {
				d[j] = base[i][j]
			} else {
				d[j] = base[i][j] + T(s)*v[i][j]
			}
		}
	}
	return nil
}

// unrolledGrad leaves in the α gradient DARTS' second-order estimate
// (architect._backward_step_unrolled) and restores the weights:
//
//	w' = w − ξ(momentum·buf + ∇w L_train(w) + wd·w)
//	dα = ∇α L_val(w', α) − ξ·(∇α L_train(w⁺) − ∇α L_train(w⁻)) / 2R
//
// with w± = w ± R·∇w' L_val(w', α) and R = 0.01/‖∇w' L_val‖. As in the
// reference, the BN running statistics see the train passes (at w, w⁺ and
// w⁻) but not the validation pass at w', which the reference runs on a copy.
func (a *Architect[T]) unrolledGrad(train, val Batch[T]) (Output, error) {
	cfg := a.wOpt.Config()
	xi := a.wOpt.LR()
	w0, err := snapshot(a.wParams, false)
	if err != nil {
		return Output{}, err
	}
	// virtual step
	if _, err := a.run(train); err != nil {
		return Output{}, err
	}
	gTrain, err := snapshot(a.wParams, true)
	if err != nil {
		return Output{}, err
	}
	bufs := a.wOpt.StateDict() // "<name>.momentum_buffer"; absent before the first step (zeros, as the reference's except branch)
	for i, p := range a.wParams {
		d, _ := p.Data()
		buf := bufs[p.Name()+".momentum_buffer"]
		for j := range d {
			var m T
			if buf != nil {
				m = T(cfg.Momentum) * buf[j]
			}
			d[j] = w0[i][j] - T(xi)*(m+gTrain[i][j]+T(cfg.WeightDecay)*w0[i][j])
		}
	}
	// validation gradient at w'. The reference takes it on a copy of the
	// model (architect.py _construct_model_from_theta), so this pass must not
	// move the real BN running statistics: restore them after it.
	restore := a.net.weights.SnapshotBuffers()
	out, err := a.run(val)
	if rerr := restore(); err == nil && rerr != nil {
		err = rerr
	}
	if err != nil {
		return out, err
	}
	dAlpha, err := snapshot(a.aParams, true)
	if err != nil {
		return out, err
	}
	vec, err := snapshot(a.wParams, true)
	if err != nil {
		return out, err
	}
	var norm float64
	for _, v := range vec {
		for _, x := range v {
			norm += float64(x) * float64(x)
		}
	}
	norm = math.Sqrt(norm)
	if norm == 0 || math.IsNaN(norm) || math.IsInf(norm, 0) {
		return out, fmt.Errorf("darts: unrolled: validation gradient norm %v: %w", norm, ErrNonFinite)
	}
	R := 0.01 / norm
	// Hessian-vector product by central differences around w
	if err := setParams(a.wParams, w0, vec, R); err != nil {
		return out, err
	}
	if _, err := a.run(train); err != nil {
		return out, err
	}
	gPlus, err := snapshot(a.aParams, true)
	if err != nil {
		return out, err
	}
	if err := setParams(a.wParams, w0, vec, -R); err != nil {
		return out, err
	}
	if _, err := a.run(train); err != nil {
		return out, err
	}
	if err := setParams(a.wParams, w0, nil, 0); err != nil {
		return out, err
	}
	for i, p := range a.aParams {
		g, err := p.Grad() // ∇α L_train(w⁻), overwritten in place with the final estimate
		if err != nil {
			return out, err
		}
		for j := range g {
			implicit := (gPlus[i][j] - g[j]) / T(2*R)
			g[j] = dAlpha[i][j] - T(xi)*implicit
		}
	}
	return out, nil
}
