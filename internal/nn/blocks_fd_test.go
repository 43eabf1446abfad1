package nn

import (
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/numtest"
	"github.com/nasx/nasx/internal/op"
)

// fdTol is the finite-difference tolerance in float64 (numtest.CheckGrad: |a − n| <= tol·(1 + |n|)):
// central differences with h = 1e-6 leave errors near 1e-8 on these losses, so 1e-6 catches real mistakes.
const fdTol = 1e-6

func randDense(shape []int, seed uint64) *tensor.Dense {
	rng := rand.New(rand.NewPCG(seed, 0))
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}

// TestBlocksFiniteDifferences checks dL/dx of every block in float64 (the parameter gradients are checked
// against torch in TestBlocksTorchParity).
func TestBlocksFiniteDifferences(t *testing.T) {
	for name, build := range blockCases {
		t.Run(name, func(t *testing.T) {
			if strings.HasPrefix(name, "maxpool") {
				t.Skip("max pooling is not differentiable at ties; its op has its own FD test in internal/op")
			}
			x := randDense([]int{2, 4, 6, 6}, 3)
			if strings.HasPrefix(name, "nb201_res") {
				x = randDense([]int{2, 4, 4, 4}, 3)
			}
			numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
				blk, err := build(g, tensor.Float64)
				if err != nil {
					t.Fatal(err)
				}
				if err := blk.Init(rand.New(rand.NewPCG(5, 6))); err != nil {
					t.Fatal(err)
				}
				y, err := blk.Forward(in[0])
				if err != nil {
					t.Fatal(err)
				}
				return y
			}, []*tensor.Dense{x}, fdTol)
		})
	}
}

func TestZero(t *testing.T) {
	for _, stride := range []int{1, 2} {
		x := randDense([]int{2, 3, 6, 6}, 1)
		y, grads := numtest.ForwardBackward(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
			y, err := (&Zero{Stride: stride}).Forward(in[0])
			if err != nil {
				t.Fatal(err)
			}
			return y
		}, []*tensor.Dense{x}, randDense([]int{2, 3, 6 / stride, 6 / stride}, 2))
		for i, v := range y.Float64s() {
			if v != 0 {
				t.Fatalf("stride %d: y[%d] = %v, want 0", stride, i, v)
			}
		}
		for i, v := range grads[0].Float64s() {
			if v != 0 {
				t.Fatalf("stride %d: dx[%d] = %v, want 0", stride, i, v)
			}
		}
	}
}

func TestOpRegistries(t *testing.T) {
	g := G.NewGraph()
	for _, name := range DARTSOps {
		for _, stride := range []int{1, 2} {
			for _, search := range []bool{false, true} {
				f, err := DARTSOp(name)
				if search {
					f, err = DARTSSearchOp(name)
				}
				if err != nil {
					t.Fatal(err)
				}
				blk, err := f(g, tensor.Float32, "e", 4, stride, !search)
				if err != nil {
					t.Fatalf("%s stride %d: %v", name, stride, err)
				}
				x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(2, 4, 8, 8))
				y, err := blk.Forward(x)
				if err != nil {
					t.Fatalf("%s stride %d: %v", name, stride, err)
				}
				if want := (tensor.Shape{2, 4, 8 / stride, 8 / stride}); !y.Shape().Eq(want) {
					t.Errorf("%s stride %d: shape %v, want %v", name, stride, y.Shape(), want)
				}
				if strings.Contains(name, "pool") { // search pools carry BN(affine=False): 3 buffers
					want := 0
					if search {
						want = 3
					}
					if got := blk.Params().Len(); got != want {
						t.Errorf("%s search=%v: %d state entries, want %d", name, search, got, want)
					}
				}
			}
		}
	}
	for _, name := range NB201Ops {
		f, err := NB201Op(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f(g, tensor.Float32, "n", 4, 1, true); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, bad := range []string{"sep_conv_9x9", "", "conv_7x1_1x7"} {
		if _, err := DARTSOp(bad); err == nil || !strings.Contains(err.Error(), "no implementation") {
			t.Errorf("DARTSOp(%q) error = %v, want no implementation", bad, err)
		}
	}
	if _, err := NB201Op("sep_conv_3x3"); err == nil || !strings.Contains(err.Error(), `"sep_conv_3x3"`) {
		t.Errorf("NB201Op(sep_conv_3x3) error = %v", err)
	}
	f, _ := NB201Op("skip_connect")
	if _, err := f(g, tensor.Float32, "n", 4, 2, true); err == nil {
		t.Error("NB201 skip_connect at stride 2: no error")
	}
	if _, err := NewFactorizedReduce(g, tensor.Float32, "fr", 4, 5, true); err == nil {
		t.Error("FactorizedReduce with odd cout: no error")
	}
	if _, err := NewConv2d(g, tensor.Int32, "c", 4, 4, 3, opParamsGroups(2), false); err == nil {
		t.Error("int32 conv: no error")
	}
}

// TestBlocksDoNotMerge builds two identical ReLUConvBN blocks on one input with equal weights: gorgonia must
// keep them apart (their BatchNorms are stateful), so both update their own running statistics.
func TestBlocksDoNotMerge(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float64, 4, G.WithShape(2, 3, 4, 4), G.WithValue(randDense([]int{2, 3, 4, 4}, 9)))
	var outs G.Nodes
	var blocks []*ReLUConvBN
	for range 2 {
		b, err := NewReLUConvBN(g, tensor.Float64, "same", 3, 3, 3, 1, 1, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Init(rand.New(rand.NewPCG(1, 1))); err != nil {
			t.Fatal(err)
		}
		y, err := b.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		outs, blocks = append(outs, y), append(blocks, b)
	}
	if outs[0] == outs[1] {
		t.Fatal("two blocks on one input share an output node")
	}
	sum := G.Must(G.Add(outs[0], outs[1]))
	m := G.NewTapeMachine(g, G.FreeIntermediates(op.Buffers))
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	_ = sum
	for i, b := range blocks {
		if _, _, n := b.BN.Op.RunningStats(); n != 1 {
			t.Errorf("block %d: %d batches tracked, want 1", i, n)
		}
	}
}

func opParamsGroups(groups int) op.ConvParams { return op.ConvParams{Groups: groups} }
