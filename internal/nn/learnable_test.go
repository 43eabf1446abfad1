package nn

import (
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/op"
)

func TestNewLearnableInitInPlace(t *testing.T) {
	g := G.NewGraph()
	w, err := NewLearnable(g, tensor.Float32, "stem.0.weight", 4, 3, 3, 3)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Data[float32](w)
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != 4*27 {
		t.Fatalf("len(Data) = %d, want 108", len(d))
	}
	if err := DefaultLayer(d, nil, []int{4, 3, 3, 3}, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	// The machine reads the initialised values.
	var out G.Value
	G.Read(G.Must(G.Sum(G.Must(G.Reshape(w, tensor.Shape{108})))), &out)
	m := G.NewTapeMachine(g, G.FreeIntermediates(op.Buffers))
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	var want float32
	for _, v := range d {
		want += v
	}
	if got := out.Data().(float32); got == 0 || abs(float64(got-want)) > 1e-5 {
		t.Errorf("sum over the node = %v, want %v", got, want)
	}
	if _, err := Data[float64](w); err == nil || !strings.Contains(err.Error(), "dtype") {
		t.Errorf("Data[float64] of a float32 node: %v", err)
	}
	for _, bad := range []struct {
		dt    tensor.Dtype
		shape []int
	}{{tensor.Int, []int{2}}, {tensor.Float32, nil}, {tensor.Float32, []int{2, 0}}} {
		if _, err := NewLearnable(g, bad.dt, "x", bad.shape...); err == nil {
			t.Errorf("NewLearnable(%v, %v) = nil error", bad.dt, bad.shape)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
