package darts

import (
	"fmt"
	"testing"

	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/numtest"
	"github.com/nasx/nasx/mim"
)

var sink Output

// BenchmarkSupernetStep times one forward+backward pass of the DARTS search
// supernet (all weight and α gradients), the unit of a first-order search
// step (a step is two passes plus the optimiser updates). "ref" is the
// reference search size (8 cells, C=16, batch 64, 32×32). Compare with
// testdata/bench_torch_step.py, which times the same pass in PyTorch:
//
//	go test ./darts -run '^$' -bench SupernetStep -benchtime 5x
//	/usr/bin/python3 darts/testdata/bench_torch_step.py
func BenchmarkSupernetStep(b *testing.B) {
	for _, sz := range []struct {
		name                 string
		c, layers, batch, hw int
		task                 mim.Task
	}{
		{"small/C=8/L=5/N=16", 8, 5, 16, 32, mim.TaskCls},
		{"ref8/C=16/L=8/N=8", 16, 8, 8, 32, mim.TaskCls},
		{"ref/C=16/L=8/N=64", 16, 8, 64, 32, mim.TaskCls},
		{"ref-mim/C=16/L=8/N=64", 16, 8, 64, 32, mim.TaskClsMask},
	} {
		b.Run(sz.name, func(b *testing.B) {
			s, err := NewSupernet(NetConfig{Space: SpaceDARTS, C: sz.c, Layers: sz.layers, Classes: 10, Batch: sz.batch,
				Height: sz.hw, Width: sz.hw, Dtype: tensor.Float32, Task: sz.task, PatchSize: 4, ClampLo: -1.99, ClampHi: 2.13})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			t := &testing.T{}
			fillPattern(t, s)
			in := Batch[float32]{X: images(sz.batch, sz.hw, sz.hw), Labels: labels(sz.batch, 10)}
			if sz.task.Reconstructs() {
				g := mim.Geometry{N: sz.batch, C: 3, H: sz.hw, W: sz.hw, P: 4}
				in.Target = make([]float32, len(in.X))
				in.Mask = make([]float32, sz.batch*g.L())
				for i := range in.Mask {
					in.Mask[i] = float32(i % 2)
				}
				if err := mim.Patchify(in.Target, in.X, g); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := Run(s, in); err != nil { // warm-up
				b.Fatal(err)
			}
			start := numtest.CPUTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if sink, err = Run(s, in); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			numtest.ReportCPU(b, start)
			b.ReportMetric(float64(sz.batch*b.N)/b.Elapsed().Seconds(), "img/s")
			_ = fmt.Sprint()
		})
	}
}
