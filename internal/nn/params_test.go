package nn

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/optim"
	"github.com/nasx/nasx/internal/weights"
)

// tinyModel is a conv weight, a BN-like affine pair and its running stats,
// registered under a child prefix as a DARTS cell would be.
type tinyModel struct {
	g      *G.ExprGraph
	params Params
	w, bw  *G.Node
	rm     *tensor.Dense
	nbt    *tensor.Dense
}

func newTiny(t *testing.T, seed uint64) *tinyModel {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0))
	m := &tinyModel{g: G.NewGraph()}
	wd := make([]float32, 4*2*3*3)
	if err := DefaultLayer(wd, nil, []int{4, 2, 3, 3}, rng); err != nil {
		t.Fatal(err)
	}
	m.w = G.NewTensor(m.g, tensor.Float32, 4, G.WithName("w"), G.WithValue(tensor.New(tensor.WithShape(4, 2, 3, 3), tensor.WithBacking(wd))))
	bw := make([]float32, 4)
	Constant(bw, 1)
	m.bw = G.NewVector(m.g, tensor.Float32, G.WithName("bn.w"), G.WithValue(tensor.New(tensor.WithShape(4), tensor.WithBacking(bw))))
	rmd := make([]float32, 4)
	Normal(rmd, 0, 1, rng)
	m.rm = tensor.New(tensor.WithShape(4), tensor.WithBacking(rmd))
	m.nbt = tensor.New(tensor.WithShape(), tensor.WithBacking([]int64{int64(seed)}))
	var op Params
	must(t, op.AddLearnable("1.weight", m.w))
	must(t, op.AddLearnable("2.weight", m.bw))
	must(t, op.AddBuffer("2.running_mean", DenseBuffer{m.rm}))
	must(t, op.AddBuffer("2.num_batches_tracked", DenseBuffer{m.nbt}))
	must(t, m.params.AddModule("cells.0._ops.3.op", &op))
	return m
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestRegistryOrderAndKinds(t *testing.T) {
	m := newTiny(t, 1)
	var names []string
	for _, e := range m.params.Entries() {
		names = append(names, e.Name+":"+e.Kind.String())
	}
	want := []string{
		"cells.0._ops.3.op.1.weight:learnable", "cells.0._ops.3.op.2.weight:learnable",
		"cells.0._ops.3.op.2.running_mean:buffer", "cells.0._ops.3.op.2.num_batches_tracked:buffer",
	}
	if !slices.Equal(names, want) {
		t.Errorf("entries %q, want %q", names, want)
	}
	if l := m.params.Learnables(); len(l) != 2 || l[0] != m.w || l[1] != m.bw {
		t.Errorf("Learnables = %v", l)
	}
	if got := m.params.NumLearnable(); got != 4*2*3*3+4 {
		t.Errorf("NumLearnable = %d, want %d", got, 4*2*3*3+4)
	}
	ps := OptimParams[float32](&m.params)
	if len(ps) != 2 || ps[0].Name() != "cells.0._ops.3.op.1.weight" {
		t.Errorf("OptimParams names: %v", ps)
	}
	var _ []optim.Param[float32] = ps
	for _, tt := range []struct{ name, want string }{
		{"cells.0._ops.3.op.1.weight", "registered twice"},
		{"", "empty name"},
		{"a..b", "empty component"},
		{"a b", "space"},
	} {
		if err := m.params.AddLearnable(tt.name, m.w); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("AddLearnable(%q) error = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.safetensors")
	a, b := newTiny(t, 1), newTiny(t, 2)
	must(t, a.params.Save(path))
	if slices.Equal(a.w.Value().Data().([]float32), b.w.Value().Data().([]float32)) {
		t.Fatal("different seeds gave equal weights")
	}
	must(t, b.params.Load(path, true))
	sa, _ := a.params.StateDict()
	sb, _ := b.params.StateDict()
	for i := range sa {
		if sa[i].Name != sb[i].Name || !slices.Equal(sa[i].Shape, sb[i].Shape) {
			t.Fatalf("entry %d: %s %v vs %s %v", i, sa[i].Name, sa[i].Shape, sb[i].Name, sb[i].Shape)
		}
	}
	if !slices.Equal(a.w.Value().Data().([]float32), b.w.Value().Data().([]float32)) {
		t.Error("weights not loaded in place")
	}
	if !slices.Equal(a.rm.Data().([]float32), b.rm.Data().([]float32)) || b.nbt.Data().(int64) != 1 {
		t.Error("buffers not loaded")
	}
	f, err := weights.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["format"] != "pt" {
		t.Errorf("metadata %v, want format pt (as safetensors.torch.save_file)", f.Metadata)
	}
	nbt, _ := f.Tensor("cells.0._ops.3.op.2.num_batches_tracked")
	if len(nbt.Shape) != 0 {
		t.Errorf("num_batches_tracked shape %v, want a scalar as torch", nbt.Shape)
	}
}

func TestLoadStateDictErrors(t *testing.T) {
	m := newTiny(t, 1)
	sd, err := m.params.StateDict()
	must(t, err)
	before, _ := m.params.StateDict()

	// Missing and unexpected keys under strict, reported together.
	bad := append(slices.Clone(sd[1:]), weights.Tensor{Name: "extra", Shape: []int{1}, Data: []float32{1}})
	err = m.params.LoadStateDict(bad, true)
	if err == nil || !strings.Contains(err.Error(), `missing keys: "cells.0._ops.3.op.1.weight"`) || !strings.Contains(err.Error(), `unexpected keys: "extra"`) {
		t.Errorf("strict load error = %v", err)
	}
	if err := m.params.LoadStateDict(bad, false); err != nil {
		t.Errorf("non-strict load: %v", err)
	}

	// Shape mismatch, in torch's words.
	wrong := slices.Clone(sd)
	wrong[0] = weights.Tensor{Name: wrong[0].Name, Shape: []int{4, 2, 1, 1}, Data: make([]float32, 8)}
	wrong[1] = weights.Tensor{Name: wrong[1].Name, Shape: []int{4}, Data: []float32{9, 9, 9, 9}}
	err = m.params.LoadStateDict(wrong, true)
	if err == nil || !strings.Contains(err.Error(), "size mismatch for cells.0._ops.3.op.1.weight: copying a param with shape [4 2 1 1] from checkpoint, the shape in current model is [4 2 3 3]") {
		t.Errorf("size mismatch error = %v", err)
	}
	// Nothing was changed by the failed load (bn.w would have become 9s).
	after, _ := m.params.StateDict()
	if !slices.Equal(before[1].Data.([]float32), after[1].Data.([]float32)) {
		t.Error("a failed load modified the model")
	}

	// Dtypes: F64 converts into a float32 model, F32 into I64 does not.
	conv := slices.Clone(sd)
	conv[1] = weights.Tensor{Name: conv[1].Name, Shape: []int{4}, Data: []float64{0.5, 1, 2, 4}}
	must(t, m.params.LoadStateDict(conv, true))
	if got := m.bw.Value().Data().([]float32); !slices.Equal(got, []float32{0.5, 1, 2, 4}) {
		t.Errorf("F64 → float32 load gave %v", got)
	}
	conv[3] = weights.Tensor{Name: conv[3].Name, Shape: []int{}, Data: []float32{1}}
	if err := m.params.LoadStateDict(conv, true); err == nil || !strings.Contains(err.Error(), "dtype mismatch for cells.0._ops.3.op.2.num_batches_tracked: checkpoint has F32, the model has I64") {
		t.Errorf("F32 → I64 error = %v", err)
	}
}

// TestSnapshotBuffersExact: SnapshotBuffers restores BatchNorm's float64 running statistics exactly in a float32
// network (a round trip through the float32 state dict would round 0.1+1e-12 to float32), and plain buffers
// through State/Load.
func TestSnapshotBuffersExact(t *testing.T) {
	g := G.NewGraph()
	bn, err := NewBatchNorm(g, tensor.Float32, "bn", 2, false)
	if err != nil {
		t.Fatal(err)
	}
	var p Params
	if err := p.AddModule("bn", bn.Params()); err != nil {
		t.Fatal(err)
	}
	plain := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{1, 2}))
	if err := p.AddBuffer("plain", DenseBuffer{T: plain}); err != nil {
		t.Fatal(err)
	}
	mean, variance := []float64{0.1 + 1e-12, -3}, []float64{0.7 + 1e-12, 2}
	if err := bn.Op.SetRunningStats(mean, variance, 7); err != nil {
		t.Fatal(err)
	}
	restore := p.SnapshotBuffers()
	if err := bn.Op.SetRunningStats([]float64{5, 5}, []float64{5, 5}, 9); err != nil {
		t.Fatal(err)
	}
	copy(plain.Data().([]float32), []float32{8, 9})
	if err := restore(); err != nil {
		t.Fatal(err)
	}
	m, v, n := bn.Op.RunningStats()
	if !slices.Equal(m, mean) || !slices.Equal(v, variance) || n != 7 {
		t.Errorf("restored stats (%v, %v, %d), want (%v, %v, 7) exactly", m, v, n, mean, variance)
	}
	if got := plain.Data().([]float32); !slices.Equal(got, []float32{1, 2}) {
		t.Errorf("restored plain buffer %v, want [1 2]", got)
	}
}
