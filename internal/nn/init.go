package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Float is the set of element types the initialisers fill.
type Float interface {
	~float32 | ~float64
}

// FanInOut returns the fan-in and fan-out of a weight of the given shape, as
// torch.nn.init._calculate_fan_in_and_fan_out: for shape (out, in, k...)
// fan_in = in·∏k and fan_out = out·∏k. A grouped conv's weight has shape
// (out, in/groups, kh, kw), so its fan_in is (in/groups)·kh·kw; a
// ConvTranspose2d weight has shape (in, out/groups, kh, kw), so torch's
// "fan_in" is (out/groups)·kh·kw. Shapes with fewer than 2 dimensions are an
// error, as in torch.
func FanInOut(shape []int) (fanIn, fanOut int, err error) {
	if len(shape) < 2 {
		return 0, 0, fmt.Errorf("nn: fan in and fan out need at least 2 dimensions, got shape %v", shape)
	}
	rf := 1
	for _, k := range shape[2:] {
		rf *= k
	}
	return shape[1] * rf, shape[0] * rf, nil
}

// Gain returns torch.nn.init.calculate_gain(nonlinearity, param): 1 for
// "linear", "conv1d", "conv2d", "conv3d", "conv_transpose2d" and "sigmoid";
// 5/3 for "tanh"; √2 for "relu"; √(2/(1+a²)) for "leaky_relu" with negative
// slope a; 3/4 for "selu".
func Gain(nonlinearity string, a float64) (float64, error) {
	switch nonlinearity {
	case "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid":
		return 1, nil
	case "tanh":
		return 5.0 / 3, nil
	case "relu":
		return math.Sqrt2, nil
	case "leaky_relu":
		return math.Sqrt(2 / (1 + a*a)), nil
	case "selu":
		return 0.75, nil
	}
	return 0, fmt.Errorf("nn: unsupported nonlinearity %q", nonlinearity)
}

// Uniform fills dst from U(lo, hi).
func Uniform[T Float](dst []T, lo, hi float64, rng *rand.Rand) {
	w := hi - lo
	for i := range dst {
		dst[i] = T(lo + w*rng.Float64())
	}
}

// Normal fills dst from N(mean, std²). DARTS initialises its architecture
// parameters α with Normal(dst, 0, 1e-3, rng) (model_search.py:
// 1e-3*torch.randn).
func Normal[T Float](dst []T, mean, std float64, rng *rand.Rand) {
	for i := range dst {
		dst[i] = T(mean + std*rng.NormFloat64())
	}
}

// Constant fills dst with v (BatchNorm: weight and running_var 1, bias and
// running_mean 0).
func Constant[T Float](dst []T, v float64) {
	for i := range dst {
		dst[i] = T(v)
	}
}

// KaimingUniformBound returns the bound of torch.nn.init.kaiming_uniform_
// (mode fan_in, nonlinearity leaky_relu with negative slope a):
// gain·√(3/fan_in) with gain = √(2/(1+a²)). For the a = √5 that torch's
// Conv and Linear layers use, it is 1/√fan_in.
func KaimingUniformBound(fanIn int, a float64) float64 {
	gain := math.Sqrt(2 / (1 + a*a))
	return gain * math.Sqrt(3/float64(fanIn))
}

// KaimingUniform fills dst, a weight of the given shape, from
// U(-b, b) with b = KaimingUniformBound(fan_in, a), as
// torch.nn.init.kaiming_uniform_(w, a=a) (mode fan_in, leaky_relu).
func KaimingUniform[T Float](dst []T, shape []int, a float64, rng *rand.Rand) error {
	fanIn, _, err := checkFill(len(dst), shape)
	if err != nil {
		return err
	}
	b := KaimingUniformBound(fanIn, a)
	Uniform(dst, -b, b, rng)
	return nil
}

// XavierUniformBound returns gain·√(6/(fan_in+fan_out)), the bound of
// torch.nn.init.xavier_uniform_.
func XavierUniformBound(fanIn, fanOut int, gain float64) float64 {
	return gain * math.Sqrt(6/float64(fanIn+fanOut))
}

// XavierUniform fills dst, a weight of the given shape, as
// torch.nn.init.xavier_uniform_(w, gain) (NAR initialises every parameter
// with more than one dimension this way, gain 1).
func XavierUniform[T Float](dst []T, shape []int, gain float64, rng *rand.Rand) error {
	fanIn, fanOut, err := checkFill(len(dst), shape)
	if err != nil {
		return err
	}
	b := XavierUniformBound(fanIn, fanOut, gain)
	Uniform(dst, -b, b, rng)
	return nil
}

// DefaultLayer fills a Conv/ConvTranspose/Linear weight and its bias as
// torch's reset_parameters does (_ConvNd and Linear, PyTorch 1.13):
// weight from kaiming_uniform_(a=√5), i.e. U(-1/√fan_in, 1/√fan_in), then
// bias from U(-1/√fan_in, 1/√fan_in) with the weight's fan_in. bias may be
// nil (bias=False). The weight is drawn before the bias.
func DefaultLayer[T Float](weight, bias []T, shape []int, rng *rand.Rand) error {
	if err := KaimingUniform(weight, shape, math.Sqrt(5), rng); err != nil {
		return err
	}
	if bias != nil {
		fanIn, _, _ := FanInOut(shape)
		b := 0.0
		if fanIn > 0 {
			b = 1 / math.Sqrt(float64(fanIn))
		}
		Uniform(bias, -b, b, rng)
	}
	return nil
}

func checkFill(n int, shape []int) (fanIn, fanOut int, err error) {
	fanIn, fanOut, err = FanInOut(shape)
	if err != nil {
		return 0, 0, err
	}
	want := 1
	for _, d := range shape {
		if d < 0 {
			return 0, 0, fmt.Errorf("nn: negative dimension in shape %v", shape)
		}
		want *= d
	}
	if n != want {
		return 0, 0, fmt.Errorf("nn: dst has %d elements, shape %v needs %d", n, shape, want)
	}
	if want > 0 && fanIn == 0 {
		return 0, 0, fmt.Errorf("nn: shape %v has fan_in 0", shape)
	}
	return fanIn, fanOut, nil
}
