package darts

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/configs"
	"github.com/nasx/nasx/internal/numtest"
	"github.com/nasx/nasx/internal/op"
	"github.com/nasx/nasx/searchspace"
)

// BenchmarkEvalTrainStep times one forward + backward pass (no optimiser) of the DARTS_V2 evaluation network
// of the short CIFAR run (8 cells, C=16, auxiliary head, 32×32) at batch 32.
//
//	go test ./darts -run XXX -bench EvalTrainStep -benchtime 5x
func BenchmarkEvalTrainStep(b *testing.B) {
	cfg := configs.DefaultEvalCIFAR()
	cfg.Layers, cfg.InitChannels = 8, 16
	g := G.NewGraph()
	gt, ok := searchspace.BuiltinGenotype("DARTS_V2")
	if !ok {
		b.Fatal("no DARTS_V2")
	}
	m, err := newEvalModel(g, cfg, EvalArch{Genotype: gt}, 10)
	if err != nil {
		b.Fatal(err)
	}
	if err := m.Init(rand.New(rand.NewPCG(1, 1))); err != nil {
		b.Fatal(err)
	}
	const n = 32
	rng := rand.New(rand.NewPCG(2, 2))
	xv := make([]float32, n*3*32*32)
	for i := range xv {
		xv[i] = float32(rng.NormFloat64())
	}
	yv := make([]int32, n)
	for i := range yv {
		yv[i] = int32(i % 10)
	}
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(n, 3, 32, 32), G.WithValue(tensor.New(tensor.WithShape(n, 3, 32, 32), tensor.WithBacking(xv))))
	y := G.NewTensor(g, tensor.Int32, 1, G.WithShape(n), G.WithValue(tensor.New(tensor.WithShape(n), tensor.WithBacking(yv))))
	logits, aux, err := m.forward(x)
	if err != nil {
		b.Fatal(err)
	}
	loss := G.Must(op.CrossEntropy(logits, y, 0))
	loss = G.Must(G.Add(loss, G.Must(G.Mul(G.Must(op.CrossEntropy(aux, y, 0)), G.NewConstant(float32(0.4))))))
	if _, err := G.Grad(loss, m.Learnables()...); err != nil {
		b.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.FreeIntermediates(op.Buffers))
	defer vm.Close()
	m.SetTraining(true)
	b.ResetTimer()
	start := numtest.CPUTime()
	for range b.N {
		if err := vm.RunAll(); err != nil {
			b.Fatal(err)
		}
		vm.Reset()
	}
	numtest.ReportCPU(b, start)
}
