package optim

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchParams returns n float32 params of size each, with seeded values and
// gradients; 1.93M values in all is the DARTS search supernet (8 cells, C=16).
func benchParams(n, size int) []Param[float32] {
	rng := rand.New(rand.NewPCG(1, 2))
	ps := make([]Param[float32], n)
	for i := range ps {
		v, g := make([]float32, size), make([]float32, size)
		for j := range v {
			v[j], g[j] = rng.Float32()-0.5, rng.Float32()-0.5
		}
		ps[i] = NewSlice(fmt.Sprint("p", i), v, g)
	}
	return ps
}

// BenchmarkStep times one optimiser step on two layouts: "darts", 1.93M
// values in 10,000 small tensors (the DARTS search supernet, 8 cells, C=16,
// is 1.93M values, mostly 144- and 256-element conv kernels), and "nar",
// 8M values in 8 large tensors (the NB201 NAR ranker's score head alone is
// a 3968×1024 Linear). Run with -cpu 1,2 to see the gain from the second core.
func BenchmarkStep(b *testing.B) {
	layouts := []struct {
		name        string
		count, size int
	}{{"darts", 10000, 193}, {"nar", 8, 1 << 20}}
	for _, l := range layouts {
		ps := benchParams(l.count, l.size)
		bytes := int64(l.count * l.size * 4)
		for _, tc := range []struct {
			name string
			o    interface{ Step([]Param[float32]) error }
		}{
			{"SGD-momentum-wd", must(NewSGD[float32](SGDConfig{LR: 0.025, Momentum: 0.9, WeightDecay: 3e-4}))},
			{"Adam-wd", must(NewAdam[float32](AdamConfig{LR: 3e-4, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-3}))},
			{"AdamW", must(NewAdamW[float32](AdamConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.99, Eps: 1e-9, WeightDecay: 1e-2}))},
		} {
			b.Run(l.name+"/"+tc.name, func(b *testing.B) {
				b.SetBytes(bytes)
				b.ReportAllocs()
				for b.Loop() {
					if err := tc.o.Step(ps); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(l.name+"/ClipGradNorm", func(b *testing.B) {
			b.SetBytes(bytes)
			for b.Loop() {
				if _, err := ClipGradNorm(ps, 1e9); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
