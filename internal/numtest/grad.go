package numtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// fdStep is the central-difference step. For float64 losses of order 1 it balances truncation error
// (O(h²)) against rounding error (O(ε/h) ≈ 1e-10): the usual choice, also the engine brief's.
const fdStep = 1e-6

// maxFDPerInput caps how many entries of each input are perturbed; larger inputs are sampled with a fixed
// stride, so the check stays fast and deterministic.
const maxFDPerInput = 256

// CheckGrad compares the symbolic gradient that gorgonia derives for build's output with central finite
// differences. inputs must be float64 tensors. CheckGrad builds a graph with one node per input, calls build,
// and forms the loss L = sum(out ⊙ R) with a fixed pseudo-random R (uniform in [-1, 1), seeded), so that
// every output element enters the loss with a different weight. It then takes dL/dinput with G.Grad and a
// TapeMachine, and compares each entry with (L(x+h) − L(x−h)) / 2h, h = 1e-6: the check passes when
// |analytic − numeric| <= tol·(1 + |numeric|). Failures name the input, the flat index and both values.
func CheckGrad(t testing.TB, build func(g *G.ExprGraph, inputs G.Nodes) *G.Node, inputs []*tensor.Dense, tol float64) {
	t.Helper()
	g := G.NewGraph()
	nodes := make(G.Nodes, len(inputs))
	vals := make([][]float64, len(inputs))
	for i, in := range inputs {
		if in.Dtype() != tensor.Float64 {
			t.Fatalf("CheckGrad: input %d has dtype %v, want float64", i, in.Dtype())
		}
		c := in.Clone().(*tensor.Dense)
		vals[i] = c.Float64s()
		nodes[i] = G.NewTensor(g, tensor.Float64, in.Dims(), G.WithShape(in.Shape().Clone()...),
			G.WithValue(c), G.WithName(fmt.Sprintf("in%d", i)))
	}
	out := build(g, nodes)
	if out == nil {
		t.Fatal("CheckGrad: build returned nil")
	}
	size := out.Shape().TotalSize()
	rng := rand.New(rand.NewPCG(7, 11))
	r := make([]float64, size)
	for i := range r {
		r[i] = 2*rng.Float64() - 1
	}
	loss := weightedSum(t, out, tensor.New(tensor.WithShape(size), tensor.WithBacking(r)))
	grads, err := G.Grad(loss, nodes...)
	if err != nil {
		t.Fatalf("CheckGrad: Grad: %v", err)
	}
	var lossV G.Value
	G.Read(loss, &lossV)
	gradV := make([]G.Value, len(grads))
	for i := range grads {
		G.Read(grads[i], &gradV[i])
	}
	m := G.NewTapeMachine(g, G.FreeIntermediates(Recycler))
	defer m.Close()
	run := func() float64 {
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatalf("CheckGrad: run: %v", err)
		}
		return lossV.Data().(float64)
	}
	run()
	analytic := make([][]float64, len(grads))
	for i, v := range gradV {
		d, ok := v.(*tensor.Dense)
		if !ok {
			t.Fatalf("CheckGrad: gradient %d is %T, want *tensor.Dense", i, v)
		}
		if !d.Shape().Eq(inputs[i].Shape()) {
			t.Fatalf("CheckGrad: gradient %d has shape %v, want %v", i, d.Shape(), inputs[i].Shape())
		}
		analytic[i] = append([]float64(nil), d.Float64s()...)
	}
	for i, x := range vals {
		step := 1
		if len(x) > maxFDPerInput {
			step = (len(x) + maxFDPerInput - 1) / maxFDPerInput
		}
		bad := 0
		for j := 0; j < len(x); j += step {
			orig := x[j]
			x[j] = orig + fdStep
			lp := run()
			x[j] = orig - fdStep
			lm := run()
			x[j] = orig
			num := (lp - lm) / (2 * fdStep)
			if a := analytic[i][j]; !(math.Abs(a-num) <= tol*(1+math.Abs(num))) {
				if bad < 5 {
					t.Errorf("CheckGrad: input %d %v [%d]: analytic %.10g, finite difference %.10g (|Δ| %.3g, tol %g)",
						i, inputs[i].Shape(), j, a, num, math.Abs(a-num), tol)
				}
				bad++
			}
		}
		if bad > 5 {
			t.Errorf("CheckGrad: input %d: %d more mismatches", i, bad-5)
		}
	}
}
