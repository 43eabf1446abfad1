package darts

import (
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"weak"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/nn"
	"github.com/nasx/nasx/internal/numtest"
	"github.com/nasx/nasx/internal/optim"
	"github.com/nasx/nasx/internal/weights"
	"github.com/nasx/nasx/mim"
)

// pattern mirrors gen_supernet.py: offset + scale·(2u − 1) with
// u = splitmix64((k << 32) | i) / 2^64 (exact integer arithmetic on both
// sides).
func pattern(n, k int, scale, offset float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		z := uint64(k)<<32 | uint64(i)
		z += 0x9E3779B97F4A7C15
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
		u := float64(z>>11) * (1.0 / 9007199254740992.0)
		v[i] = offset + scale*(2*u-1)
	}
	return v
}

// fillPattern fills the weights and then the α as gen_supernet.py's fill.
func fillPattern(t *testing.T, s *Supernet) {
	t.Helper()
	k := 0
	for _, reg := range []*struct{ entries []nnEntry }{{s.Weights().Entries()}, {s.Alphas().Entries()}} {
		for _, e := range reg.entries {
			if e.Node == nil {
				continue
			}
			sh := e.Node.Shape()
			n := sh.TotalSize()
			var v []float64
			switch {
			case len(sh) >= 2:
				v = pattern(n, k, 1/math.Sqrt(float64(n/sh[0])), 0)
			case strings.HasSuffix(e.Name, "weight"):
				v = pattern(n, k, 0.2, 1)
			default:
				v = pattern(n, k, 0.1, 0)
			}
			switch d := e.Node.Value().Data().(type) {
			case []float32:
				for i := range d {
					d[i] = float32(v[i])
				}
			case []float64:
				copy(d, v)
			}
			k++
		}
	}
}

func images(n, h, w int) []float32 {
	v := pattern(n*3*h*w, 1000, 2, 0)
	x := make([]float32, len(v))
	for i := range v {
		x[i] = float32(v[i])
	}
	return x
}

// checkParity compares one pass of s with the fixture file. Tolerance: the
// issue's float32 parity bound, atol 1e-4 (rtol 1e-4); a gradient
// projection (a sum over n entries) gets atol·√n, since independent
// rounding errors add like a random walk.
func checkParity[T optim.Float](t *testing.T, s *Supernet, file string, b Batch[T], atol, rtol float64) {
	t.Helper()
	f, err := weights.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	get := func(name string) []T {
		tt, ok := f.Tensor(name)
		if !ok {
			t.Fatalf("%s: no tensor %q", file, name)
		}
		var out []T
		switch d := tt.Data.(type) {
		case []float32:
			for _, v := range d {
				out = append(out, T(v))
			}
		case []float64:
			for _, v := range d {
				out = append(out, T(v))
			}
		}
		return out
	}
	fillPattern(t, s)
	out, err := Run(s, b)
	if err != nil {
		t.Fatal(err)
	}
	numtest.AllClose(t, s.vals.logits.(*tensor.Dense).Data().([]T), get("logits"), atol, rtol)
	numtest.AllClose(t, []T{T(out.Cls)}, get("cls"), atol, rtol)
	numtest.AllClose(t, []T{T(out.Loss)}, get("loss"), atol, rtol)
	if s.rec != nil {
		numtest.AllClose(t, []T{T(out.Rec)}, get("rec"), atol, rtol)
	}
	nGrads := 0
	for _, p := range append(WeightParams[T](s), AlphaParams[T](s)...) {
		g, err := p.Grad()
		if err != nil {
			t.Fatal(err)
		}
		name := p.Name()
		want := get("grad." + name)
		nGrads++
		if len(want) == len(g) {
			t.Run(name, func(t *testing.T) { numtest.AllClose(t, g, want, atol, rtol) })
			continue
		}
		n := len(g)
		m := min(n, 16)
		got := make([]T, m)
		for i := range got {
			if m == 1 {
				got[i] = g[0]
			} else {
				got[i] = g[(i*(n-1))/(m-1)]
			}
		}
		t.Run(name, func(t *testing.T) { numtest.AllClose(t, got, want, atol, rtol) })
		pt, _ := f.Tensor("proj." + name)
		pw := pt.Data.([]float64)[0]
		pat := pattern(n, 99, 1, 0)
		var pg, mag float64
		for i, v := range g {
			pg += float64(v) * pat[i]
			mag += math.Abs(float64(v) * pat[i])
		}
		if d := math.Abs(pg - pw); d > atol*math.Sqrt(float64(n))+rtol*mag {
			t.Errorf("%s: projection %v, want %v (|Δ| %.3g)", name, pg, pw, d)
		}
	}
	// every stored gradient was checked, so the name sets are equal
	stored := 0
	for _, tt := range f.Tensors {
		if strings.HasPrefix(tt.Name, "grad.") {
			stored++
		}
	}
	if stored != nGrads {
		t.Errorf("%d gradients here, %d in %s", nGrads, stored, file)
	}
}

func labels(n, classes int) []float32 {
	y := make([]float32, n)
	for i := range y {
		y[i] = float32(i % classes)
	}
	return y
}

func newTestNet(t *testing.T, cfg NetConfig) *Supernet {
	t.Helper()
	s, err := NewSupernet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Fixtures: testdata/gen_supernet.py (torch 1.13 ports of quark0/darts
// model_search.py, SD@d525eed and AutoDL's TinyNetworkDarts, float32).
func TestParityDARTS(t *testing.T) {
	s := newTestNet(t, NetConfig{Space: SpaceDARTS, C: 8, Layers: 5, Classes: 10, Batch: 2, Height: 32, Width: 32,
		Dtype: tensor.Float32, Task: mim.TaskCls})
	checkParity(t, s, "darts_c8_l5.safetensors", Batch[float32]{X: images(2, 32, 32), Labels: labels(2, 10)}, 1e-4, 1e-4)
}

// TestParityDARTSFloat64 runs the same case in float64 against torch in
// float64: only summation order differs, so the bound is tight.
func TestParityDARTSFloat64(t *testing.T) {
	s := newTestNet(t, NetConfig{Space: SpaceDARTS, C: 8, Layers: 5, Classes: 10, Batch: 2, Height: 32, Width: 32,
		Dtype: tensor.Float64, Task: mim.TaskCls})
	x32 := images(2, 32, 32)
	x := make([]float64, len(x32))
	for i := range x { // gen_supernet.py feeds x.double(): the float32 images widened
		x[i] = float64(x32[i])
	}
	y := []float64{0, 1}
	checkParity(t, s, "darts_c8_l5_f64.safetensors", Batch[float64]{X: x, Labels: y}, 1e-9, 1e-7)
}

func TestParityNB201(t *testing.T) {
	s := newTestNet(t, NetConfig{Space: SpaceNB201, C: 4, Layers: 1, Classes: 10, Batch: 2, Height: 32, Width: 32,
		Dtype: tensor.Float32, Task: mim.TaskCls})
	checkParity(t, s, "nb201_c4_n1.safetensors", Batch[float32]{X: images(2, 32, 32), Labels: labels(2, 10)}, 1e-4, 1e-4)
}

func TestParityDARTSWithMIM(t *testing.T) {
	s := newTestNet(t, NetConfig{Space: SpaceDARTS, C: 2, Layers: 5, Classes: 10, Batch: 2, Height: 32, Width: 32,
		Dtype: tensor.Float32, Task: mim.TaskClsMask, PatchSize: 4, ClampLo: -1.99, ClampHi: 2.13})
	x := images(2, 32, 32)
	mask := make([]float32, 2*64)
	for n := 0; n < 2; n++ { // gen_supernet.py: 1 (removed) unless (7·l + 3·n) mod 5 == 0
		for l := 0; l < 64; l++ {
			if (7*l+3*n)%5 != 0 {
				mask[n*64+l] = 1
			}
		}
	}
	xm, target := make([]float32, len(x)), make([]float32, len(x))
	if err := mim.ApplyMask(xm, target, x, mask, mim.Geometry{N: 2, C: 3, H: 32, W: 32, P: 4}, mim.DefaultFill); err != nil {
		t.Fatal(err)
	}
	checkParity(t, s, "darts_mim_c2_l5.safetensors", Batch[float32]{X: xm, Labels: labels(2, 10), Target: target, Mask: mask}, 1e-4, 1e-4)
}

// TestSupernetHasNoCollision: the small batch-8 supernet builds without two
// nodes sharing a hash, and runs.
func TestSupernetHasNoCollision(t *testing.T) {
	cfg := NetConfig{Space: SpaceDARTS, C: 4, Layers: 3, Classes: 10, Batch: 8, Height: 16, Width: 16,
		Dtype: tensor.Float32, Task: mim.TaskCls}
	s := newTestNet(t, cfg)
	if err := nn.CheckHashes(s.g); err != nil {
		t.Fatalf("NewSupernet left a collision: %v", err)
	}
	x := images(8, 16, 16)
	fillPattern(t, s)
	if _, err := Run(s, Batch[float32]{X: x, Labels: labels(8, 10)}); err != nil {
		t.Fatal(err)
	}
}

// TestSupernetReleasesGraph checks that a closed supernet's graph is garbage (see TestTrainReleasesGraph: the
// Read targets were fields of the Supernet, which holds the finalized machine, so the graph was never freed).
func TestSupernetReleasesGraph(t *testing.T) {
	wp := func() weak.Pointer[G.ExprGraph] {
		s, err := NewSupernet(NetConfig{Space: SpaceNB201, C: 4, Layers: 1, Classes: 10, Batch: 2, Height: 32, Width: 32,
			Dtype: tensor.Float64, Task: mim.TaskClsMask, PatchSize: 8, ClampLo: -2, ClampHi: 2})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		return weak.Make(s.g)
	}()
	for range 3 { // the first GC runs the machine's finalizer, the next ones free what it held
		runtime.GC()
	}
	if wp.Value() != nil {
		t.Error("the graph of a closed supernet is still reachable after 3 GCs")
	}
}
