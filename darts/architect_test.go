package darts

import (
	"path/filepath"
	"testing"

	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/nn"
	"github.com/nasx/nasx/internal/numtest"
	"github.com/nasx/nasx/internal/optim"
	"github.com/nasx/nasx/internal/weights"
	"github.com/nasx/nasx/mim"
)

// TestArchitectMatchesReference runs two search iterations (α step on the
// val batch, then the clipped SGD weight step) on the small NAS-Bench-201
// supernet in float64 and compares α and the weights with
// testdata/gen_architect.py, a port of quark0/darts cnn/architect.py and the
// train_search.py loop, first and second order, and the BN running
// statistics. Float64 on both sides: the bound is tight (atol 1e-10, rtol
// 1e-8).
func TestArchitectMatchesReference(t *testing.T) {
	for _, unrolled := range []bool{false, true} {
		name := map[bool]string{false: "first", true: "unrolled"}[unrolled]
		t.Run(name, func(t *testing.T) {
			s := newTestNet(t, NetConfig{Space: SpaceNB201, C: 4, Layers: 1, Classes: 10, Batch: 2, Height: 32, Width: 32,
				Dtype: tensor.Float64, Task: mim.TaskCls})
			fillPattern(t, s)
			wOpt, err := optim.NewSGD[float64](optim.SGDConfig{LR: 0.025, Momentum: 0.9, WeightDecay: 3e-4})
			if err != nil {
				t.Fatal(err)
			}
			aOpt, err := optim.NewAdam[float64](optim.AdamConfig{LR: 3e-4, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-3})
			if err != nil {
				t.Fatal(err)
			}
			a, err := NewArchitect(s, wOpt, aOpt, ArchConfig{Unrolled: unrolled, GradClip: 5})
			if err != nil {
				t.Fatal(err)
			}
			widen := func(x []float32) []float64 {
				out := make([]float64, len(x))
				for i, v := range x {
					out[i] = float64(v)
				}
				return out
			}
			train := Batch[float64]{X: widen(images(2, 32, 32)), Labels: []float64{0, 1}}
			val := Batch[float64]{X: widen(images(4, 32, 32))[2*3*32*32:], Labels: []float64{2, 3}}
			f, err := weights.ReadFile(filepath.Join("testdata", "architect_"+name+".safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			// The α gradient of the first step, before Adam (which nearly
			// normalises it away on its first steps), compared directly.
			var phase1 func() error
			if unrolled {
				phase1 = func() error { _, err := a.unrolledGrad(train, val); return err }
			} else {
				phase1 = func() error { _, err := Run(s, val); return err }
			}
			// Its passes update the BN statistics; the state dict (exact in float64) is restored after it.
			state, err := s.Weights().StateDict()
			if err != nil {
				t.Fatal(err)
			}
			if err := phase1(); err != nil {
				t.Fatal(err)
			}
			g0, _ := AlphaParams[float64](s)[0].Grad()
			d0, _ := f.Tensor("dalpha0")
			numtest.AllClose(t, g0, d0.Data.([]float64), 1e-10, 1e-8)
			if err := s.Weights().LoadStateDict(state, true); err != nil {
				t.Fatal(err)
			}
			for it := 0; it < 2; it++ {
				if _, err := a.Step(train, val); err != nil {
					t.Fatal(err)
				}
			}
			want, _ := f.Tensor("alpha")
			got, _ := AlphaParams[float64](s)[0].Data()
			numtest.AllClose(t, got, want.Data.([]float64), 1e-10, 1e-8)
			for _, p := range WeightParams[float64](s) {
				w, ok := f.Tensor("w." + p.Name())
				if !ok {
					t.Fatalf("no weight %s in the fixture", p.Name())
				}
				d, _ := p.Data()
				n, m := len(d), min(len(d), 16)
				sample := make([]float64, m)
				for i := range sample {
					if m == 1 {
						sample[i] = d[0]
					} else {
						sample[i] = d[(i*(n-1))/(m-1)]
					}
				}
				numtest.AllClose(t, sample, w.Data.([]float64), 1e-10, 1e-8)
			}
			// BN running statistics: the reference runs the validation pass at w' on a copy of the model, so
			// only the train passes (virtual step, w±, weight step) update them.
			nbuf := 0
			for _, e := range s.Weights().Entries() {
				if e.Kind != nn.Buffer {
					continue
				}
				nbuf++
				w, ok := f.Tensor("b." + e.Name)
				if !ok {
					t.Fatalf("no buffer %s in the fixture", e.Name)
				}
				st := e.Buffer.State()
				if n, ok := st.Data.([]int64); ok {
					if n[0] != w.Data.([]int64)[0] {
						t.Errorf("%s = %d, want %d", e.Name, n[0], w.Data.([]int64)[0])
					}
					continue
				}
				d := st.Data.([]float64)
				n, m := len(d), min(len(d), 16)
				sample := make([]float64, m)
				for i := range sample {
					sample[i] = d[(i*(n-1))/(m-1)]
				}
				numtest.AllClose(t, sample, w.Data.([]float64), 1e-10, 1e-8)
			}
			if nbuf == 0 {
				t.Fatal("the supernet registers no BN buffers")
			}
		})
	}
}
