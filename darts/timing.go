package darts

import (
	"fmt"
	"time"

	G "gorgonia.org/gorgonia"

	"github.com/nasx/nasx/internal/op"
)

// StepTiming accumulates the wall time of an Architect's steps by phase,
// for `nasx perf step`. Runs is the time inside the machine runs (forward
// and backward pass, see Run); Update is the rest of each step: the
// optimiser steps, gradient clipping and, when unrolled, the virtual step
// and Hessian-vector arithmetic.
type StepTiming struct {
	Steps       int           // completed steps
	MachineRuns int           // forward+backward passes (2 per step, 5 unrolled)
	Runs        time.Duration // total time in the machine runs
	Update      time.Duration // total step time outside the machine runs
}

// SetTiming makes every later Step add its phase times to t; nil stops the
// timing.
func (a *Architect[T]) SetTiming(t *StepTiming) { a.timing = t }

// run is Run, timed into a.timing when set.
func (a *Architect[T]) run(b Batch[T]) (Output, error) {
	if a.timing == nil {
		return Run(a.net, b)
	}
	t0 := time.Now()
	out, err := Run(a.net, b)
	a.timing.Runs += time.Since(t0)
	a.timing.MachineRuns++
	return out, err
}

// Forward runs the forward pass alone on the inputs of the last Run, on
// a second machine compiled from the loss's subgraph (built on first use),
// and returns the loss. The gradients and the values Run reads are left
// untouched. It exists to time the forward pass apart from the backward
// pass (`nasx perf step`); the second machine holds its own activations.
func (s *Supernet) Forward() (float64, error) {
	if s.fwdMachine == nil {
		in := G.Nodes{s.x}
		for _, n := range []*G.Node{s.y, s.target, s.mask} {
			if n != nil {
				in = append(in, n)
			}
		}
		prog, locMap, err := G.CompileFunction(s.g, in, G.Nodes{s.loss})
		if err != nil {
			return 0, fmt.Errorf("darts: forward machine: %w", err)
		}
		s.fwdMachine = G.NewTapeMachine(s.g, append(op.VMOpts(s.loss), G.WithPrecompiled(prog, locMap))...)
	}
	s.fwdMachine.Reset()
	if err := s.fwdMachine.RunAll(); err != nil {
		return 0, fmt.Errorf("darts: forward: %w", err)
	}
	return scalar(s.loss.Value()), nil
}

// Architect returns the searcher's Architect (to time its steps with
// SetTiming).
func (s *Searcher) Architect() *Architect[float32] { return s.arch }
