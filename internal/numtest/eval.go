package numtest

import (
	"fmt"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ForwardBackward builds a graph with one node per input (float32 or float64, all of one dtype), calls build,
// and runs the loss L = sum(out ⊙ r) and its gradients through a TapeMachine. It returns out and dL/dinput for
// each input, read through G.Read nodes (never stale). r must have out's shape and dtype; this is the loss the
// PyTorch generator scripts use, so out and the gradients compare directly with their fixtures.
func ForwardBackward(t testing.TB, build func(g *G.ExprGraph, inputs G.Nodes) *G.Node, inputs []*tensor.Dense, r *tensor.Dense) (*tensor.Dense, []*tensor.Dense) {
	t.Helper()
	g := G.NewGraph()
	nodes := make(G.Nodes, len(inputs))
	for i, in := range inputs {
		nodes[i] = G.NewTensor(g, in.Dtype(), in.Dims(), G.WithShape(in.Shape().Clone()...),
			G.WithValue(in.Clone()), G.WithName(fmt.Sprintf("in%d", i)))
	}
	out := build(g, nodes)
	if out == nil {
		t.Fatal("ForwardBackward: build returned nil")
	}
	if !out.Shape().Eq(r.Shape()) {
		t.Fatalf("ForwardBackward: output shape %v, want %v (the shape of r)", out.Shape(), r.Shape())
	}
	loss := weightedSum(t, out, r.Clone().(*tensor.Dense))
	grads, err := G.Grad(loss, nodes...)
	if err != nil {
		t.Fatalf("ForwardBackward: Grad: %v", err)
	}
	var outV G.Value
	G.Read(out, &outV)
	gradV := make([]G.Value, len(grads))
	for i := range grads {
		G.Read(grads[i], &gradV[i])
	}
	m := G.NewTapeMachine(g, G.FreeIntermediates(Recycler))
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatalf("ForwardBackward: run: %v", err)
	}
	res := make([]*tensor.Dense, len(gradV))
	for i, v := range gradV {
		d, ok := v.(*tensor.Dense)
		if !ok {
			t.Fatalf("ForwardBackward: gradient %d is %T, want *tensor.Dense", i, v)
		}
		res[i] = d.Clone().(*tensor.Dense)
	}
	od, ok := outV.(*tensor.Dense)
	if !ok {
		t.Fatalf("ForwardBackward: output is %T, want *tensor.Dense", outV)
	}
	return od.Clone().(*tensor.Dense), res
}

// weightedSum returns the scalar node sum(flatten(out) ⊙ flatten(r)). It flattens first because gorgonia's
// Sum over middle axes of ≥4-D tensors is wrong (gorgonia notes §2.3).
func weightedSum(t testing.TB, out *G.Node, r *tensor.Dense) *G.Node {
	t.Helper()
	size := out.Shape().TotalSize()
	flat, err := G.Reshape(out, tensor.Shape{size})
	if err != nil {
		t.Fatalf("reshape output %v: %v", out.Shape(), err)
	}
	if err := r.Reshape(size); err != nil {
		t.Fatalf("reshape r: %v", err)
	}
	rn := G.NewConstant(r, G.WithName("R"))
	prod, err := G.HadamardProd(flat, rn)
	if err != nil {
		t.Fatalf("out ⊙ R: %v", err)
	}
	loss, err := G.Sum(prod)
	if err != nil {
		t.Fatalf("sum: %v", err)
	}
	return loss
}
