package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/nn"
	"github.com/nasx/nasx/internal/numtest"
	"github.com/nasx/nasx/internal/op"
)

// Sizes of the engine issue's benchmarks (issue 5, "Benchmarks"): the DARTS mixed edge and cell on
// N=32, C=16, 16×16; the NAR transformer layer of the NB201 configuration (algorithms.md B.3: d_model 128,
// 4 heads of d_k 32, d_ffn_inner 512, 31 tokens, batch 128). bench_torch.py uses the same numbers.
const (
	edgeN, edgeC, edgeH, edgeW = 32, 16, 16, 16

	tfBatch, tfTokens, tfModel, tfHeads, tfInner = 128, 31, 128, 4, 512
	tfEps                                        = 1e-6 // NAR's LayerNorm eps (algorithms.md B.3)
)

// block is a built training step: a graph with its loss and gradients, and what it needs to run.
type block struct {
	g      *G.ExprGraph
	params G.Nodes // everything the step differentiates (α, conv weights, ...)
	loss   *G.Node
	grads  G.Nodes
	lossV  G.Value
	gradV  []G.Value
}

// builder creates seeded parameter and input nodes on one graph.
type builder struct {
	g      *G.ExprGraph
	rng    *rand.Rand
	params G.Nodes
	n      int
}

func newBuilder(seed uint64) *builder {
	return &builder{g: G.NewGraph(), rng: rand.New(rand.NewPCG(seed, 0x5eed))}
}

// tensorOf returns a float32 tensor of shape with entries uniform in [−scale, scale).
func (b *builder) tensorOf(scale float64, shape ...int) *tensor.Dense {
	size := 1
	for _, s := range shape {
		size *= s
	}
	v := make([]float32, size)
	for i := range v {
		v[i] = float32(scale * (2*b.rng.Float64() - 1))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}

// input returns a node holding fixed data that is not differentiated.
func (b *builder) input(name string, shape ...int) *G.Node {
	return G.NewTensor(b.g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
		G.WithValue(b.tensorOf(1, shape...)))
}

// param returns a differentiated node with PyTorch's default (kaiming-uniform, a=√5) bound 1/√fanIn.
func (b *builder) param(fanIn int, shape ...int) *G.Node {
	b.n++
	p := G.NewTensor(b.g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(fmt.Sprintf("p%d", b.n)),
		G.WithValue(b.tensorOf(1/math.Sqrt(float64(fanIn)), shape...)))
	b.params = append(b.params, p)
	return p
}

// bn applies a fresh BatchNorm2d(affine=False), as every BN of a DARTS search supernet.
func (b *builder) bn(x *G.Node) *G.Node {
	l, err := op.NewBatchNorm2d(x.Shape()[1], op.BatchNormConfig{})
	if err != nil {
		panic(err)
	}
	return must(l.Apply(x, nil, nil))
}

// reluConv is DARTS' ReLU → conv without bias; the ReLU is fused into the conv op.
func (b *builder) reluConv(x *G.Node, cout, k, pad, dil, groups int) *G.Node {
	cin := x.Shape()[1]
	w := b.param(cin/groups*k*k, cout, cin/groups, k, k)
	return must(op.Conv2d(x, w, nil, op.ConvParams{Padding: [2]int{pad, pad}, Dilation: [2]int{dil, dil},
		Groups: groups, ReLU: true}))
}

// conv is a conv without bias and without ReLU.
func (b *builder) conv(x *G.Node, cout, k int) *G.Node {
	cin := x.Shape()[1]
	w := b.param(cin*k*k, cout, cin, k, k)
	return must(op.Conv2d(x, w, nil, op.ConvParams{Padding: [2]int{k / 2, k / 2}}))
}

// sepConv is DARTS' SepConv (operations.py) at stride 1: [ReLU, depthwise k×k, pointwise 1×1, BN] twice.
func (b *builder) sepConv(x *G.Node, k int) *G.Node {
	c := x.Shape()[1]
	for range 2 {
		x = b.bn(b.conv(b.reluConv(x, c, k, k/2, 1, c), c, 1))
	}
	return x
}

// dilConv is DARTS' DilConv at stride 1, dilation 2: ReLU, depthwise k×k, pointwise 1×1, BN.
func (b *builder) dilConv(x *G.Node, k int) *G.Node {
	c := x.Shape()[1]
	return b.bn(b.conv(b.reluConv(x, c, k, k-1, 2, c), c, 1))
}

// mixedTerms returns the terms of DARTS' MixedOp (model_search.py) at stride 1 over the 8 PRIMITIVES, in
// their order: none, max_pool_3x3, avg_pool_3x3, skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3,
// dil_conv_5x5, with each pool followed by BN(affine=False). Term k weighs op k by entry base+k of the
// softmax weights. "none" contributes 0·x: it has no term (its α still enters the softmax), in
// bench_torch.py too.
func (b *builder) mixedTerms(x *G.Node, base int) []op.Term {
	pool := op.PoolParams{Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}}
	return []op.Term{
		{Index: base + 1, X: b.bn(must(op.MaxPool2d(x, pool)))},
		{Index: base + 2, X: b.bn(must(op.AvgPool2d(x, pool, false)))},
		{Index: base + 3, X: x},
		{Index: base + 4, X: b.sepConv(x, 3)},
		{Index: base + 5, X: b.sepConv(x, 5)},
		{Index: base + 6, X: b.dilConv(x, 3)},
		{Index: base + 7, X: b.dilConv(x, 5)},
	}
}

// alphas returns α of shape (rows, 8), initialised 1e-3·randn-like as DARTS does (here uniform of the same
// scale; the values do not change the work).
func (b *builder) alphas(rows int) *G.Node {
	a := G.NewTensor(b.g, tensor.Float32, 2, G.WithShape(rows, 8), G.WithName("alpha"),
		G.WithValue(b.tensorOf(1e-3, rows, 8)))
	b.params = append(b.params, a)
	return a
}

// finish adds loss = mean((y − target)²) (a MaskedMSE with every row kept), its gradients w.r.t. every
// parameter and Read nodes for all of them, and prunes the graph to what those reads need.
func (b *builder) finish(y *G.Node) *block {
	s := y.Shape()
	d := s[len(s)-1]
	rows := s.TotalSize() / d
	flat := must(G.Reshape(y, tensor.Shape{rows, d}))
	target := G.NewTensor(b.g, tensor.Float32, 2, G.WithShape(rows, d), G.WithName("target"),
		G.WithValue(b.tensorOf(1, rows, d)))
	ones := make([]float32, rows)
	for i := range ones {
		ones[i] = 1
	}
	mask := G.NewTensor(b.g, tensor.Float32, 1, G.WithShape(rows), G.WithName("mask"),
		G.WithValue(tensor.New(tensor.WithShape(rows), tensor.WithBacking(ones))))
	loss := must(op.MaskedMSE(flat, target, mask))
	grads, err := G.Grad(loss, b.params...)
	if err != nil {
		panic(err)
	}
	bl := &block{params: b.params, loss: loss, grads: grads, gradV: make([]G.Value, len(grads))}
	roots := G.Nodes{G.Read(loss, &bl.lossV)}
	for i, gr := range grads {
		roots = append(roots, G.Read(gr, &bl.gradV[i]))
	}
	bl.g = b.g.SubgraphRoots(roots...)
	return bl
}

// newMixedEdge builds one DARTS mixed edge: x (32, 16, 16, 16) → mixed, gradients w.r.t. α (8) and the 12
// conv weights.
func newMixedEdge() *block {
	b := newBuilder(1)
	x := b.input("x", edgeN, edgeC, edgeH, edgeW)
	a := b.alphas(1)
	w := must(op.Softmax(must(G.Reshape(a, tensor.Shape{8}))))
	return b.finish(must(op.WeightedSum(w, b.mixedTerms(x, 0)...)))
}

// newCell builds one DARTS normal search cell (model_search.py Cell, reduction_prev False): s0 and s1
// (32, 16, 16, 16) each through ReLUConvBN 1×1 (C 16 → 16), 4 nodes over 14 mixed edges (node i sums one
// MixedOp per earlier state), output the channel concat of the 4 nodes (32, 64, 16, 16). Gradients w.r.t.
// α (14, 8) and all 170 conv weights (2 preprocessing, 12 per edge). Each node is one WeightedSum over the
// terms of all its edges, weighted by the flattened softmax(α) (edge e's op k at entry 8e+k): the same sum
// as adding the edges' MixedOps, with no per-edge slice of the weights and no chain of adds.
func newCell() *block {
	b := newBuilder(2)
	s0 := b.input("s0", edgeN, edgeC, edgeH, edgeW)
	s1 := b.input("s1", edgeN, edgeC, edgeH, edgeW)
	a := b.alphas(14)
	w := must(G.Reshape(must(op.Softmax(a)), tensor.Shape{14 * 8}))
	states := G.Nodes{b.bn(b.reluConv(s0, edgeC, 1, 0, 1, 1)), b.bn(b.reluConv(s1, edgeC, 1, 0, 1, 1))}
	e := 0
	for range 4 {
		var terms []op.Term
		for _, h := range states {
			terms = append(terms, b.mixedTerms(h, 8*e)...)
			e++
		}
		states = append(states, must(op.WeightedSum(w, terms...)))
	}
	return b.finish(must(G.Concat(1, states[2:]...)))
}

// newTransformerLayer builds one post-LN encoder layer of NAR's transformer (algorithms.md B.3, jadore801120's
// EncoderLayer) with the module the ranker runs, nn.EncoderLayer: bias-free Q/K/V projections of the whole
// d_model, each one GEMM, heads split by a view and a transpose, the 1/√d_k scale folded into the query weight,
// softmax attention, fc, residual + LayerNorm; then Linear(128, 512) → ReLU → Linear(512, 128), residual +
// LayerNorm, on x (128, 31, 128). Dropout is 0 (bench_torch.py has none either) so that the step is
// deterministic. Gradients w.r.t. the layer's 12 weights and biases.
func newTransformerLayer() *block {
	b := newBuilder(3)
	x := b.input("x", tfBatch, tfTokens, tfModel)
	nb := nn.NewBuilder(b.g, tensor.Float32, 3)
	l, err := nb.NewEncoderLayer("layer", nn.LayerConfig{DInner: tfInner, Attention: nn.AttentionConfig{
		DModel: tfModel, NHead: tfHeads, DK: tfModel / tfHeads, DV: tfModel / tfHeads, Eps: tfEps}})
	if err != nil {
		panic(err)
	}
	// Weights U(±1/√fan_in) as torch's Linear; LayerNorm weights near 1 and every bias near 0, but not equal,
	// so that their gradients are generic.
	for _, e := range nb.Params.Entries() {
		data, err := nn.Data[float32](e.Node)
		if err != nil {
			panic(err)
		}
		switch shape := e.Node.Shape(); {
		case len(shape) > 1:
			nn.Uniform(data, -1/math.Sqrt(float64(shape[1])), 1/math.Sqrt(float64(shape[1])), b.rng)
		case strings.HasSuffix(e.Name, "layer_norm.weight"):
			nn.Uniform(data, 0.9, 1.1, b.rng)
		default:
			nn.Uniform(data, -0.1, 0.1, b.rng)
		}
	}
	b.params = nb.Params.Learnables()
	return b.finish(must(l.Forward(x)))
}

func must(n *G.Node, err error) *G.Node {
	if err != nil {
		panic(err)
	}
	return n
}

// benchBlock times Reset + RunAll of one training step (forward and backward; no optimiser step) on a
// TapeMachine built once, and reports the process CPU time per step (cpu-ms/op) next to the wall time.
func benchBlock(b *testing.B, build func() *block) {
	bl := build()
	m := G.NewTapeMachine(bl.g, append(op.VMOpts(), G.BindDualValues(bl.params...))...)
	defer m.Close()
	// Warm-up, at least 2 steps and 100 ms: the first steps fill the buffer pool and start the kernels' helper
	// goroutines, and a block of a few ms needs more than two steps before its times settle (with only two,
	// -benchtime 10x timed the 2-thread mixed edge at 5.7 ms, against 3.4 ms at 200x).
	for i, start := 0, time.Now(); i < 2 || time.Since(start) < 100*time.Millisecond; i++ {
		m.Reset()
		if err := m.RunAll(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	defer numtest.ReportCPU(b, numtest.CPUTime())
	for b.Loop() {
		m.Reset()
		if err := m.RunAll(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMixedEdge is one DARTS mixed edge (8 ops, N=32, C=16, 16×16), forward + backward w.r.t. α and
// the 12 conv weights, loss mean((mixed − target)²). PyTorch side: bench_torch.py, "mixed_edge".
func BenchmarkMixedEdge(b *testing.B) { benchBlock(b, newMixedEdge) }

// BenchmarkCell is one DARTS normal search cell (14 mixed edges, C=16, N=32, 16×16), forward + backward.
// PyTorch side: bench_torch.py, "cell".
func BenchmarkCell(b *testing.B) { benchBlock(b, newCell) }

// BenchmarkTransformerLayer is one NAR post-LN encoder layer (d_model 128, 4 heads, d_ffn 512, 31 tokens,
// batch 128), forward + backward. PyTorch side: bench_torch.py, "transformer_layer".
func BenchmarkTransformerLayer(b *testing.B) { benchBlock(b, newTransformerLayer) }
