package darts

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/numtest"
)

func TestScaleSamplesGradient(t *testing.T) {
	x := tensor.New(tensor.WithShape(3, 2, 2, 2), tensor.WithBacking(randSlice(24, 1)))
	numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
		s := G.NewTensor(g, tensor.Float64, 1, G.WithShape(3), G.WithValue(tensor.New(tensor.WithBacking([]float64{0, 1.25, 1.25}))))
		return G.Must(scaleSamples(in[0], s))
	}, []*tensor.Dense{x}, 1e-6)
}

// TestFillDropMasks checks DARTS' drop_path scales: 1/keep with probability keep, else 0; exact ones at p = 0;
// the same draws for the same generator state.
func TestFillDropMasks(t *testing.T) {
	g := G.NewGraph()
	m := G.NewTensor(g, tensor.Float32, 1, G.WithShape(20000), G.WithValue(tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(20000))))
	fillDropMasks([]*G.Node{m}, 0.2, rand.New(rand.NewPCG(1, 2)))
	v := append([]float32(nil), m.Value().Data().([]float32)...)
	kept := 0
	for i, s := range v {
		switch s {
		case 1.25: // 1/0.8
			kept++
		case 0:
		default:
			t.Fatalf("scale[%d] = %v, want 0 or 1.25", i, s)
		}
	}
	// Binomial(20000, 0.8): mean 16000, σ ≈ 57; 5σ bounds.
	if kept < 16000-285 || kept > 16000+285 {
		t.Errorf("%d of 20000 kept, want about 16000", kept)
	}
	fillDropMasks([]*G.Node{m}, 0.2, rand.New(rand.NewPCG(1, 2)))
	numtest.AllClose(t, m.Value().Data().([]float32), v, 0, 0)
	fillDropMasks([]*G.Node{m}, 0, nil)
	for i, s := range m.Value().Data().([]float32) {
		if s != 1 {
			t.Fatalf("p = 0: scale[%d] = %v, want 1", i, s)
		}
	}
}
