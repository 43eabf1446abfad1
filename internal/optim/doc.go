// Package optim implements the optimisers, learning-rate schedules and
// gradient clipping that nasx trains with, with the exact update rules of
// PyTorch 1.13 (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW,
// torch.optim.lr_scheduler and torch.nn.utils.clip_grad_norm_).
//
// # Conventions
//
// An optimiser updates a slice of Param values in place. A Param is a named
// flat slice of float32 or float64 values together with a source of its
// gradient: Slice wraps plain slices (tests, tools), Node wraps a gorgonia
// node whose gradient comes from G.Grad and a TapeMachine run, and Read wraps
// a node whose gradient was captured with a G.Read node. Parameter names are
// the keys of the optimiser state, so they must be unique within one Step;
// use the PyTorch state_dict names (for example "cells.0._ops.3.op.1.weight").
//
// Arithmetic is done in the parameter's own precision, with the scalar
// coefficients computed in float64 and rounded once, as PyTorch does on the
// CPU. Schedules return float64 learning rates; epochs and steps are counted
// as documented on each schedule.
//
// Optimisers never clear gradients: call ZeroGrad after Step when the
// gradients accumulate (a TapeMachine built with G.BindDualValues), as one
// calls optimizer.zero_grad() in PyTorch.
//
// The optimiser state (momentum buffers, exp_avg, exp_avg_sq, step) is
// exported with StateDict and restored with LoadStateDict, so that a run can
// be resumed bit for bit. Its keys are "<param name>.<torch state key>".
package optim
