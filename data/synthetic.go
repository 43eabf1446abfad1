package data

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// SyntheticConfig configures Synthetic.
type SyntheticConfig struct {
	// Train and Test are the split sizes; must be ≥ 0.
	Train, Test int
	// Classes is the number of classes; must be in [2, 256].
	Classes int
	// Size is the image side; must be ≥ 4.
	Size int
	// Seed makes the set reproducible.
	Seed uint64
}

// DefaultSynthetic is a CIFAR-shaped synthetic set: 10 classes of 32×32,
// 5,000 train and 1,000 test images.
func DefaultSynthetic() SyntheticConfig {
	return SyntheticConfig{Train: 5000, Test: 1000, Classes: 10, Size: 32, Seed: 1}
}

// Synthetic returns a dataset that needs no files: class k is a pattern of
// stripes at angle π·k/Classes with a class colour, random phase per image
// and Gaussian noise (σ = 24 levels), so a tiny network separates the
// classes within a few steps. Labels cycle through the classes (equal
// counts, ±1). The images are a function of the config alone.
func Synthetic(cfg SyntheticConfig) (*Dataset, error) {
	if cfg.Train < 0 || cfg.Test < 0 || cfg.Classes < 2 || cfg.Classes > 256 || cfg.Size < 4 {
		return nil, fmt.Errorf("data: synthetic: train %d, test %d, classes %d, size %d: want train, test ≥ 0, classes in [2, 256], size ≥ 4",
			cfg.Train, cfg.Test, cfg.Classes, cfg.Size)
	}
	mk := func(n int, stream uint64) *Images {
		m := NewImages(n, 3, cfg.Size, cfg.Size)
		rng := rand.New(rand.NewPCG(cfg.Seed, stream))
		s := cfg.Size
		for i := 0; i < n; i++ {
			k := i % cfg.Classes
			m.Labels[i] = int32(k)
			theta := math.Pi * float64(k) / float64(cfg.Classes)
			cos, sin := math.Cos(theta), math.Sin(theta)
			phase := 2 * math.Pi * rng.Float64()
			// Class colour: a hue on the colour wheel.
			var col [3]float64
			for c := 0; c < 3; c++ {
				col[c] = 0.5 + 0.5*math.Cos(2*math.Pi*(float64(k)/float64(cfg.Classes)+float64(c)/3))
			}
			px := m.At(i)
			freq := 2 * math.Pi * 4 / float64(s) // 4 periods across the image
			for y := 0; y < s; y++ {
				for x := 0; x < s; x++ {
					wave := math.Sin(freq*(float64(x)*cos+float64(y)*sin) + phase)
					for c := 0; c < 3; c++ {
						v := 128 + 50*wave + 60*(col[c]-0.5) + 24*rng.NormFloat64()
						px[c*s*s+y*s+x] = uint8(math.Max(0, math.Min(255, math.Round(v))))
					}
				}
			}
		}
		return m
	}
	ds := &Dataset{Name: "synthetic", Train: mk(cfg.Train, 1), Test: mk(cfg.Test, 2), Classes: cfg.Classes,
		Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.25, 0.25, 0.25}}
	return ds, nil
}
