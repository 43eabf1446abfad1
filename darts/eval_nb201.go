package darts

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/nn"
	"github.com/nasx/nasx/internal/op"
	"github.com/nasx/nasx/searchspace"
)

// NB201Config describes a NAS-Bench-201 network (algorithms.md F; xautodl
// cell_infers/tiny_network.py TinyNetwork with InferCell cells).
type NB201Config struct {
	// Arch is the cell, the same in every stage.
	Arch searchspace.NB201Arch
	// C is the stem width (benchmark: 16); must be > 0.
	C int
	// N is the number of cells per stage (benchmark: 5); must be > 0.
	N int
	// Classes is the number of classes; must be > 1.
	Classes int
	// Dtype is tensor.Float32 (default when zero) or tensor.Float64.
	Dtype tensor.Dtype
}

// nb201EvalCell is InferCell: node j = Σ_{i<j} op_{i→j}(node i), output node 3;
// its ops are "layers.k" in edge order.
type nb201EvalCell struct {
	ops    []nn.Block
	params nn.Params
}

func newNB201EvalCell(g *G.ExprGraph, dt tensor.Dtype, name string, arch searchspace.NB201Arch, c int) (*nb201EvalCell, error) {
	cell := &nb201EvalCell{}
	for k, code := range arch {
		if code < 0 || code >= len(searchspace.NB201Ops) {
			return nil, fmt.Errorf("%s edge %d: op code %d, want 0..%d", name, k, code, len(searchspace.NB201Ops)-1)
		}
		f, err := nn.NB201Op(searchspace.NB201Ops[code])
		if err != nil {
			return nil, err
		}
		blk, err := f(g, dt, fmt.Sprintf("%s.layers.%d", name, k), c, 1, true)
		if err != nil {
			return nil, err
		}
		cell.ops = append(cell.ops, blk)
		if err := cell.params.AddModule(fmt.Sprintf("layers.%d", k), blk.Params()); err != nil {
			return nil, err
		}
	}
	return cell, nil
}

func (c *nb201EvalCell) forward(x *G.Node) (*G.Node, error) {
	nodes := []*G.Node{x}
	k := 0
	for j := 1; j <= 3; j++ {
		var sum *G.Node
		for i := 0; i < j; i++ {
			h, err := c.ops[k].Forward(nodes[i])
			if err != nil {
				return nil, fmt.Errorf("edge %d<-%d: %w", j, i, err)
			}
			k++
			if sum == nil {
				sum = h
			} else if sum, err = G.Add(sum, h); err != nil {
				return nil, err
			}
		}
		nodes = append(nodes, sum)
	}
	return nodes[3], nil
}

// NB201Network is NAS-Bench-201's macro network: stem Conv3×3(3 → C) + BN,
// three stages of N cells at C, 2C and 4C joined by ResNetBasicblocks of
// stride 2, then BN + ReLU, global average pooling and a linear classifier.
type NB201Network struct {
	cfg     NB201Config
	stemC   *nn.Conv2d
	stemBN  *nn.BatchNorm
	cells   []any // *nb201EvalCell or *nn.ResNetBasicblock
	blocks  []nn.Block
	lastBN  *nn.BatchNorm
	classif *nn.Linear
	params  nn.Params
}

// NewNB201Network builds the network in g.
func NewNB201Network(g *G.ExprGraph, cfg NB201Config) (*NB201Network, error) {
	if cfg.Dtype == (tensor.Dtype{}) {
		cfg.Dtype = tensor.Float32
	}
	if cfg.C <= 0 || cfg.N <= 0 || cfg.Classes < 2 {
		return nil, fmt.Errorf("darts: NAS-Bench-201 network: C %d, N %d, classes %d: want C > 0, N > 0, classes >= 2",
			cfg.C, cfg.N, cfg.Classes)
	}
	dt := cfg.Dtype
	n := &NB201Network{cfg: cfg}
	var err error
	if n.stemC, err = nn.NewConv2d(g, dt, "stem.0", 3, cfg.C, 3, op.ConvParams{Padding: [2]int{1, 1}}, false); err != nil {
		return nil, err
	}
	if n.stemBN, err = nn.NewBatchNorm(g, dt, "stem.1", cfg.C, true); err != nil {
		return nil, err
	}
	n.blocks = []nn.Block{n.stemC, n.stemBN}
	if err := n.params.AddModule("stem.0", n.stemC.Params()); err != nil {
		return nil, err
	}
	if err := n.params.AddModule("stem.1", n.stemBN.Params()); err != nil {
		return nil, err
	}
	cPrev, idx := cfg.C, 0
	for stage := range 3 {
		c := cfg.C << stage
		if stage > 0 {
			name := fmt.Sprintf("cells.%d", idx)
			rb, err := nn.NewResNetBasicblock(g, dt, name, cPrev, c, 2, true)
			if err != nil {
				return nil, err
			}
			n.cells = append(n.cells, rb)
			n.blocks = append(n.blocks, rb)
			if err := n.params.AddModule(name, rb.Params()); err != nil {
				return nil, err
			}
			idx++
		}
		for range cfg.N {
			name := fmt.Sprintf("cells.%d", idx)
			cell, err := newNB201EvalCell(g, dt, name, cfg.Arch, c)
			if err != nil {
				return nil, err
			}
			n.cells = append(n.cells, cell)
			n.blocks = append(n.blocks, cell.ops...)
			if err := n.params.AddModule(name, &cell.params); err != nil {
				return nil, err
			}
			idx++
		}
		cPrev = c
	}
	if n.lastBN, err = nn.NewBatchNorm(g, dt, "lastact.0", cPrev, true); err != nil {
		return nil, err
	}
	if n.classif, err = nn.NewLinear(g, dt, "classifier", cPrev, cfg.Classes); err != nil {
		return nil, err
	}
	n.blocks = append(n.blocks, n.lastBN, n.classif)
	if err := n.params.AddModule("lastact.0", n.lastBN.Params()); err != nil {
		return nil, err
	}
	return n, n.params.AddModule("classifier", n.classif.Params())
}

// Forward builds the network on x (N, 3, H, W) and returns the logits.
func (n *NB201Network) Forward(x *G.Node) (*G.Node, error) {
	h, err := chainBlocks(x, n.stemC, n.stemBN)
	if err != nil {
		return nil, fmt.Errorf("stem: %w", err)
	}
	for i, c := range n.cells {
		switch c := c.(type) {
		case *nb201EvalCell:
			h, err = c.forward(h)
		case *nn.ResNetBasicblock:
			h, err = c.Forward(h)
		}
		if err != nil {
			return nil, fmt.Errorf("cell %d: %w", i, err)
		}
	}
	if h, err = n.lastBN.Forward(h); err != nil {
		return nil, err
	}
	if h, err = op.ReLU(h); err != nil {
		return nil, err
	}
	if h, err = op.GlobalAvgPool2d(h); err != nil {
		return nil, err
	}
	if s := h.Shape(); len(s) == 4 {
		if h, err = G.Reshape(h, tensor.Shape{s[0], s[1]}); err != nil {
			return nil, err
		}
	}
	return n.classif.Forward(h)
}

// Params returns every learnable and buffer under xautodl's state_dict names.
func (n *NB201Network) Params() *nn.Params { return &n.params }

// NumParams returns the number of learnable scalars.
func (n *NB201Network) NumParams() int { return n.params.NumLearnable() }

// MultAdds returns the multiply-adds of one sample of the latest Forward
// (convolutions and linear layers, see nn.MultAdder).
func (n *NB201Network) MultAdds() int64 {
	var total int64
	for _, b := range n.blocks {
		total += macs(b)
	}
	return total
}

// Init fills every learnable as torch's default initialisation does, in
// registration order.
func (n *NB201Network) Init(rng *rand.Rand) error {
	for _, b := range n.blocks {
		if err := b.Init(rng); err != nil {
			return err
		}
	}
	return nil
}

// Learnables returns every learnable node in registration order.
func (n *NB201Network) Learnables() G.Nodes { return n.params.Learnables() }

// SetTraining switches every BatchNorm between batch and running statistics.
func (n *NB201Network) SetTraining(training bool) {
	for _, b := range n.blocks {
		b.SetTraining(training)
	}
}
