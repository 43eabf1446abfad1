package optim

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/nasx/nasx/internal/weights"
)

// golden is testdata/optim_golden.json, written by testdata/gen_optim.py
// (torch 1.13.0a0, numpy 1.24.2).
type golden struct {
	Torch     string      `json:"torch"`
	Optim     []optimCase `json:"optim"`
	Schedules []schedCase `json:"schedules"`
	Clip      []clipCase  `json:"clip"`
}

type optimCase struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	DType  string `json:"dtype"`
	Config struct {
		LR          float64 `json:"lr"`
		Momentum    float64 `json:"momentum"`
		Dampening   float64 `json:"dampening"`
		WeightDecay float64 `json:"weight_decay"`
		Nesterov    bool    `json:"nesterov"`
		Beta1       float64 `json:"beta1"`
		Beta2       float64 `json:"beta2"`
		Eps         float64 `json:"eps"`
	} `json:"config"`
	LRs    []float64 `json:"lrs"`
	Params []struct {
		Name  string    `json:"name"`
		Shape []int     `json:"shape"`
		Init  []float64 `json:"init"`
	} `json:"params"`
	Grads [][][]float64        `json:"grads"` // [step][param] or null
	After [][][]float64        `json:"after"` // [step][param]
	State map[string][]float64 `json:"state"`
}

type schedCase struct {
	Name     string    `json:"name"`
	Kind     string    `json:"kind"`
	Base     float64   `json:"base"`
	Min      float64   `json:"min"`
	TMax     int       `json:"t_max"`
	StepSize int       `json:"step_size"`
	Gamma    float64   `json:"gamma"`
	Start    float64   `json:"start"`
	End      float64   `json:"end"`
	Iters    int       `json:"iters"`
	Epochs   int       `json:"epochs"`
	Warmup   any       `json:"warmup"` // bool (imagenet) or int (noam)
	LRMul    float64   `json:"lr_mul"`
	DModel   int       `json:"d_model"`
	LR       []float64 `json:"lr"`
	Closed   []float64 `json:"closed"`
}

type clipCase struct {
	Name    string      `json:"name"`
	MaxNorm float64     `json:"max_norm"`
	Grads   [][]float64 `json:"grads"`
	Norm    float64     `json:"norm"`
	Clipped [][]float64 `json:"clipped"`
}

func loadGolden(t testing.TB) golden {
	t.Helper()
	b, err := os.ReadFile("testdata/optim_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Optim) == 0 || len(g.Schedules) == 0 || len(g.Clip) == 0 {
		t.Fatal("optim_golden.json has no cases; re-run testdata/gen_optim.py")
	}
	return g
}

// allClose fails t at the worst element of got that is not within
// atol + rtol·|want| of want.
func allClose[T Float](t testing.TB, what string, got []T, want []float64, atol, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	worst, wi := -1.0, -1
	for i := range got {
		d := math.Abs(float64(got[i]) - want[i])
		if d > atol+rtol*math.Abs(want[i]) || math.IsNaN(float64(got[i])) {
			if d > worst || math.IsNaN(d) {
				worst, wi = d, i
			}
		}
	}
	if wi >= 0 {
		t.Errorf("%s: mismatch at [%d]: got %.9g, want %.9g (|Δ| %.3g > atol %g + rtol %g·|want|)",
			what, wi, got[wi], want[wi], worst, atol, rtol)
	}
}

func conv[T Float](v []float64) []T {
	if v == nil {
		return nil
	}
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}

type stepper[T Float] interface {
	Step([]Param[T]) error
	SetLR(float64)
	StateDict() map[string][]T
	LoadStateDict(map[string][]T) error
}

func newOptimizer[T Float](t testing.TB, c optimCase) stepper[T] {
	t.Helper()
	cf := c.Config
	var (
		o   stepper[T]
		err error
	)
	switch c.Kind {
	case "sgd":
		o, err = NewSGD[T](SGDConfig{LR: cf.LR, Momentum: cf.Momentum, Dampening: cf.Dampening, WeightDecay: cf.WeightDecay, Nesterov: cf.Nesterov})
	case "adam":
		o, err = NewAdam[T](AdamConfig{LR: cf.LR, Beta1: cf.Beta1, Beta2: cf.Beta2, Eps: cf.Eps, WeightDecay: cf.WeightDecay})
	case "adamw":
		o, err = NewAdamW[T](AdamConfig{LR: cf.LR, Beta1: cf.Beta1, Beta2: cf.Beta2, Eps: cf.Eps, WeightDecay: cf.WeightDecay})
	default:
		t.Fatalf("unknown optimiser kind %q", c.Kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// runCase replays the steps of c from step `from` to `to` on params.
func runCase[T Float](t *testing.T, c optimCase, o stepper[T], params []*Slice[T], from, to int, atol, rtol float64) {
	t.Helper()
	ps := make([]Param[T], len(params))
	for i, p := range params {
		ps[i] = p
	}
	for s := from; s < to; s++ {
		if c.LRs != nil {
			o.SetLR(c.LRs[s])
		}
		for i, p := range params {
			p.G = conv[T](c.Grads[s][i])
		}
		if err := o.Step(ps); err != nil {
			t.Fatalf("step %d: %v", s, err)
		}
		for i, p := range params {
			allClose(t, fmt.Sprintf("step %d %s", s, p.N), p.V, c.After[s][i], atol, rtol)
		}
	}
}

func newParams[T Float](c optimCase) []*Slice[T] {
	out := make([]*Slice[T], len(c.Params))
	for i, p := range c.Params {
		out[i] = NewSlice[T](p.Name, conv[T](p.Init), nil)
	}
	return out
}

// Tolerances: float32 vs PyTorch float32 at atol 1e-6, rtol 1e-5 (the engine
// brief); float64 vs PyTorch float64 at 1e-12, where only rounding order
// (fused multiply-adds in torch's vector kernels) differs.
func tol(dtype string) (atol, rtol float64) {
	if dtype == "float32" {
		return 1e-6, 1e-5
	}
	return 1e-12, 1e-12
}

func TestOptimizersMatchPyTorch(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.Optim {
		t.Run(c.Name, func(t *testing.T) {
			atol, rtol := tol(c.DType)
			if c.DType == "float32" {
				testCase[float32](t, c, atol, rtol)
			} else {
				testCase[float64](t, c, atol, rtol)
			}
		})
	}
}

func testCase[T Float](t *testing.T, c optimCase, atol, rtol float64) {
	o := newOptimizer[T](t, c)
	params := newParams[T](c)
	runCase(t, c, o, params, 0, len(c.After), atol, rtol)
	sd := o.StateDict()
	if len(sd) != len(c.State) {
		t.Errorf("StateDict has %d keys, torch state has %d (%v)", len(sd), len(c.State), keys(c.State))
	}
	for k, want := range c.State {
		got, ok := sd[k]
		if !ok {
			t.Errorf("StateDict lacks %q (has %v)", k, keys(sd))
			continue
		}
		allClose(t, "state "+k, got, want, atol, rtol)
	}
}

// TestResumeIsExact checks that exporting the state after 3 steps and
// loading it into a fresh optimiser continues exactly like an uninterrupted
// run (bitwise), and like torch.
func TestResumeIsExact(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.Optim {
		if c.DType != "float32" {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			atol, rtol := tol(c.DType)
			full := newParams[float32](c)
			runCase(t, c, newOptimizer[float32](t, c), full, 0, len(c.After), atol, rtol)

			part := newParams[float32](c)
			o1 := newOptimizer[float32](t, c)
			runCase(t, c, o1, part, 0, 3, atol, rtol)
			o2 := newOptimizer[float32](t, c)
			if err := o2.LoadStateDict(o1.StateDict()); err != nil {
				t.Fatal(err)
			}
			runCase(t, c, o2, part, 3, len(c.After), atol, rtol)
			for i := range full {
				for j := range full[i].V {
					if full[i].V[j] != part[i].V[j] {
						t.Fatalf("%s[%d]: resumed %v != uninterrupted %v", full[i].N, j, part[i].V[j], full[i].V[j])
					}
				}
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestClipGradNormMatchesPyTorch(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.Clip {
		t.Run(c.Name, func(t *testing.T) {
			var ps []Param[float32]
			var ss []*Slice[float32]
			for i, gr := range c.Grads {
				s := NewSlice(fmt.Sprint("p", i), make([]float32, len(gr)), conv[float32](gr))
				ps, ss = append(ps, s), append(ss, s)
			}
			norm, err := ClipGradNorm(ps, c.MaxNorm)
			if err != nil {
				t.Fatal(err)
			}
			// torch reports the float32 norm; ours is accumulated in float64.
			if math.Abs(norm-c.Norm) > 1e-5*c.Norm {
				t.Errorf("norm = %.9g, want %.9g", norm, c.Norm)
			}
			for i, s := range ss {
				allClose(t, s.N, s.G, c.Clipped[i], 1e-6, 1e-5)
			}
		})
	}
}

func TestClipGradNormEdgeCases(t *testing.T) {
	// A gradient of norm exactly 5 = sqrt(3²+4²) with max_norm 5: coef =
	// 5/(5+1e-6) < 1, so torch scales it by that factor too.
	p := NewSlice("w", make([]float64, 2), []float64{3, 4})
	norm, err := ClipGradNorm([]Param[float64]{p}, 5)
	if err != nil || norm != 5 {
		t.Fatalf("ClipGradNorm = %v, %v; want 5, nil", norm, err)
	}
	if want := 3 * 5 / (5 + 1e-6); p.G[0] != want {
		t.Errorf("g[0] = %v, want %v", p.G[0], want)
	}
	// No gradients at all: norm 0, as torch returns tensor(0.).
	if norm, err := ClipGradNorm([]Param[float64]{NewSlice[float64]("w", []float64{1}, nil)}, 1); err != nil || norm != 0 {
		t.Errorf("ClipGradNorm(no grads) = %v, %v; want 0, nil", norm, err)
	}
	nan := NewSlice("w", []float64{0, 0}, []float64{math.NaN(), 1})
	if _, err := ClipGradNorm([]Param[float64]{nan}, 1); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("ClipGradNorm(NaN) error = %v, want one naming NaN", err)
	}
	if nan.G[1] != 1 {
		t.Errorf("a non-finite norm must leave the gradients alone, got %v", nan.G)
	}
	if _, err := ClipGradNorm([]Param[float64]{p}, 0); err == nil {
		t.Error("ClipGradNorm(max_norm 0) = nil error")
	}
}

func TestSchedulesMatchReference(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.Schedules {
		t.Run(c.Name, func(t *testing.T) {
			var s Schedule
			first := 0
			switch c.Kind {
			case "cosine":
				s = Cosine{Base: c.Base, Min: c.Min, TMax: c.TMax}
			case "step":
				s = StepDecay{Base: c.Base, StepSize: c.StepSize, Gamma: c.Gamma}
			case "linear":
				s = Linear{Base: c.Base, Start: c.Start, End: c.End, Iters: c.Iters}
			case "imagenet":
				var err error
				s, err = AlphaDARTSImageNet(c.Base, c.Epochs, c.Warmup.(bool))
				if err != nil {
					t.Fatal(err)
				}
			case "noam":
				s = Noam{LRMul: c.LRMul, DModel: c.DModel, Warmup: int(c.Warmup.(float64))}
				first = 1 // Noam counts steps from 1
			default:
				t.Fatalf("unknown kind %q", c.Kind)
			}
			if v, ok := s.(interface{ Validate() error }); ok {
				if err := v.Validate(); err != nil {
					t.Fatal(err)
				}
			}
			got := make([]float64, len(c.LR))
			for i := range got {
				got[i] = s.LR(first + i)
			}
			// torch's schedulers update recursively (lr·factor per step), so
			// they drift from the closed form by a few float64 ulps.
			allClose(t, "lr", got, c.LR, 1e-15, 1e-12)
			if c.Closed != nil {
				allClose(t, "closed form", got, c.Closed, 0, 1e-15)
			}
		})
	}
}

func TestNoamPeak(t *testing.T) {
	// algorithms.md B.3: peak ≈ 1.13e-3 at step 30 for NB201 and ≈ 8.8e-4
	// at step 50 for NB101.
	for _, tt := range []struct {
		s    Noam
		peak int
		want float64
	}{
		{Noam{LRMul: 0.07, DModel: 128, Warmup: 30}, 30, 1.13e-3},
		{Noam{LRMul: 0.1, DModel: 256, Warmup: 50}, 50, 8.8e-4},
	} {
		best := 1
		for n := 1; n <= 200; n++ {
			if tt.s.LR(n) > tt.s.LR(best) {
				best = n
			}
		}
		if best != tt.peak || math.Abs(tt.s.LR(best)-tt.want) > 0.01*tt.want {
			t.Errorf("%+v: peak %.4g at step %d, want ≈%.3g at %d", tt.s, tt.s.LR(best), best, tt.want, tt.peak)
		}
	}
}

func TestLinearDecayLastEpochs(t *testing.T) {
	// E = 250, base 0.5: lr(244) = 0.5·1/245; lr(245) = 0.5·5/(245·5) (the
	// second branch starts where E-e = 5); lr(249) = 0.5·1/(245·5).
	s := LinearDecay{Base: 0.5, Epochs: 250}
	for _, tt := range []struct {
		e    int
		want float64
	}{{0, 0.5}, {244, 0.5 / 245}, {245, 0.5 * 5 / (245 * 5)}, {249, 0.5 / (245 * 5)}} {
		if got := s.LR(tt.e); math.Abs(got-tt.want) > 1e-15 {
			t.Errorf("LinearDecay.LR(%d) = %v, want %v", tt.e, got, tt.want)
		}
	}
}

func TestStateTensorsRoundTrip(t *testing.T) {
	o, _ := NewAdam[float32](AdamConfig{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
	w := NewSlice("cells.0.w", []float32{1, 2, 3, 4, 5, 6}, []float32{1, -1, 1, -1, 1, -1})
	if err := o.Step([]Param[float32]{w}); err != nil {
		t.Fatal(err)
	}
	ts, err := StateTensors(o.StateDict(), map[string][]int{"cells.0.w": {2, 3}}, "optim.")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tt := range ts {
		names = append(names, fmt.Sprint(tt.Name, tt.Shape))
	}
	want := "[optim.cells.0.w.exp_avg[2 3] optim.cells.0.w.exp_avg_sq[2 3] optim.cells.0.w.step[]]"
	if fmt.Sprint(names) != want {
		t.Errorf("StateTensors = %v, want %v", names, want)
	}
	b, err := weights.Encode(ts, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := weights.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := StateFromTensors[float32](f.Tensors, "optim.")
	if err != nil {
		t.Fatal(err)
	}
	o2, _ := NewAdam[float32](o.Config())
	if err := o2.LoadStateDict(sd); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(o2.StateDict()) != fmt.Sprint(o.StateDict()) {
		t.Errorf("state after a safetensors round trip: %v, want %v", o2.StateDict(), o.StateDict())
	}
	if _, err := StateTensors(o.StateDict(), nil, ""); err == nil {
		t.Error("StateTensors without shapes = nil error")
	}
	if _, err := StateFromTensors[float64](f.Tensors, "optim."); err == nil {
		t.Error("StateFromTensors[float64] of float32 data = nil error")
	}
}

// TestParallelUpdateIsExact checks that splitting a large update across
// goroutines gives bitwise the same result as one goroutine (the golden
// cases are too small to take the parallel path).
func TestParallelUpdateIsExact(t *testing.T) {
	const n = 3*minParallel + 17
	run := func(procs, count, size int) [][]float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		var out [][]float32
		for _, o := range []stepper[float32]{
			must(NewSGD[float32](SGDConfig{LR: 0.025, Momentum: 0.9, WeightDecay: 3e-4, Nesterov: true})),
			must(NewAdam[float32](AdamConfig{LR: 3e-4, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-3})),
			must(NewAdamW[float32](AdamConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.99, Eps: 1e-9, WeightDecay: 1e-2})),
		} {
			ps := benchParams(count, size)
			for s := 0; s < 3; s++ {
				if err := o.Step(ps); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range ps {
				v, _ := p.Data()
				out = append(out, v)
			}
		}
		return out
	}
	// One large param split across goroutines, and many small ones shared out.
	one := append(run(1, 1, n), run(1, 300, 509)...)
	four := append(run(4, 1, n), run(4, 300, 509)...)
	for k := range one {
		for i := range one[k] {
			if math.Float32bits(one[k][i]) != math.Float32bits(four[k][i]) {
				t.Fatalf("array %d, element %d: %v with 1 goroutine, %v with 4", k, i, one[k][i], four[k][i])
			}
		}
	}
}
