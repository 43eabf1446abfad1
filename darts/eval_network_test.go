package darts

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/nn"
	"github.com/nasx/nasx/internal/numtest"
	"github.com/nasx/nasx/internal/op"
	"github.com/nasx/nasx/searchspace"
)

// PyTorch tolerances for float32 goldens (engine brief): atol 1e-5, rtol 1e-4.
const (
	evalAtol = 1e-5
	evalRtol = 1e-4
)

// nb201TestArch is NB201_ARCH of testdata/gen_eval.py.
const nb201TestArch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"

// mixedGenotype is MIXED of testdata/gen_eval.py: every DARTS op in both cells.
var mixedGenotype = searchspace.Genotype{
	Normal: []searchspace.GenotypeEdge{ge("sep_conv_5x5", 0), ge("dil_conv_5x5", 1), ge("avg_pool_3x3", 0), ge("sep_conv_3x3", 2),
		ge("skip_connect", 1), ge("dil_conv_3x3", 2), ge("max_pool_3x3", 0), ge("sep_conv_5x5", 3)},
	NormalConcat: []int{2, 3, 4, 5},
	Reduce: []searchspace.GenotypeEdge{ge("avg_pool_3x3", 0), ge("sep_conv_5x5", 1), ge("dil_conv_5x5", 0), ge("skip_connect", 2),
		ge("max_pool_3x3", 1), ge("dil_conv_3x3", 2), ge("sep_conv_3x3", 3), ge("skip_connect", 0)},
	ReduceConcat: []int{2, 3, 4, 5},
}

func ge(op string, input int) searchspace.GenotypeEdge {
	return searchspace.GenotypeEdge{Op: op, Input: input}
}

func mustGenotype(t *testing.T, name string) searchspace.Genotype {
	t.Helper()
	g, ok := searchspace.BuiltinGenotype(name)
	if !ok {
		t.Fatalf("no built-in genotype %q", name)
	}
	return g
}

type refCount struct {
	Params        int      `json:"params"`
	ParamsWithAux int      `json:"params_with_aux"`
	MultAdds      int64    `json:"mult_adds"`
	Keys          []string `json:"state_dict_keys"`
}

type counted interface {
	Params() *nn.Params
	NumParams() int
	MultAdds() int64
}

func keysOf(p *nn.Params) []string {
	var ks []string
	for _, e := range p.Entries() {
		ks = append(ks, e.Name)
	}
	return ks
}

// TestEvalNetworkCounts checks parameter counts (DARTS convention: auxiliary head excluded), counts with the
// head, multiply-adds and every state_dict key against the PyTorch reference models of testdata/gen_eval.py.
// The DARTS README gives 3.3M (CIFAR-10) and 4.7M (ImageNet) parameters; torch counts 3,349,342 and 4,718,752.
func TestEvalNetworkCounts(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "eval_counts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var refs map[string]refCount
	if err := json.Unmarshal(b, &refs); err != nil {
		t.Fatal(err)
	}
	v2 := mustGenotype(t, "DARTS_V2")
	arch, err := searchspace.ParseNB201(nb201TestArch)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		build func(g *G.ExprGraph) (counted, *G.Node, error)
		input []int
	}{
		{"cifar10_DARTS_V2_C36_L20_aux", func(g *G.ExprGraph) (counted, *G.Node, error) {
			n, err := NewNetworkCIFAR(g, EvalConfig{Genotype: v2, C: 36, Layers: 20, Classes: 10, Auxiliary: true})
			return n, nil, err
		}, []int{1, 3, 32, 32}},
		{"cifar100_DARTS_V2_C36_L20_aux", func(g *G.ExprGraph) (counted, *G.Node, error) {
			n, err := NewNetworkCIFAR(g, EvalConfig{Genotype: v2, C: 36, Layers: 20, Classes: 100, Auxiliary: true})
			return n, nil, err
		}, []int{1, 3, 32, 32}},
		{"cifar10_DARTS_V2_C16_L8", func(g *G.ExprGraph) (counted, *G.Node, error) {
			n, err := NewNetworkCIFAR(g, EvalConfig{Genotype: v2, C: 16, Layers: 8, Classes: 10})
			return n, nil, err
		}, []int{1, 3, 32, 32}},
		{"imagenet_DARTS_V2_C48_L14_aux", func(g *G.ExprGraph) (counted, *G.Node, error) {
			n, err := NewNetworkImageNet(g, EvalConfig{Genotype: v2, C: 48, Layers: 14, Classes: 1000, Auxiliary: true})
			return n, nil, err
		}, []int{1, 3, 224, 224}},
		{"nb201_cifar10_C16_N5", func(g *G.ExprGraph) (counted, *G.Node, error) {
			n, err := NewNB201Network(g, NB201Config{Arch: arch, C: 16, N: 5, Classes: 10})
			return n, nil, err
		}, []int{1, 3, 32, 32}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ref, ok := refs[tc.name]
			if !ok {
				t.Fatalf("no reference for %s", tc.name)
			}
			g := G.NewGraph()
			net, _, err := tc.build(g)
			if err != nil {
				t.Fatal(err)
			}
			x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(tc.input...), G.WithName("x"))
			switch n := net.(type) {
			case *Network:
				_, _, err = n.Forward(x)
			case *NB201Network:
				_, err = n.Forward(x)
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := net.NumParams(); got != ref.Params {
				t.Errorf("NumParams = %d, want %d (torch)", got, ref.Params)
			}
			if got := net.Params().NumLearnable(); got != ref.ParamsWithAux {
				t.Errorf("params with aux = %d, want %d (torch)", got, ref.ParamsWithAux)
			}
			if got := net.MultAdds(); got != ref.MultAdds {
				t.Errorf("MultAdds = %d, want %d (torch hooks)", got, ref.MultAdds)
			}
			if got := keysOf(net.Params()); !slices.Equal(got, ref.Keys) {
				for i := range min(len(got), len(ref.Keys)) {
					if got[i] != ref.Keys[i] {
						t.Fatalf("state_dict key %d = %q, want %q (%d vs %d keys)", i, got[i], ref.Keys[i], len(got), len(ref.Keys))
					}
				}
				t.Fatalf("%d state_dict keys, want %d", len(got), len(ref.Keys))
			}
		})
	}
}

func evalFixture(t *testing.T, name string) *tensor.Dense {
	t.Helper()
	return numtest.MustReadNpy(t, filepath.Join("testdata", "eval", name+".npy"))
}

// TestEvalNetworkTorchParity loads the weights of testdata/gen_eval.py into small networks and compares the
// logits, dL/dx and dL/dθ for every learnable (training mode, batch statistics, no drop-path).
func TestEvalNetworkTorchParity(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "eval", "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string][]string
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	arch, err := searchspace.ParseNB201(nb201TestArch)
	if err != nil {
		t.Fatal(err)
	}
	type net interface {
		Params() *nn.Params
		Learnables() G.Nodes
		Init(*rand.Rand) error
	}
	cases := map[string]func(g *G.ExprGraph) (net, func(*G.Node) (*G.Node, error), error){
		"cifar_v2_C4_L3": func(g *G.ExprGraph) (net, func(*G.Node) (*G.Node, error), error) {
			n, err := NewNetworkCIFAR(g, EvalConfig{Genotype: mustGenotype(t, "DARTS_V2"), C: 4, Layers: 3, Classes: 10})
			return n, func(x *G.Node) (*G.Node, error) { l, _, err := n.Forward(x); return l, err }, err
		},
		"cifar_mixed_C4_L3": func(g *G.ExprGraph) (net, func(*G.Node) (*G.Node, error), error) {
			n, err := NewNetworkCIFAR(g, EvalConfig{Genotype: mixedGenotype, C: 4, Layers: 3, Classes: 10})
			return n, func(x *G.Node) (*G.Node, error) { l, _, err := n.Forward(x); return l, err }, err
		},
		"nb201_C4_N1": func(g *G.ExprGraph) (net, func(*G.Node) (*G.Node, error), error) {
			n, err := NewNB201Network(g, NB201Config{Arch: arch, C: 4, N: 1, Classes: 10})
			return n, n.Forward, err
		},
	}
	for name, build := range cases {
		t.Run(name, func(t *testing.T) {
			g := G.NewGraph()
			n, fwd, err := build(g)
			if err != nil {
				t.Fatal(err)
			}
			if got := keysOf(n.Params()); !slices.Equal(got, keys[name]) {
				t.Fatalf("state_dict keys\n got %v\nwant %v", got, keys[name])
			}
			flat := evalFixture(t, name+"_params").Float32s()
			off := 0
			for _, l := range n.Learnables() {
				d, err := nn.Data[float32](l)
				if err != nil {
					t.Fatal(err)
				}
				if off+len(d) > len(flat) {
					t.Fatalf("torch has %d parameters, nasx more", len(flat))
				}
				copy(d, flat[off:off+len(d)])
				off += len(d)
			}
			if off != len(flat) {
				t.Fatalf("nasx has %d parameters, torch %d", off, len(flat))
			}
			xv := evalFixture(t, name+"_x")
			x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(xv.Shape().Clone()...), G.WithValue(xv), G.WithName("x"))
			logits, err := fwd(x)
			if err != nil {
				t.Fatal(err)
			}
			r := evalFixture(t, name+"_R")
			loss := G.Must(G.Sum(G.Must(G.HadamardProd(G.Must(G.Reshape(logits, tensor.Shape{logits.Shape().TotalSize()})),
				G.NewConstant(tensor.New(tensor.WithShape(r.Shape().TotalSize()), tensor.WithBacking(r.Float32s())))))))
			wrt := append(G.Nodes{x}, n.Learnables()...)
			grads, err := G.Grad(loss, wrt...)
			if err != nil {
				t.Fatal(err)
			}
			var lv G.Value
			G.Read(logits, &lv)
			gv := make([]G.Value, len(grads))
			for i := range grads {
				G.Read(grads[i], &gv[i])
			}
			m := G.NewTapeMachine(g, G.FreeIntermediates(op.Buffers))
			defer m.Close()
			if err := m.RunAll(); err != nil {
				t.Fatal(err)
			}
			numtest.AllClose(t, lv.Data().([]float32), evalFixture(t, name+"_logits").Float32s(), evalAtol, evalRtol)
			numtest.AllClose(t, gv[0].Data().([]float32), evalFixture(t, name+"_dx").Float32s(), evalAtol, evalRtol)
			var all []float32
			for _, v := range gv[1:] {
				all = append(all, v.Data().([]float32)...)
			}
			numtest.AllClose(t, all, evalFixture(t, name+"_grads").Float32s(), evalAtol, evalRtol)
		})
	}
}

// TestAuxHeadFiniteDifferences checks dL/dx through both auxiliary heads in float64 (their weights are too
// large for a torch fixture: the 2×2 conv to 768 channels alone has 393,216; their shapes and parameter
// counts are checked against torch in TestEvalNetworkCounts).
func TestAuxHeadFiniteDifferences(t *testing.T) {
	if testing.Short() {
		t.Skip("about 20 s of finite differences on a busy machine")
	}
	for _, imagenet := range []bool{false, true} {
		size := 8 // CIFAR: the head expects 8×8 (pool 5 stride 3 → 2×2); ImageNet: 7×7 (pool 5 stride 2 → 2×2)
		if imagenet {
			size = 7
		}
		x := tensor.New(tensor.WithShape(2, 1, size, size), tensor.WithBacking(randSlice(2*size*size, 8)))
		numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
			h, err := newAuxHead(g, tensor.Float64, 1, 4, imagenet)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range h.childBlocks {
				if err := b.Init(rand.New(rand.NewPCG(1, 2))); err != nil {
					t.Fatal(err)
				}
			}
			y, err := h.forward(in[0])
			if err != nil {
				t.Fatal(err)
			}
			return y
		}, []*tensor.Dense{x}, 1e-6)
	}
}

func randSlice(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0))
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

// TestAuxConvAsGEMM checks that the auxiliary head's 2×2 convolution computed as one GEMM equals the
// convolution op (fused ReLU), forward and backward, in float64.
func TestAuxConvAsGEMM(t *testing.T) {
	x := tensor.New(tensor.WithShape(3, 128, 2, 2), tensor.WithBacking(randSlice(3*128*4, 9)))
	w := tensor.New(tensor.WithShape(768, 128, 2, 2), tensor.WithBacking(randSlice(768*128*4, 10)))
	r := tensor.New(tensor.WithShape(3, 768, 1, 1), tensor.WithBacking(randSlice(3*768, 11)))
	run := func(gemm bool) (*tensor.Dense, []*tensor.Dense) {
		return numtest.ForwardBackward(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
			h := &auxHead{conv2: &nn.Conv2d{Weight: in[1], P: op.ConvParams{ReLU: true, Groups: 1}}}
			var y *G.Node
			var err error
			if gemm {
				y, err = h.conv2Forward(in[0])
			} else {
				y, err = h.conv2.Forward(in[0])
			}
			if err != nil {
				t.Fatal(err)
			}
			return y
		}, []*tensor.Dense{x, w}, r)
	}
	y1, g1 := run(true)
	y2, g2 := run(false)
	// Both are float64 sums of 512 products in different orders: 1e-12 relative.
	numtest.AllClose(t, y1.Float64s(), y2.Float64s(), 1e-12, 1e-12)
	for i := range g1 {
		numtest.AllClose(t, g1[i].Float64s(), g2[i].Float64s(), 1e-12, 1e-12)
	}
}
