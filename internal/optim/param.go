package optim

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Float is the set of element types the optimisers work on.
type Float interface {
	~float32 | ~float64
}

// Param is one named learnable array and the source of its gradient.
//
// Data returns the parameter's storage; optimisers update it in place, so it
// must alias the memory the model reads (for a gorgonia node, the backing
// slice of its value). Grad returns the gradient of the current step, with
// the same length as Data. A nil gradient with a nil error means the
// parameter received no gradient this step: optimisers skip it, as PyTorch
// skips parameters whose .grad is None. Grad may be called several times per
// step (by ClipGradNorm and then by Step) and must return the same storage,
// so that clipping in place is seen by the optimiser.
type Param[T Float] interface {
	Name() string
	Data() ([]T, error)
	Grad() ([]T, error)
}

// Slice is a Param over plain slices. Set G before each step.
type Slice[T Float] struct {
	N string // parameter name
	V []T    // values, updated in place
	G []T    // gradient; nil means no gradient this step
}

var _ Param[float32] = (*Slice[float32])(nil)

// NewSlice returns a Slice parameter named name over value and grad.
func NewSlice[T Float](name string, value, grad []T) *Slice[T] {
	return &Slice[T]{N: name, V: value, G: grad}
}

// Name returns the parameter name.
func (p *Slice[T]) Name() string { return p.N }

// Data returns the value slice.
func (p *Slice[T]) Data() ([]T, error) { return p.V, nil }

// Grad returns the gradient slice.
func (p *Slice[T]) Grad() ([]T, error) { return p.G, nil }

// Node is a Param over a gorgonia learnable node. Its value must be a
// *tensor.Dense of element type T, bound before the machine runs (G.WithValue
// or G.WithInit); the optimiser writes into that tensor's backing slice, which
// the TapeMachine reads in place on its next run. The gradient is read with
// node.Grad() after G.Grad and a TapeMachine run, or from the dual value when
// the machine was built with G.BindDualValues. In the latter case the machine
// adds each run's gradient to the previous one, so call ZeroGrad after Step.
type Node[T Float] struct {
	name string
	n    *G.Node
}

var _ Param[float32] = (*Node[float32])(nil)

// NewNode returns a Param for n named name. If name is empty, n.Name() is used.
func NewNode[T Float](name string, n *G.Node) *Node[T] {
	if name == "" {
		name = n.Name()
	}
	return &Node[T]{name: name, n: n}
}

// Name returns the parameter name.
func (p *Node[T]) Name() string { return p.name }

// Data returns the backing slice of the node's value.
func (p *Node[T]) Data() ([]T, error) {
	return denseData[T](p.name, "value", p.n.Value())
}

// Grad returns the backing slice of the node's gradient.
func (p *Node[T]) Grad() ([]T, error) {
	gv, err := p.n.Grad()
	if err != nil {
		return nil, fmt.Errorf("optim: param %q: %w (call G.Grad on the loss and run the machine first)", p.name, err)
	}
	return denseData[T](p.name, "gradient", gv)
}

// Read is a Param over a gorgonia learnable node whose gradient is captured
// by a G.Read node: build it with
//
//	var gv G.Value
//	G.Read(grads[i], &gv)
//	p := optim.NewRead[float32]("layer.weight", w, &gv)
//
// The machine overwrites gv on each run; Grad reads it at call time.
type Read[T Float] struct {
	name string
	n    *G.Node
	grad *G.Value
}

var _ Param[float32] = (*Read[float32])(nil)

// NewRead returns a Param for n whose gradient is read from *grad. If name
// is empty, n.Name() is used.
func NewRead[T Float](name string, n *G.Node, grad *G.Value) *Read[T] {
	if name == "" {
		name = n.Name()
	}
	return &Read[T]{name: name, n: n, grad: grad}
}

// Name returns the parameter name.
func (p *Read[T]) Name() string { return p.name }

// Data returns the backing slice of the node's value.
func (p *Read[T]) Data() ([]T, error) {
	return denseData[T](p.name, "value", p.n.Value())
}

// Grad returns the backing slice of the value captured by the G.Read node.
func (p *Read[T]) Grad() ([]T, error) {
	if p.grad == nil || *p.grad == nil {
		return nil, fmt.Errorf("optim: param %q: gradient was not read (run the machine with the G.Read node first)", p.name)
	}
	return denseData[T](p.name, "gradient", *p.grad)
}

func denseData[T Float](name, what string, v G.Value) ([]T, error) {
	if v == nil {
		return nil, fmt.Errorf("optim: param %q: %s is not set", name, what)
	}
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("optim: param %q: %s is a %T, want *tensor.Dense", name, what, v)
	}
	s, ok := d.Data().([]T)
	if !ok {
		var zero T
		return nil, fmt.Errorf("optim: param %q: %s has dtype %v, want %T", name, what, d.Dtype(), zero)
	}
	return s, nil
}

// fetch returns the value and gradient of p and checks their lengths. A nil
// gradient (no gradient this step) is returned as is.
func fetch[T Float](p Param[T]) (v, g []T, err error) {
	if v, err = p.Data(); err != nil {
		return nil, nil, err
	}
	if g, err = p.Grad(); err != nil || g == nil {
		return v, nil, err
	}
	if len(g) != len(v) {
		return nil, nil, fmt.Errorf("optim: param %q: gradient has %d elements, value has %d", p.Name(), len(g), len(v))
	}
	return v, g, nil
}

// checkNames returns an error if two params share a name.
func checkNames[T Float](params []Param[T]) error {
	seen := make(map[string]int, len(params))
	for i, p := range params {
		if j, ok := seen[p.Name()]; ok {
			return fmt.Errorf("optim: params %d and %d are both named %q (names key the optimiser state and must be unique)", j, i, p.Name())
		}
		seen[p.Name()] = i
	}
	return nil
}
