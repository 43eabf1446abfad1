package op_test

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/op"
)

// A DARTS mixed edge in miniature: softmax(α) weighs the outputs of the non-"none" candidate ops, each with
// its index into α; the gradient reaches α through the softmax and every candidate. By hand: w = 1/3 each,
// mixed = (skip + pool)/3, dL/dw = (0, Σskip, Σpool) = (0, 3, 12) and dL/dα_k = w_k·(dL/dw_k − 5).
func ExampleWeightedSum() {
	g := G.NewGraph()
	alpha := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("alpha"),
		G.WithValue(tensor.New(tensor.WithBacking([]float64{0, 0, 0}))))
	skip := G.NewVector(g, tensor.Float64, G.WithShape(2), G.WithName("skip"),
		G.WithValue(tensor.New(tensor.WithBacking([]float64{1, 2}))))
	pool := G.NewVector(g, tensor.Float64, G.WithShape(2), G.WithName("pool"),
		G.WithValue(tensor.New(tensor.WithBacking([]float64{4, 8}))))
	w, _ := op.Softmax(alpha)
	// Candidate 0 is "none": it has no term, but its α still enters the softmax.
	mixed, _ := op.WeightedSum(w, op.Term{Index: 1, X: skip}, op.Term{Index: 2, X: pool})
	loss, _ := G.Sum(mixed)
	grads, _ := G.Grad(loss, alpha)
	var out, dAlpha G.Value
	G.Read(mixed, &out)
	G.Read(grads[0], &dAlpha)
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("mixed = %.4f\n", out.Data())
	fmt.Printf("dL/dα = %.4f\n", dAlpha.Data())
	// Output:
	// mixed = [1.6667 3.3333]
	// dL/dα = [-1.6667 -0.6667 2.3333]
}

// Cross-entropy from logits with integer class targets (stored as floats) and label smoothing, as
// torch.nn.CrossEntropyLoss(label_smoothing=0.1); torch 1.13 gives 0.7357452511787415 for these inputs.
func ExampleCrossEntropy() {
	g := G.NewGraph()
	logits := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithName("logits"),
		G.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float32{2, 0, 0, 0, 0, 0}))))
	target := G.NewVector(g, tensor.Float32, G.WithShape(2), G.WithName("target"),
		G.WithValue(tensor.New(tensor.WithBacking([]float32{0, 2}))))
	loss, _ := op.CrossEntropy(logits, target, 0.1)
	var v G.Value
	G.Read(loss, &v)
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("loss = %.4f\n", v.Data())
	// Output:
	// loss = 0.7357
}
