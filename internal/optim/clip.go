package optim

import (
	"fmt"
	"math"
)

// ClipGradNorm scales the gradients of params in place so that their total
// L2 norm (over all gradients, as if concatenated) is at most maxNorm, and
// returns that total norm before scaling. It follows
// torch.nn.utils.clip_grad_norm_ (PyTorch 1.13, norm_type 2): with
// coef = maxNorm/(norm + 1e-6), every gradient is multiplied by coef when
// coef < 1 and left alone otherwise (torch multiplies by clamp(coef, max=1)).
// Params without a gradient are skipped; with none at all the norm is 0.
//
// The norm is accumulated in float64, which for float32 gradients is at
// least as accurate as torch's norm of per-tensor norms. A non-finite norm
// is returned with an error, and the gradients are left unscaled, since
// scaling by NaN would destroy them (torch's error_if_nonfinite=True).
func ClipGradNorm[T Float](params []Param[T], maxNorm float64) (float64, error) {
	if !(maxNorm > 0) || math.IsInf(maxNorm, 0) {
		return 0, fmt.Errorf("optim: clip_grad_norm: max_norm: got %v, want finite > 0", maxNorm)
	}
	grads := make([][]T, 0, len(params))
	var sum float64
	for _, p := range params {
		_, g, err := fetch(p)
		if err != nil {
			return 0, err
		}
		if g == nil {
			continue
		}
		grads = append(grads, g)
		for _, x := range g {
			sum += float64(x) * float64(x)
		}
	}
	norm := math.Sqrt(sum)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm, fmt.Errorf("optim: clip_grad_norm: total gradient norm is %v (a NaN or Inf gradient; lower the learning rate or check the loss)", norm)
	}
	coef := maxNorm / (norm + 1e-6) // 1e-6: torch.nn.utils.clip_grad_norm_
	if coef < 1 {
		c := T(coef)
		for _, g := range grads {
			for i := range g {
				g[i] *= c
			}
		}
	}
	return norm, nil
}

// ZeroGrad sets the gradients of params to zero, as torch's
// optimizer.zero_grad(set_to_none=False). A TapeMachine built with
// G.BindDualValues accumulates each run's gradient into the node's dual
// value, as torch accumulates into .grad, so call ZeroGrad after every Step
// (gorgonia's own solvers zero the gradient inside Step). Gradients read
// through G.Read or derivative nodes without BindDualValues are fresh on
// every run, and zeroing them is harmless.
func ZeroGrad[T Float](params []Param[T]) error {
	for _, p := range params {
		g, err := p.Grad()
		if err != nil {
			return err
		}
		clear(g)
	}
	return nil
}
