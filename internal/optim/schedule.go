package optim

import (
	"errors"
	"fmt"
	"math"
)

// Schedule gives the learning rate for an epoch (or, for Noam, a step).
// Each implementation documents how it counts.
type Schedule interface {
	LR(epoch int) float64
}

var (
	_ Schedule = Cosine{}
	_ Schedule = StepDecay{}
	_ Schedule = Linear{}
	_ Schedule = Warmup{}
	_ Schedule = LinearDecay{}
	_ Schedule = Noam{}
)

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Cosine is cosine annealing from Base to Min over TMax epochs, the closed
// form of torch.optim.lr_scheduler.CosineAnnealingLR:
//
//	lr(e) = Min + (Base - Min)·(1 + cos(π·e/TMax))/2
//
// lr(0) = Base and lr(TMax) = Min. DARTS (quark0/darts train_search.py,
// written for PyTorch 0.3) calls scheduler.step() at the START of each epoch
// and then reads lr = scheduler.get_lr()[0]; on 0.3 that sets last_epoch = e,
// so epoch e (counted from 0) trains with exactly lr(e), and that is the
// value to use here. It is also what get_last_lr() returns after e calls of
// step() in PyTorch >= 1.4. Running the DARTS script unchanged on PyTorch >=
// 1.4 shifts the schedule by one epoch (epoch e trains with lr(e+1)), and its
// get_lr() then returns a value that is neither lr(e) nor lr(e+1)
// (0.0249527 instead of 0.0249763 after one step with the DARTS settings,
// measured on torch 1.13), which the second-order architect uses as ξ.
type Cosine struct {
	Base float64 // initial learning rate (DARTS: 0.025)
	Min  float64 // eta_min (DARTS search: 0.001; evaluation: 0)
	TMax int     // half period in epochs, > 0 (DARTS: the number of epochs)
}

// Validate reports invalid fields.
func (s Cosine) Validate() error {
	var errs []error
	if !finite(s.Base) || s.Base < 0 {
		errs = append(errs, fmt.Errorf("optim: cosine: base lr: got %v, want finite >= 0", s.Base))
	}
	if !finite(s.Min) || s.Min < 0 {
		errs = append(errs, fmt.Errorf("optim: cosine: eta_min: got %v, want finite >= 0", s.Min))
	}
	if s.TMax <= 0 {
		errs = append(errs, fmt.Errorf("optim: cosine: T_max: got %d, want > 0", s.TMax))
	}
	return errors.Join(errs...)
}

// LR returns the learning rate of epoch e (from 0).
func (s Cosine) LR(e int) float64 {
	return s.Min + (s.Base-s.Min)*(1+math.Cos(math.Pi*float64(e)/float64(s.TMax)))/2
}

// StepDecay multiplies the learning rate by Gamma every StepSize epochs, as
// torch.optim.lr_scheduler.StepLR: lr(e) = Base·Gamma^⌊e/StepSize⌋.
type StepDecay struct {
	Base     float64 // initial learning rate
	StepSize int     // epochs between decays, > 0
	Gamma    float64 // decay factor (torch default 0.1)
}

// Validate reports invalid fields.
func (s StepDecay) Validate() error {
	var errs []error
	if !finite(s.Base) || s.Base < 0 {
		errs = append(errs, fmt.Errorf("optim: step: base lr: got %v, want finite >= 0", s.Base))
	}
	if s.StepSize <= 0 {
		errs = append(errs, fmt.Errorf("optim: step: step_size: got %d, want > 0", s.StepSize))
	}
	if !finite(s.Gamma) || s.Gamma < 0 {
		errs = append(errs, fmt.Errorf("optim: step: gamma: got %v, want finite >= 0", s.Gamma))
	}
	return errors.Join(errs...)
}

// LR returns the learning rate of epoch e (from 0).
func (s StepDecay) LR(e int) float64 {
	return s.Base * math.Pow(s.Gamma, float64(e/s.StepSize))
}

// Linear scales Base by a factor that moves linearly from Start to End over
// Iters epochs and then stays at End, the closed form of
// torch.optim.lr_scheduler.LinearLR:
//
//	lr(e) = Base·(Start + (End-Start)·min(e, Iters)/Iters)
//
// With End = 1 it is a linear warm-up (torch defaults: Start 1/3, Iters 5).
type Linear struct {
	Base  float64 // learning rate the factors multiply
	Start float64 // first factor, in (0, 1] as torch checks (torch default 1/3)
	End   float64 // last factor, in [0, 1] (torch default 1)
	Iters int     // epochs to go from Start to End, > 0 (torch default 5)
}

// Validate reports invalid fields, with torch's bounds.
func (s Linear) Validate() error {
	var errs []error
	if !finite(s.Base) || s.Base < 0 {
		errs = append(errs, fmt.Errorf("optim: linear: base lr: got %v, want finite >= 0", s.Base))
	}
	if !(s.Start > 0 && s.Start <= 1) {
		errs = append(errs, fmt.Errorf("optim: linear: start_factor: got %v, want in (0, 1]", s.Start))
	}
	if !(s.End >= 0 && s.End <= 1) {
		errs = append(errs, fmt.Errorf("optim: linear: end_factor: got %v, want in [0, 1]", s.End))
	}
	if s.Iters <= 0 {
		errs = append(errs, fmt.Errorf("optim: linear: total_iters: got %d, want > 0", s.Iters))
	}
	return errors.Join(errs...)
}

// LR returns the learning rate of epoch e (from 0).
func (s Linear) LR(e int) float64 {
	e = min(e, s.Iters)
	return s.Base * (s.Start + (s.End-s.Start)*float64(e)/float64(s.Iters))
}

// Warmup is the linear warm-up of PC-DARTS and α-DARTS
// (train_imagenet.py: `if epoch < 5 and batch_size > 256: lr = lr·(epoch+1)/5`):
// for e < Epochs, lr(e) = Base·(e+1)/Epochs; afterwards lr(e) = Then.LR(e).
// The warm-up ramps to Base itself, whatever Then gives at e = Epochs.
type Warmup struct {
	Epochs int      // warm-up length in epochs, >= 0
	Base   float64  // target learning rate of the ramp
	Then   Schedule // schedule after the warm-up; must not be nil
}

// Validate reports invalid fields (and those of Then, when it has Validate).
func (s Warmup) Validate() error {
	var errs []error
	if s.Epochs < 0 {
		errs = append(errs, fmt.Errorf("optim: warmup: epochs: got %d, want >= 0", s.Epochs))
	}
	if !finite(s.Base) || s.Base < 0 {
		errs = append(errs, fmt.Errorf("optim: warmup: base lr: got %v, want finite >= 0", s.Base))
	}
	if s.Then == nil {
		errs = append(errs, errors.New("optim: warmup: no schedule after the warm-up"))
	} else if v, ok := s.Then.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// LR returns the learning rate of epoch e (from 0).
func (s Warmup) LR(e int) float64 {
	if e < s.Epochs {
		return s.Base * float64(e+1) / float64(s.Epochs)
	}
	return s.Then.LR(e)
}

// LinearDecay is the linear decay of PC-DARTS and α-DARTS on ImageNet
// (train_imagenet.py adjust_lr, "smaller slope for the last 5 epochs because
// lr·1/250 is relatively large"), with E = Epochs and e from 0:
//
//	lr(e) = Base·(E-5-e)/(E-5)        when E-e > 5
//	lr(e) = Base·(E-e)/((E-5)·5)      in the last 5 epochs
//
// The first branch would reach 0 at e = E-5; the second instead keeps a
// small positive rate, Base/(E-5) at e = E-5 falling to Base/(5(E-5)) at the
// last epoch. Compose it with Warmup{Epochs: 5} for the full ImageNet
// schedule (see AlphaDARTSImageNet).
type LinearDecay struct {
	Base   float64 // initial learning rate (α-DARTS ImageNet: 0.5)
	Epochs int     // total epochs E, > 5 (α-DARTS ImageNet: 250)
}

// Validate reports invalid fields.
func (s LinearDecay) Validate() error {
	var errs []error
	if !finite(s.Base) || s.Base < 0 {
		errs = append(errs, fmt.Errorf("optim: linear decay: base lr: got %v, want finite >= 0", s.Base))
	}
	if s.Epochs <= 5 {
		errs = append(errs, fmt.Errorf("optim: linear decay: epochs: got %d, want > 5", s.Epochs))
	}
	return errors.Join(errs...)
}

// LR returns the learning rate of epoch e (from 0).
func (s LinearDecay) LR(e int) float64 {
	E := s.Epochs
	if E-e > 5 {
		return s.Base * float64(E-5-e) / float64(E-5)
	}
	return s.Base * float64(E-e) / float64((E-5)*5)
}

// AlphaDARTSImageNet returns the ImageNet evaluation schedule of α-DARTS
// (algorithms.md A.3, train_imagenet_dist.py --lr_scheduler linear): a 5-epoch
// warm-up to base, then LinearDecay over epochs. The reference applies the
// warm-up only when the total batch exceeds 256; pass warmup=false otherwise.
func AlphaDARTSImageNet(base float64, epochs int, warmup bool) (Schedule, error) {
	d := LinearDecay{Base: base, Epochs: epochs}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if !warmup {
		return d, nil
	}
	return Warmup{Epochs: 5, Base: base, Then: d}, nil
}

// Noam is the Transformer schedule of NAR (utils/optim.py, from
// jadore801120/attention-is-all-you-need-pytorch ScheduledOptim):
//
//	lr(n) = LRMul · DModel^-0.5 · min(n^-0.5, n·Warmup^-1.5)
//
// where n counts optimiser steps from 1: the reference increments n before
// computing the rate, and sets it before each optimizer.step(). The peak is at
// n = Warmup (NB201: lr_mul 0.07, d_model 128, warmup 30 → 1.13e-3).
type Noam struct {
	LRMul  float64 // multiplier, > 0
	DModel int     // model width, > 0
	Warmup int     // warm-up steps, > 0
}

// Validate reports invalid fields.
func (s Noam) Validate() error {
	var errs []error
	if !finite(s.LRMul) || s.LRMul <= 0 {
		errs = append(errs, fmt.Errorf("optim: noam: lr_mul: got %v, want finite > 0", s.LRMul))
	}
	if s.DModel <= 0 {
		errs = append(errs, fmt.Errorf("optim: noam: d_model: got %d, want > 0", s.DModel))
	}
	if s.Warmup <= 0 {
		errs = append(errs, fmt.Errorf("optim: noam: n_warmup_steps: got %d, want > 0", s.Warmup))
	}
	return errors.Join(errs...)
}

// LR returns the learning rate of step n, counted from 1. It panics if
// n < 1, a programmer error (the formula is infinite at 0).
func (s Noam) LR(n int) float64 {
	if n < 1 {
		panic(fmt.Sprintf("optim: noam: step %d, want >= 1 (steps count from 1)", n))
	}
	fn := float64(n)
	return s.LRMul * math.Pow(float64(s.DModel), -0.5) * math.Min(math.Pow(fn, -0.5), fn*math.Pow(float64(s.Warmup), -1.5))
}
