package nn

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/numtest"
)

func TestChannelConcatAndCropGradients(t *testing.T) {
	a, b, c := randDense([]int{2, 3, 4, 5}, 1), randDense([]int{2, 1, 4, 5}, 2), randDense([]int{2, 2, 4, 5}, 3)
	numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
		return G.Must(ChannelConcat(in...))
	}, []*tensor.Dense{a, b, c}, fdTol)
	numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
		return G.Must(Crop2d(in[0], 1, 2))
	}, []*tensor.Dense{a}, fdTol)
}

// TestChannelConcatAndCropMatchGorgonia compares the ops with gorgonia's Concat and Slice, forward and
// backward (gorgonia's are correct here, only slow).
func TestChannelConcatAndCropMatchGorgonia(t *testing.T) {
	a, b := randDense([]int{2, 3, 4, 5}, 4), randDense([]int{2, 2, 4, 5}, 5)
	r := randDense([]int{2, 5, 4, 5}, 6)
	ours, gOurs := numtest.ForwardBackward(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
		return G.Must(ChannelConcat(in...))
	}, []*tensor.Dense{a, b}, r)
	theirs, gTheirs := numtest.ForwardBackward(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
		return G.Must(G.Concat(1, in...))
	}, []*tensor.Dense{a, b}, r)
	numtest.AllClose(t, ours.Float64s(), theirs.Float64s(), 0, 0)
	for i := range gOurs {
		numtest.AllClose(t, gOurs[i].Float64s(), gTheirs[i].Float64s(), 0, 0)
	}
	r = randDense([]int{2, 3, 3, 3}, 7)
	ours, gOurs = numtest.ForwardBackward(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
		return G.Must(Crop2d(in[0], 1, 2))
	}, []*tensor.Dense{a}, r)
	theirs, gTheirs = numtest.ForwardBackward(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
		return G.Must(G.Slice(in[0], nil, nil, G.S(1, 4), G.S(2, 5)))
	}, []*tensor.Dense{a}, r)
	numtest.AllClose(t, ours.Float64s(), theirs.Float64s(), 0, 0)
	numtest.AllClose(t, gOurs[0].Float64s(), gTheirs[0].Float64s(), 0, 0)
	if _, err := Crop2d(G.NewTensor(G.NewGraph(), tensor.Float32, 4, G.WithShape(1, 1, 2, 2)), 2, 0); err == nil {
		t.Error("crop of the whole height: no error")
	}
}
