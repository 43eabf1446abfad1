package optim_test

import (
	"fmt"

	"github.com/nasx/nasx/internal/optim"
)

// The DARTS weight optimiser: SGD with momentum 0.9 and weight decay 3e-4,
// gradients clipped to norm 5, the rate from a cosine schedule set at the
// start of each epoch.
func Example() {
	w := optim.NewSlice("stem.0.weight", []float32{1, -1}, nil)
	params := []optim.Param[float32]{w}
	sgd, err := optim.NewSGD[float32](optim.SGDConfig{LR: 0.025, Momentum: 0.9, WeightDecay: 3e-4})
	if err != nil {
		panic(err)
	}
	sched := optim.Cosine{Base: 0.025, Min: 0.001, TMax: 50}
	for epoch := 0; epoch < 2; epoch++ {
		sgd.SetLR(sched.LR(epoch))
		w.G = []float32{30, 40} // from backprop
		norm, err := optim.ClipGradNorm(params, 5)
		if err != nil {
			panic(err)
		}
		if err := sgd.Step(params); err != nil {
			panic(err)
		}
		fmt.Printf("epoch %d: lr %.6f, grad norm %.0f, w %.4f\n", epoch, sgd.LR(), norm, w.V)
	}
	// Output:
	// epoch 0: lr 0.025000, grad norm 50, w [0.9250 -1.1000]
	// epoch 1: lr 0.024976, grad norm 50, w [0.7826 -1.2898]
}
