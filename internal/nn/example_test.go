package nn_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/nasx/nasx/internal/nn"
)

// PyTorch's default Conv2d initialisation for a depthwise 3×3 conv with 16
// channels (groups=16): weight (16, 1, 3, 3), fan_in 9, bound 1/3.
func ExampleDefaultLayer() {
	shape := []int{16, 1, 3, 3}
	fanIn, fanOut, _ := nn.FanInOut(shape)
	w, b := make([]float32, 16*9), make([]float32, 16)
	rng := rand.New(rand.NewPCG(2, 0))
	if err := nn.DefaultLayer(w, b, shape, rng); err != nil {
		panic(err)
	}
	var mx float64
	for _, v := range w {
		mx = math.Max(mx, math.Abs(float64(v)))
	}
	fmt.Printf("fan_in %d, fan_out %d, bound %.4f, max |w| <= bound: %v\n",
		fanIn, fanOut, nn.KaimingUniformBound(fanIn, math.Sqrt(5)), mx <= 1.0/3)
	// Output:
	// fan_in 9, fan_out 144, bound 0.3333, max |w| <= bound: true
}
