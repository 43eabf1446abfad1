package op

import (
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// funcOp is the shared implementation of the normalisation, activation, dense, loss and attention ops: an op
// described by its canonical name (which lists every parameter, and the unique id of a stateful op), its hm
// type, a shape rule, a forward function and, for differentiable ops, a SymDiff that builds the backward pass
// from more funcOps. Backward funcOps have no SymDiff and return an error when asked for a second derivative.
//
// funcOps are used through pointers, so gorgonia's op comparisons never compare the function fields.
type funcOp struct {
	pure
	name  string // describe(kind, params...): String() and what WriteHash writes
	arity int
	typ   []hm.Type // argument types then the return type; Type() builds a fresh hm function type from them
	shape func(in []tensor.Shape) (tensor.Shape, error)
	do    func(in []G.Value) (G.Value, error)
	// diffWRT says which inputs get a gradient; nil for a backward op.
	diffWRT []bool
	// symDiff returns one gradient node per input (nil where diffWRT is false).
	symDiff func(in G.Nodes, out, grad *G.Node) (G.Nodes, error)
	// training, when non-nil, is called by the TapeMachine's SetTraining (stateful ops with modes).
	training func(bool)
}

var (
	_ G.Op   = (*funcOp)(nil)
	_ G.SDOp = (*funcOp)(nil)
)

// Arity returns the number of inputs.
func (o *funcOp) Arity() int { return o.arity }

// Type returns the op's hm function type, built anew on each call: gorgonia hands the value it gets back to
// hm's pool (hm.ReturnFnType, which clears it) after inferring a node's type, so a cached one would be
// corrupted.
func (o *funcOp) Type() hm.Type { return hm.NewFnType(o.typ...) }

// InferShape applies the op's shape rule to the input shapes.
func (o *funcOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	shapes := make([]tensor.Shape, len(in))
	for i := range in {
		s, err := shapeOf(o.name, in, i)
		if err != nil {
			return nil, err
		}
		shapes[i] = s
	}
	return o.shape(shapes)
}

// Do runs the forward function on fresh output memory.
func (o *funcOp) Do(in ...G.Value) (G.Value, error) {
	if err := checkArity(o.name, o.arity, len(in)); err != nil {
		return nil, err
	}
	return o.do(in)
}

// String returns the canonical name with every parameter.
func (o *funcOp) String() string { return o.name }

// WriteHash writes the canonical name, which lists every parameter (and the id of a stateful op).
func (o *funcOp) WriteHash(h hash.Hash) { h.Write([]byte(o.name)) }

// Hashcode returns the FNV-1a hash of WriteHash's bytes.
func (o *funcOp) Hashcode() uint32 { return hashcode(o) }

// DiffWRT reports which inputs are differentiable; all false for a backward op.
func (o *funcOp) DiffWRT(n int) []bool {
	if o.diffWRT == nil {
		return make([]bool, n)
	}
	return o.diffWRT
}

// SymDiff builds the gradient nodes of the inputs, or fails for a backward op.
func (o *funcOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if o.symDiff == nil {
		return nil, noSecondOrder(o.name)
	}
	return o.symDiff(in, out, grad)
}

// SetTraining switches a stateful op between training and evaluation; other ops ignore it. The TapeMachine
// calls it when it is built (gorgonia.EvalMode() gives false).
func (o *funcOp) SetTraining(training bool) error {
	if o.training != nil {
		o.training(training)
	}
	return nil
}

// sameShape is the shape rule of elementwise ops: the output has the shape of input 0.
func sameShape(in []tensor.Shape) (tensor.Shape, error) { return in[0].Clone(), nil }

// shapeOfInput returns the shape rule "the output has the shape of input i".
func shapeOfInput(i int) func([]tensor.Shape) (tensor.Shape, error) {
	return func(in []tensor.Shape) (tensor.Shape, error) { return in[i].Clone(), nil }
}

// scalarShape is the shape rule of the losses.
func scalarShape([]tensor.Shape) (tensor.Shape, error) { return tensor.ScalarShape(), nil }

// fnType returns the signature a -> b -> ... -> ret as the list funcOp.Type builds its function type from.
func fnType(ts ...hm.Type) []hm.Type { return ts }

// apply is G.ApplyOp with the error wrapped by the op's name.
func apply(o *funcOp, in ...*G.Node) (*G.Node, error) {
	n, err := G.ApplyOp(o, in...)
	if err != nil {
		return nil, wrapApply(o.name, err)
	}
	return n, nil
}
