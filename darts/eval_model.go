package darts

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/configs"
	"github.com/nasx/nasx/internal/nn"
	"github.com/nasx/nasx/searchspace"
)

// EvalArch is the architecture `nasx eval` trains: a DARTS genotype (space
// "darts") or a NAS-Bench-201 cell (space "nasbench201").
type EvalArch struct {
	Genotype searchspace.Genotype
	NB201    searchspace.NB201Arch
}

// evalModel is what training needs from a DARTS or NB201 network.
type evalModel interface {
	Params() *nn.Params
	Learnables() G.Nodes
	Init(rng *rand.Rand) error
	SetTraining(training bool)
	NumParams() int
	MultAdds() int64
	// forward returns the logits and the auxiliary logits (nil without the head).
	forward(x *G.Node) (logits, aux *G.Node, err error)
	// dropPathMasks enables drop-path for the next forward and returns a
	// function listing its mask nodes (nil for NB201, which has none).
	enableDropPath() func() []*G.Node
}

func (n *Network) forward(x *G.Node) (*G.Node, *G.Node, error) { return n.Forward(x) }
func (n *Network) enableDropPath() func() []*G.Node {
	n.EnableDropPath()
	return n.DropPathMasks
}

func (n *NB201Network) forward(x *G.Node) (*G.Node, *G.Node, error) {
	l, err := n.Forward(x)
	return l, nil, err
}
func (n *NB201Network) enableDropPath() func() []*G.Node { return nil }

// newEvalModel builds the network cfg describes in g.
func newEvalModel(g *G.ExprGraph, cfg configs.Eval, arch EvalArch, classes int) (evalModel, error) {
	switch cfg.Space {
	case "darts":
		ec := EvalConfig{Genotype: arch.Genotype, C: cfg.InitChannels, Layers: cfg.Layers, Classes: classes,
			Auxiliary: cfg.Auxiliary, Dtype: tensor.Float32}
		if cfg.Dataset == "imagenet" {
			return NewNetworkImageNet(g, ec)
		}
		return NewNetworkCIFAR(g, ec)
	case "nasbench201":
		return NewNB201Network(g, NB201Config{Arch: arch.NB201, C: cfg.InitChannels, N: cfg.Layers, Classes: classes,
			Dtype: tensor.Float32})
	}
	return nil, fmt.Errorf("darts: eval space %q, want darts or nasbench201", cfg.Space)
}

// EvalSize is the size of an evaluation network.
type EvalSize struct {
	// Params counts the learnable scalars without the auxiliary head (DARTS'
	// count_parameters_in_MB convention).
	Params int `json:"params"`
	// ParamsWithAux counts every learnable scalar.
	ParamsWithAux int `json:"params_with_aux"`
	// MultAdds counts the multiply-adds of one image through convolutions
	// and linear layers (auxiliary head excluded; see nn.MultAdder).
	MultAdds int64 `json:"mult_adds"`
}

// DescribeEval builds the network of cfg for one image of c×h×w and returns
// its size, without training or reading data.
func DescribeEval(cfg configs.Eval, arch EvalArch, classes, c, h, w int) (EvalSize, error) {
	g := G.NewGraph()
	m, err := newEvalModel(g, cfg, arch, classes)
	if err != nil {
		return EvalSize{}, err
	}
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, c, h, w), G.WithName("input"))
	if _, _, err := m.forward(x); err != nil {
		return EvalSize{}, err
	}
	return EvalSize{Params: m.NumParams(), ParamsWithAux: m.Params().NumLearnable(), MultAdds: m.MultAdds()}, nil
}
