package ranker

import (
	"math/rand/v2"
	"testing"
)

var sinkOut batchOut

// nb201ModelConfig is NAR's NB201 model (NAR:config/config201.yml).
func nb201ModelConfig() ModelConfig {
	return ModelConfig{NTier: 5, Tokens: NB201Tokens, DPatch: 16, DModel: 128, DInner: 512, DTierInner: 256,
		DValInner: 1024, NLayers: 6, NHead: 4, DK: 32, DV: 32, Dropout: 0.1, NPosition: 200, ScalePrj: true}
}

// BenchmarkNB201 times one training step (forward + backward, no optimiser)
// and one evaluation forward of the NB201 preset model at batch 128:
//
//	go test ./ranker -run '^$' -bench NB201 -benchtime 3x
func BenchmarkNB201(b *testing.B) {
	cfg := nb201ModelConfig()
	m, err := NewModel(cfg, benchBatch, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	in := randBatch(rand.New(rand.NewPCG(1, 2)), cfg, benchBatch)
	b.Run("train", func(b *testing.B) {
		for b.Loop() {
			if sinkOut, err = m.trainStep(in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("eval", func(b *testing.B) {
		for b.Loop() {
			if sinkOut, err = m.forward(in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

var benchBatch = 128
