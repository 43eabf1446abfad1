package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// NewLearnable returns a learnable node of g named name, of element type dt
// (tensor.Float32 or tensor.Float64) and the given shape (at least one
// dimension), bound to a zero-filled value. Fill it afterwards through Data
// (construction and initialisation are separate steps, as in spago).
func NewLearnable(g *G.ExprGraph, dt tensor.Dtype, name string, shape ...int) (*G.Node, error) {
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, fmt.Errorf("nn: learnable %q: dtype %v, want float32 or float64", name, dt)
	}
	if len(shape) == 0 {
		return nil, fmt.Errorf("nn: learnable %q: no shape, want at least one dimension", name)
	}
	for _, d := range shape {
		if d <= 0 {
			return nil, fmt.Errorf("nn: learnable %q: shape %v, want every dimension > 0", name, shape)
		}
	}
	v := tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
	return G.NewTensor(g, dt, len(shape), G.WithName(name), G.WithShape(shape...), G.WithValue(v)), nil
}

// Data returns the backing slice of n's value: writes to it change what the
// next machine run reads. T must be n's element type.
func Data[T Float](n *G.Node) ([]T, error) {
	v := n.Value()
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("nn: node %q: value is a %T, want *tensor.Dense", n.Name(), v)
	}
	s, ok := d.Data().([]T)
	if !ok {
		var zero T
		return nil, fmt.Errorf("nn: node %q: dtype %v, want %T", n.Name(), d.Dtype(), zero)
	}
	return s, nil
}
