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

// EvalConfig describes a DARTS evaluation network (quark0/darts cnn/model.py).
type EvalConfig struct {
	// Genotype is the cell architecture; it must validate.
	Genotype searchspace.Genotype
	// C is the initial channel count (DARTS: 36 on CIFAR, 48 on ImageNet). There is no default; must be > 0.
	C int
	// Layers is the number of cells (DARTS: 20 on CIFAR, 14 on ImageNet); must be >= 3 so that both
	// reduction cells exist.
	Layers int
	// Classes is the number of classes; must be > 1.
	Classes int
	// Auxiliary adds the auxiliary head after cell 2·Layers/3.
	Auxiliary bool
	// Dtype is tensor.Float32 (default when zero) or tensor.Float64.
	Dtype tensor.Dtype
}

func (c EvalConfig) validate(imagenet bool) (EvalConfig, error) {
	if c.Dtype == (tensor.Dtype{}) {
		c.Dtype = tensor.Float32
	}
	if c.C <= 0 || c.Layers < 3 || c.Classes < 2 {
		return c, fmt.Errorf("darts: eval network: init channels %d, layers %d, classes %d: want C > 0, layers >= 3, classes >= 2",
			c.C, c.Layers, c.Classes)
	}
	if imagenet && c.C%2 != 0 {
		return c, fmt.Errorf("darts: ImageNet network: init channels %d, want an even number (stem0 has C/2 channels)", c.C)
	}
	if len(c.Genotype.Normal) == 0 || len(c.Genotype.Normal)%2 != 0 || len(c.Genotype.Reduce) != len(c.Genotype.Normal) {
		return c, fmt.Errorf("darts: genotype with %d normal and %d reduce edges: want the same even number in both",
			len(c.Genotype.Normal), len(c.Genotype.Reduce))
	}
	return c, nil
}

// evalCell is model.Cell: preprocess0/1, then two ops per node on the
// states named by the genotype, drop-path on every op that is not an
// Identity while training, and the concatenation of the concat states.
type evalCell struct {
	pre0, pre1 nn.Block
	ops        []nn.Block
	indices    []int
	concat     []int
	dropOK     []bool    // drop-path applies (the op is not an Identity)
	masks      []*G.Node // per-op drop-path scales of the latest Forward; nil entries for identities
	reduction  bool
	params     nn.Params
	children   []nn.Block
}

func newEvalCell(g *G.ExprGraph, dt tensor.Dtype, name string, gt searchspace.Genotype, cpp, cp, c int,
	reduction, reductionPrev bool) (*evalCell, error) {
	cell := &evalCell{reduction: reduction}
	var err error
	if reductionPrev {
		cell.pre0, err = nn.NewFactorizedReduce(g, dt, name+".preprocess0", cpp, c, true)
	} else {
		cell.pre0, err = nn.NewReLUConvBN(g, dt, name+".preprocess0", cpp, c, 1, 1, 0, true)
	}
	if err != nil {
		return nil, err
	}
	if cell.pre1, err = nn.NewReLUConvBN(g, dt, name+".preprocess1", cp, c, 1, 1, 0, true); err != nil {
		return nil, err
	}
	edges, concat := gt.Normal, gt.NormalConcat
	if reduction {
		edges, concat = gt.Reduce, gt.ReduceConcat
	}
	cell.concat = concat
	cell.children = []nn.Block{cell.pre0, cell.pre1}
	prefixes := []string{"preprocess0", "preprocess1"}
	for i, e := range edges {
		stride := 1
		if reduction && e.Input < 2 {
			stride = 2
		}
		f, err := nn.DARTSOp(e.Op)
		if err != nil {
			return nil, fmt.Errorf("%s edge %d: %w", name, i, err)
		}
		blk, err := f(g, dt, fmt.Sprintf("%s._ops.%d", name, i), c, stride, true)
		if err != nil {
			return nil, fmt.Errorf("%s edge %d (%s): %w", name, i, e.Op, err)
		}
		_, id := blk.(*nn.Identity)
		cell.ops = append(cell.ops, blk)
		cell.dropOK = append(cell.dropOK, !id)
		cell.indices = append(cell.indices, e.Input)
		cell.children = append(cell.children, blk)
		prefixes = append(prefixes, fmt.Sprintf("_ops.%d", i))
	}
	for _, c := range cell.children {
		if err := cell.params.AddModule(prefixes[0], c.Params()); err != nil {
			return nil, err
		}
		prefixes = prefixes[1:]
	}
	return cell, nil
}

func (c *evalCell) forward(s0, s1 *G.Node, dropPath bool) (*G.Node, error) {
	c.masks = make([]*G.Node, len(c.ops))
	var err error
	if s0, err = c.pre0.Forward(s0); err != nil {
		return nil, err
	}
	if s1, err = c.pre1.Forward(s1); err != nil {
		return nil, err
	}
	states := []*G.Node{s0, s1}
	for i := 0; i < len(c.ops); i += 2 {
		var hs [2]*G.Node
		for j := range 2 {
			k := i + j
			if c.indices[k] < 0 || c.indices[k] >= len(states) {
				return nil, fmt.Errorf("darts: cell edge %d reads state %d, want 0..%d", k, c.indices[k], len(states)-1)
			}
			h, err := c.ops[k].Forward(states[c.indices[k]])
			if err != nil {
				return nil, fmt.Errorf("edge %d: %w", k, err)
			}
			if dropPath && c.dropOK[k] {
				n := h.Shape()[0]
				mask := G.NewTensor(h.Graph(), h.Dtype(), 1, G.WithShape(n), G.WithName(fmt.Sprintf("droppath%p", h)),
					G.WithValue(tensor.Ones(h.Dtype(), n)))
				if h, err = scaleSamples(h, mask); err != nil {
					return nil, fmt.Errorf("edge %d drop-path: %w", k, err)
				}
				c.masks[k] = mask
			}
			hs[j] = h
		}
		s, err := G.Add(hs[0], hs[1])
		if err != nil {
			return nil, fmt.Errorf("node %d: %w", i/2, err)
		}
		states = append(states, s)
	}
	out := make(G.Nodes, len(c.concat))
	for i, k := range c.concat {
		if k < 0 || k >= len(states) {
			return nil, fmt.Errorf("darts: cell concat lists state %d, want 0..%d", k, len(states)-1)
		}
		out[i] = states[k]
	}
	return nn.ChannelConcat(out...)
}

// auxHead is AuxiliaryHeadCIFAR / AuxiliaryHeadImageNet: ReLU → AvgPool 5
// (stride 3 on CIFAR, 2 on ImageNet, count_include_pad=False) → Conv1×1 to
// 128 → BN → ReLU → Conv2×2 to 768 → BN (CIFAR only) → ReLU → Linear.
type auxHead struct {
	stride      int
	conv1       *nn.Conv2d
	bn1         *nn.BatchNorm
	conv2       *nn.Conv2d
	bn2         *nn.BatchNorm // nil on ImageNet (commented out in the reference)
	classifier  *nn.Linear
	params      nn.Params
	childBlocks []nn.Block
}

func newAuxHead(g *G.ExprGraph, dt tensor.Dtype, c, classes int, imagenet bool) (*auxHead, error) {
	h := &auxHead{stride: 3}
	if imagenet {
		h.stride = 2
	}
	var err error
	if h.conv1, err = nn.NewConv2d(g, dt, "auxiliary_head.features.2", c, 128, 1, op.ConvParams{}, false); err != nil {
		return nil, err
	}
	if h.bn1, err = nn.NewBatchNorm(g, dt, "auxiliary_head.features.3", 128, true); err != nil {
		return nil, err
	}
	if h.conv2, err = nn.NewConv2d(g, dt, "auxiliary_head.features.5", 128, 768, 2, op.ConvParams{ReLU: true}, false); err != nil {
		return nil, err
	}
	h.childBlocks = []nn.Block{h.conv1, h.bn1, h.conv2}
	prefixes := []string{"features.2", "features.3", "features.5"}
	if !imagenet {
		if h.bn2, err = nn.NewBatchNorm(g, dt, "auxiliary_head.features.6", 768, true); err != nil {
			return nil, err
		}
		h.childBlocks = append(h.childBlocks, h.bn2)
		prefixes = append(prefixes, "features.6")
	}
	if h.classifier, err = nn.NewLinear(g, dt, "auxiliary_head.classifier", 768, classes); err != nil {
		return nil, err
	}
	h.childBlocks = append(h.childBlocks, h.classifier)
	prefixes = append(prefixes, "classifier")
	for i, b := range h.childBlocks {
		if err := h.params.AddModule(prefixes[i], b.Params()); err != nil {
			return nil, err
		}
	}
	return h, nil
}

func (h *auxHead) forward(x *G.Node) (*G.Node, error) {
	x, err := op.ReLU(x)
	if err != nil {
		return nil, err
	}
	if x, err = op.AvgPool2d(x, op.PoolParams{Kernel: [2]int{5, 5}, Stride: [2]int{h.stride, h.stride}}, false); err != nil {
		return nil, fmt.Errorf("auxiliary head: %w", err)
	}
	if x, err = h.conv1.Forward(x); err != nil {
		return nil, err
	}
	if x, err = h.bn1.Forward(x); err != nil {
		return nil, err
	}
	if x, err = h.conv2Forward(x); err != nil {
		return nil, err
	}
	if h.bn2 != nil {
		if x, err = h.bn2.Forward(x); err != nil {
			return nil, err
		}
	}
	if x, err = op.ReLU(x); err != nil {
		return nil, err
	}
	s := x.Shape()
	if x, err = G.Reshape(x, tensor.Shape{s[0], s[1] * s[2] * s[3]}); err != nil {
		return nil, err
	}
	return h.classifier.Forward(x)
}

// conv2Forward applies features.4-5, ReLU → Conv2×2(128 → 768). On the
// usual 2×2 input the convolution covers the whole plane, so it is computed
// as one GEMM, relu(x) flattened (N, 512) times the weight viewed as
// (768, 512), which gives the same values and gradients (same weight node)
// far faster than the convolution kernels' per-tap path on a 2×2 plane.
func (h *auxHead) conv2Forward(x *G.Node) (*G.Node, error) {
	s, ws := x.Shape(), h.conv2.Weight.Shape()
	if s[2] != ws[2] || s[3] != ws[3] {
		return h.conv2.Forward(x) // the conv's fused ReLU is features.4
	}
	x, err := op.ReLU(x)
	if err != nil {
		return nil, err
	}
	flat := s[1] * s[2] * s[3]
	if x, err = G.Reshape(x, tensor.Shape{s[0], flat}); err != nil {
		return nil, err
	}
	w, err := G.Reshape(h.conv2.Weight, tensor.Shape{ws[0], flat})
	if err != nil {
		return nil, err
	}
	if x, err = op.Linear(x, w, nil); err != nil {
		return nil, fmt.Errorf("auxiliary head conv: %w", err)
	}
	return G.Reshape(x, tensor.Shape{s[0], ws[0], 1, 1})
}

// Network is a DARTS evaluation network, NetworkCIFAR or NetworkImageNet of
// quark0/darts cnn/model.py: stem(s), Layers cells with reductions at
// Layers/3 and 2·Layers/3, an optional auxiliary head after cell 2·Layers/3,
// global average pooling and a linear classifier.
type Network struct {
	cfg      EvalConfig
	imagenet bool
	stem     []nn.Block // CIFAR: conv, BN; ImageNet: stem0 conv, BN, conv, BN, stem1 conv, BN
	cells    []*evalCell
	aux      *auxHead
	auxAt    int
	classif  *nn.Linear
	params   nn.Params
	dropPath bool
}

// NewNetworkCIFAR builds NetworkCIFAR (stem Conv3×3(3 → 3C) + BN, input
// 32×32) in g.
func NewNetworkCIFAR(g *G.ExprGraph, cfg EvalConfig) (*Network, error) {
	return newNetwork(g, cfg, false)
}

// NewNetworkImageNet builds NetworkImageNet (two stride-2 stems, total
// stride 8, AvgPool 7 head, input 224×224) in g.
func NewNetworkImageNet(g *G.ExprGraph, cfg EvalConfig) (*Network, error) {
	return newNetwork(g, cfg, true)
}

func newNetwork(g *G.ExprGraph, cfg EvalConfig, imagenet bool) (*Network, error) {
	cfg, err := cfg.validate(imagenet)
	if err != nil {
		return nil, err
	}
	dt := cfg.Dtype
	n := &Network{cfg: cfg, imagenet: imagenet, auxAt: 2 * cfg.Layers / 3}
	type named struct {
		prefix string
		b      nn.Block
	}
	var reg []named
	C := cfg.C
	var cpp, cp, ccur int
	if !imagenet {
		ccur = 3 * C // stem_multiplier
		conv, err := nn.NewConv2d(g, dt, "stem.0", 3, ccur, 3, op.ConvParams{Padding: [2]int{1, 1}}, false)
		if err != nil {
			return nil, err
		}
		bn, err := nn.NewBatchNorm(g, dt, "stem.1", ccur, true)
		if err != nil {
			return nil, err
		}
		n.stem = []nn.Block{conv, bn}
		reg = append(reg, named{"stem.0", conv}, named{"stem.1", bn})
		cpp, cp, ccur = ccur, ccur, C
	} else {
		s2 := op.ConvParams{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}
		s2relu := s2
		s2relu.ReLU = true
		specs := []struct {
			prefix   string
			cin, out int
			p        op.ConvParams
		}{{"stem0.0", 3, C / 2, s2}, {"stem0.3", C / 2, C, s2relu}, {"stem1.1", C, C, s2relu}}
		bnNames := []string{"stem0.1", "stem0.4", "stem1.2"}
		for i, s := range specs {
			conv, err := nn.NewConv2d(g, dt, s.prefix, s.cin, s.out, 3, s.p, false)
			if err != nil {
				return nil, err
			}
			bn, err := nn.NewBatchNorm(g, dt, bnNames[i], s.out, true)
			if err != nil {
				return nil, err
			}
			n.stem = append(n.stem, conv, bn)
			reg = append(reg, named{s.prefix, conv}, named{bnNames[i], bn})
		}
		cpp, cp, ccur = C, C, C
	}
	reductionPrev := imagenet
	var cAux int
	for i := range cfg.Layers {
		reduction := i == cfg.Layers/3 || i == 2*cfg.Layers/3
		if reduction {
			ccur *= 2
		}
		name := fmt.Sprintf("cells.%d", i)
		cell, err := newEvalCell(g, dt, name, cfg.Genotype, cpp, cp, ccur, reduction, reductionPrev)
		if err != nil {
			return nil, fmt.Errorf("cell %d: %w", i, err)
		}
		reductionPrev = reduction
		n.cells = append(n.cells, cell)
		cpp, cp = cp, len(cell.concat)*ccur
		if i == n.auxAt {
			cAux = cp
		}
	}
	if cfg.Auxiliary {
		if n.aux, err = newAuxHead(g, dt, cAux, cfg.Classes, imagenet); err != nil {
			return nil, err
		}
	}
	if n.classif, err = nn.NewLinear(g, dt, "classifier", cp, cfg.Classes); err != nil {
		return nil, err
	}
	// Registration order is torch's: stem(s), cells, auxiliary_head, classifier.
	for _, r := range reg {
		if err := n.params.AddModule(r.prefix, r.b.Params()); err != nil {
			return nil, err
		}
	}
	for i, c := range n.cells {
		if err := n.params.AddModule(fmt.Sprintf("cells.%d", i), &c.params); err != nil {
			return nil, err
		}
	}
	if n.aux != nil {
		if err := n.params.AddModule("auxiliary_head", &n.aux.params); err != nil {
			return nil, err
		}
	}
	if err := n.params.AddModule("classifier", n.classif.Params()); err != nil {
		return nil, err
	}
	return n, nil
}

// Forward builds the network on x (N, 3, H, W) and returns the logits and,
// with the auxiliary head, its logits (nil otherwise). Drop-path nodes are
// built only after EnableDropPath, so a network trained without drop-path
// has none in its graph.
func (n *Network) Forward(x *G.Node) (logits, aux *G.Node, err error) {
	var s0, s1 *G.Node
	if !n.imagenet {
		if s0, err = chainBlocks(x, n.stem...); err != nil {
			return nil, nil, fmt.Errorf("stem: %w", err)
		}
		s1 = s0
	} else {
		if s0, err = chainBlocks(x, n.stem[:4]...); err != nil {
			return nil, nil, fmt.Errorf("stem0: %w", err)
		}
		if s1, err = chainBlocks(s0, n.stem[4:]...); err != nil {
			return nil, nil, fmt.Errorf("stem1: %w", err)
		}
	}
	for i, c := range n.cells {
		s, err := c.forward(s0, s1, n.dropPath)
		if err != nil {
			return nil, nil, fmt.Errorf("cell %d: %w", i, err)
		}
		s0, s1 = s1, s
		if i == n.auxAt && n.aux != nil {
			if aux, err = n.aux.forward(s1); err != nil {
				return nil, nil, fmt.Errorf("auxiliary head: %w", err)
			}
		}
	}
	var out *G.Node
	if !n.imagenet {
		out, err = op.GlobalAvgPool2d(s1)
	} else {
		out, err = op.AvgPool2d(s1, op.PoolParams{Kernel: [2]int{7, 7}}, true)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("global pooling: %w", err)
	}
	s := out.Shape()
	if len(s) == 4 {
		if out, err = G.Reshape(out, tensor.Shape{s[0], s[1] * s[2] * s[3]}); err != nil {
			return nil, nil, err
		}
	}
	logits, err = n.classif.Forward(out)
	return logits, aux, err
}

func chainBlocks(x *G.Node, bs ...nn.Block) (*G.Node, error) {
	var err error
	for _, b := range bs {
		if x, err = b.Forward(x); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// Params returns every learnable and buffer, auxiliary head included, under
// the reference state_dict names.
func (n *Network) Params() *nn.Params { return &n.params }

// NumParams returns the number of learnable scalars without the auxiliary
// head, as DARTS' utils.count_parameters_in_MB counts them.
func (n *Network) NumParams() int {
	total := n.params.NumLearnable()
	if n.aux != nil {
		total -= n.aux.params.NumLearnable()
	}
	return total
}

// MultAdds returns the multiply-adds of one sample of the latest Forward
// without the auxiliary head, counting convolutions and linear layers only
// (see nn.MultAdder).
func (n *Network) MultAdds() int64 {
	var total int64
	for _, b := range n.stem {
		total += macs(b)
	}
	for _, c := range n.cells {
		for _, b := range c.children {
			total += macs(b)
		}
	}
	return total + macs(n.classif)
}

func macs(b nn.Block) int64 {
	if m, ok := b.(nn.MultAdder); ok {
		return m.MultAdds()
	}
	return 0
}

// blocks returns every block in registration order.
func (n *Network) blocks() []nn.Block {
	bs := append([]nn.Block(nil), n.stem...)
	for _, c := range n.cells {
		bs = append(bs, c.children...)
	}
	if n.aux != nil {
		bs = append(bs, n.aux.childBlocks...)
	}
	return append(bs, n.classif)
}

// Init fills every learnable as torch's default initialisation does, in
// registration order, from rng.
func (n *Network) Init(rng *rand.Rand) error {
	for _, b := range n.blocks() {
		if err := b.Init(rng); err != nil {
			return err
		}
	}
	return nil
}

// Learnables returns every learnable node (auxiliary head included) in
// registration order.
func (n *Network) Learnables() G.Nodes { return n.params.Learnables() }

// SetTraining switches every BatchNorm between batch and running
// statistics. Drop-path is driven by the masks (see DropPathMasks).
func (n *Network) SetTraining(training bool) {
	for _, b := range n.blocks() {
		b.SetTraining(training)
	}
}

// EnableDropPath makes the next Forward multiply the output of every
// non-identity op by a per-sample scale read from an input node (DARTS'
// drop_path); DropPathMasks returns those nodes. Their values start at 1
// (no drop); fill them before each training step and set them to 1 for
// evaluation.
func (n *Network) EnableDropPath() { n.dropPath = true }

// DropPathMasks returns the per-sample scale nodes (N) of the latest Forward,
// one per non-identity op, in cell and edge order; nil without drop-path.
func (n *Network) DropPathMasks() []*G.Node {
	var ms []*G.Node
	for _, c := range n.cells {
		for _, m := range c.masks {
			if m != nil {
				ms = append(ms, m)
			}
		}
	}
	return ms
}

// Config returns the network's configuration.
func (n *Network) Config() EvalConfig { return n.cfg }
