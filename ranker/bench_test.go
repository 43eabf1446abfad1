package ranker

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

var sinkOut batchOut

// nb201ModelConfig is NAR's NB201 model (NAR:config/config201.yml).
func nb201ModelConfig() ModelConfig {
	return ModelConfig{NTier: 5, Tokens: NB201Tokens, DPatch: 16, DModel: 128, DInner: 512, DTierInner: 256,
		DValInner: 1024, NLayers: 6, NHead: 4, DK: 32, DV: 32, Dropout: 0.1, NPosition: 200, ScalePrj: true}
}

// cpuTime returns the process's user + system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds cpu-ms/op, the CPU time of all threads per iteration,
// which is steadier than wall time on a shared machine.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime(b)-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// BenchmarkNB201 times one training step (forward + backward, no optimiser)
// and one evaluation forward of the NB201 preset model at batch 128, its
// decoder on the whole batch and on micro-batches of 32, 16 and 8, in wall
// time and in CPU time (cpu-ms/op):
//
//	go test ./ranker -run '^$' -bench NB201 -benchtime 3x -benchmem
func BenchmarkNB201(b *testing.B) {
	for _, micro := range []int{benchBatch, 32, 16, 8} {
		b.Run(fmt.Sprintf("micro=%d", micro), func(b *testing.B) {
			cfg := nb201ModelConfig()
			m, err := NewModel(cfg, benchBatch, micro, 1)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			in := randBatch(rand.New(rand.NewPCG(1, 2)), cfg, benchBatch)
			b.Run("train", func(b *testing.B) {
				start := cpuTime(b)
				for b.Loop() {
					if sinkOut, err = m.trainStep(in); err != nil {
						b.Fatal(err)
					}
				}
				reportCPU(b, start)
			})
			b.Run("eval", func(b *testing.B) {
				start := cpuTime(b)
				for b.Loop() {
					if sinkOut, err = m.forward(in); err != nil {
						b.Fatal(err)
					}
				}
				reportCPU(b, start)
			})
		})
	}
}

var benchBatch = 128
