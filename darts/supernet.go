package darts

import (
	"errors"
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/nn"
	"github.com/nasx/nasx/internal/op"
	"github.com/nasx/nasx/mim"
)

// Space names a search space of the supernet.
type Space string

const (
	// SpaceDARTS is the DARTS CNN cell space (algorithms.md C.1).
	SpaceDARTS Space = "darts"
	// SpaceNB201 is the NAS-Bench-201 cell space (algorithms.md F).
	SpaceNB201 Space = "nasbench201"
)

// NetConfig describes a search supernet. Shapes are static: the graph is
// built for one batch size.
type NetConfig struct {
	Space Space
	// C is the initial channel count (DARTS and NAS-Bench-201: 16).
	C int
	// Layers is the number of cells (DARTS: 8, reductions at Layers/3 and
	// 2·Layers/3) or, for NAS-Bench-201, the number of cells per stage N (5).
	Layers int
	// Classes is the number of output classes.
	Classes int
	// Batch, Height and Width are the input shape (N, 3, Height, Width).
	Batch, Height, Width int
	// Dtype is tensor.Float32 (searches) or tensor.Float64 (tests).
	Dtype tensor.Dtype
	// Task selects the heads and the loss (mim.TaskCls is plain DARTS).
	Task mim.Task
	// PatchSize is the MIM patch size (used when Task reconstructs).
	PatchSize int
	// ClampLo and ClampHi are the decoder's output clamp, the dataset's
	// normalised pixel range (used when Task reconstructs).
	ClampLo, ClampHi float64
}

// DARTS' cell constants (model_search.Network defaults): 4 intermediate
// nodes, the last 4 concatenated, stem width 3·C.
const (
	steps          = 4
	multiplier     = 4
	stemMultiplier = 3
	nb201Nodes     = 4 // NAS-Bench-201 cells: nodes 0..3, output node 3
)

// Validate returns every problem of c, joined, each naming the field.
func (c NetConfig) Validate() error {
	var errs []error
	if c.Space != SpaceDARTS && c.Space != SpaceNB201 {
		errs = append(errs, fmt.Errorf("space: got %q, want darts or nasbench201", c.Space))
	}
	if c.C <= 0 || c.C%2 != 0 {
		errs = append(errs, fmt.Errorf("init_channels: got %d, want an even number > 0", c.C))
	}
	if c.Layers <= 0 {
		errs = append(errs, fmt.Errorf("layers: got %d, want > 0", c.Layers))
	} else if c.Space == SpaceDARTS && c.Layers < 3 {
		errs = append(errs, fmt.Errorf("layers: got %d, want >= 3 (reduction cells at layers/3 and 2·layers/3 must differ from cell 0)", c.Layers))
	}
	if c.Classes < 2 {
		errs = append(errs, fmt.Errorf("classes: got %d, want >= 2", c.Classes))
	}
	if c.Batch <= 0 {
		errs = append(errs, fmt.Errorf("batch_size: got %d, want > 0", c.Batch))
	}
	if c.Height <= 0 || c.Width <= 0 || c.Height%4 != 0 || c.Width%4 != 0 {
		errs = append(errs, fmt.Errorf("image size: got %d×%d, want positive multiples of 4 (two stride-2 stages)", c.Height, c.Width))
	}
	if c.Dtype != tensor.Float32 && c.Dtype != tensor.Float64 {
		errs = append(errs, fmt.Errorf("dtype: got %v, want float32 or float64", c.Dtype))
	}
	if _, err := mim.ParseTask(string(c.Task)); err != nil {
		errs = append(errs, fmt.Errorf("task: %w", err))
	} else if c.Task.Reconstructs() {
		if c.PatchSize <= 0 || c.Height%c.PatchSize != 0 || c.Width%c.PatchSize != 0 {
			errs = append(errs, fmt.Errorf("patch_size: got %d, want > 0 dividing the image size %d×%d", c.PatchSize, c.Height, c.Width))
		}
		if !(c.ClampLo < c.ClampHi) {
			errs = append(errs, fmt.Errorf("decoder clamp: got (%v, %v), want lo < hi", c.ClampLo, c.ClampHi))
		}
	}
	return errors.Join(errs...)
}

// Ops returns the candidate op names of the space, in α column order.
func (s Space) Ops() []string {
	if s == SpaceNB201 {
		return nn.NB201Ops
	}
	return nn.DARTSOps
}

// mixedOp is one edge: the non-none candidate ops and their α column index.
type mixedOp struct {
	ops   []nn.Block
	index []int
}

func (s *Supernet) newMixedOp(name string, c, stride int, reg *nn.Params) (*mixedOp, error) {
	m := &mixedOp{}
	for k, opName := range s.cfg.Space.Ops() {
		if opName == "none" { // contributes w·0 (DARTS Zero); skipped, its α still enters the softmax
			continue
		}
		var f nn.OpFunc
		var err error
		if s.cfg.Space == SpaceNB201 {
			f, err = nn.NB201Op(opName)
		} else {
			f, err = nn.DARTSSearchOp(opName)
		}
		if err != nil {
			return nil, fmt.Errorf("darts: op %q has no implementation (space %q): %w", opName, s.cfg.Space, err)
		}
		key := fmt.Sprintf("%d", k)
		if s.cfg.Space == SpaceDARTS {
			key = fmt.Sprintf("_ops.%d", k)
		}
		b, err := f(s.g, s.cfg.Dtype, name+"."+key, c, stride, false)
		if err != nil {
			return nil, fmt.Errorf("darts: %s.%s: %w", name, key, err)
		}
		if err := reg.AddModule(key, b.Params()); err != nil {
			return nil, err
		}
		m.ops = append(m.ops, b)
		m.index = append(m.index, k)
		s.blocks = append(s.blocks, b)
	}
	return m, nil
}

// forward returns Σ_k w[k]·op_k(x) over the non-none ops.
func (m *mixedOp) forward(x, w *G.Node) (*G.Node, error) {
	terms := make([]op.Term, len(m.ops))
	for i, b := range m.ops {
		y, err := b.Forward(x)
		if err != nil {
			return nil, err
		}
		terms[i] = op.Term{Index: m.index[i], X: y}
	}
	return op.WeightedSum(w, terms...)
}

// dartsCell is model_search.Cell.
type dartsCell struct {
	reduction  bool
	pre0, pre1 nn.Block
	ops        []*mixedOp // 14 edges in DARTS order: node 0 ← {0,1}, node 1 ← {0,1,2}, ...
	params     nn.Params
}

// nb201SearchCell is NAS-Bench-201's SearchCell; edges "j<-i" in α row order.
type nb201SearchCell struct {
	ops []*mixedOp // (1<-0), (2<-0), (2<-1), (3<-0), (3<-1), (3<-2)
}

// Supernet is a search network with its graph, loss, gradients and machine.
type Supernet struct {
	cfg NetConfig
	g   *G.ExprGraph

	weights nn.Params // network weights and BN buffers, torch state_dict names
	alphas  nn.Params // architecture parameters
	blocks  []nn.Block
	decoder *mim.Decoder

	stem     []nn.Block
	cells    []any // *dartsCell or *nb201Cell or nn.Block (NB201 residual blocks)
	lastact  *nn.BatchNorm
	classify *nn.Linear

	alphaNormal, alphaReduce *G.Node // DARTS; NB201 uses alphaNormal only

	// Inputs, filled per step through their backing slices.
	x, y, target, mask *G.Node
	// Outputs.
	loss, logits, cls, rec *G.Node
	// Values read after each run: a separate object, not fields of the
	// Supernet, which holds the machines (see runValues in eval_train.go).
	vals                    *netValues
	wGradV, aGradV          []G.Value
	weightNodes, alphaNodes G.Nodes
	machine                 G.VM
	fwdMachine              G.VM // forward only, built by Forward
}

// netValues receives what a supernet's machine reads after each run.
type netValues struct {
	loss, logits, cls, rec G.Value
}

// NewSupernet builds the supernet of cfg: the graph, the loss of cfg.Task,
// the gradients w.r.t. every weight and α, and the TapeMachine (after
// nn.CheckHashes: a graph with colliding node hashes is rebuilt with the
// input renamed "input.1", "input.2", ...). Call Init
// (or load a state) before the first step.
func NewSupernet(cfg NetConfig) (*Supernet, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("darts: supernet: %w", err)
	}
	// gorgonia merges distinct nodes whose 32-bit hashes collide (≈1% of
	// supernet graphs): rebuild under a renamed input until none do.
	s, err := nn.BuildDistinct(16, func(salt int) (*Supernet, *G.ExprGraph, error) {
		s, err := build(cfg, salt)
		if err != nil {
			return nil, nil, err
		}
		return s, s.g, nil
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("darts: supernet: %w", err)
	}
	s.machine = G.NewTapeMachine(s.g, op.VMOpts()...)
	return s, nil
}

func build(cfg NetConfig, salt int) (*Supernet, error) {
	s := &Supernet{cfg: cfg, g: G.NewGraph()}
	var feat *G.Node
	var err error
	s.x = G.NewTensor(s.g, cfg.Dtype, 4, G.WithShape(cfg.Batch, 3, cfg.Height, cfg.Width), G.WithName(nn.SaltName("input", salt)),
		G.WithInit(G.Zeroes()))
	if cfg.Space == SpaceDARTS {
		feat, err = s.buildDARTS()
	} else {
		feat, err = s.buildNB201()
	}
	if err != nil {
		return nil, err
	}
	if err := s.buildHeads(feat); err != nil {
		return nil, err
	}
	if err := s.buildGrads(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Supernet) addAlpha(name string, rows, cols int) (*G.Node, error) {
	a, err := nn.NewLearnable(s.g, s.cfg.Dtype, name, rows, cols)
	if err != nil {
		return nil, err
	}
	return a, s.alphas.AddLearnable(name, a)
}

// block registers b under key in the weights and remembers it for Init.
func (s *Supernet) block(key string, b nn.Block, err error) (nn.Block, error) {
	if err != nil {
		return nil, fmt.Errorf("darts: %s: %w", key, err)
	}
	s.blocks = append(s.blocks, b)
	if err := s.weights.AddModule(key, b.Params()); err != nil {
		return nil, err
	}
	return b, nil
}

// softmaxRows returns softmax(α) per row and the rows as (K) nodes.
func softmaxRows(alpha *G.Node) ([]*G.Node, error) {
	w, err := op.Softmax(alpha)
	if err != nil {
		return nil, err
	}
	rows := make([]*G.Node, alpha.Shape()[0])
	for i := range rows {
		if rows[i], err = G.Slice(w, G.S(i)); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// buildDARTS builds model_search.Network up to the last cell's output s1.
func (s *Supernet) buildDARTS() (*G.Node, error) {
	cfg, dt := s.cfg, s.cfg.Dtype
	cCurr := stemMultiplier * cfg.C
	conv, err := nn.NewConv2d(s.g, dt, "stem.0", 3, cCurr, 3, op.ConvParams{Padding: [2]int{1, 1}}, false)
	stemConv, err := s.block("stem.0", conv, err)
	if err != nil {
		return nil, err
	}
	bn, err := nn.NewBatchNorm(s.g, dt, "stem.1", cCurr, true)
	stemBN, err := s.block("stem.1", bn, err)
	if err != nil {
		return nil, err
	}
	s.stem = []nn.Block{stemConv, stemBN}
	k := 0
	for i := 0; i < steps; i++ {
		k += 2 + i
	}
	// α registered after the cells in torch (_initialize_alphas runs last); node creation order does not matter.
	if s.alphaNormal, err = s.addAlpha("alphas_normal", k, len(nn.DARTSOps)); err != nil {
		return nil, err
	}
	if s.alphaReduce, err = s.addAlpha("alphas_reduce", k, len(nn.DARTSOps)); err != nil {
		return nil, err
	}
	wNormal, err := softmaxRows(s.alphaNormal)
	if err != nil {
		return nil, fmt.Errorf("darts: softmax(alphas_normal): %w", err)
	}
	wReduce, err := softmaxRows(s.alphaReduce)
	if err != nil {
		return nil, fmt.Errorf("darts: softmax(alphas_reduce): %w", err)
	}

	x, err := stemConv.Forward(s.x)
	if err != nil {
		return nil, fmt.Errorf("darts: stem: %w", err)
	}
	if x, err = stemBN.Forward(x); err != nil {
		return nil, fmt.Errorf("darts: stem: %w", err)
	}
	s0, s1 := x, x
	cPP, cP, cCurr := cCurr, cCurr, cfg.C
	reductionPrev := false
	for i := 0; i < cfg.Layers; i++ {
		reduction := i == cfg.Layers/3 || i == 2*cfg.Layers/3
		if reduction {
			cCurr *= 2
		}
		name := fmt.Sprintf("cells.%d", i)
		cell, err := s.newDARTSCell(name, cPP, cP, cCurr, reduction, reductionPrev)
		if err != nil {
			return nil, err
		}
		if err := s.weights.AddModule(name, &cell.params); err != nil {
			return nil, err
		}
		w := wNormal
		if reduction {
			w = wReduce
		}
		out, err := cell.forward(s0, s1, w)
		if err != nil {
			return nil, fmt.Errorf("darts: cell %d: %w", i, err)
		}
		s0, s1 = s1, out
		s.cells = append(s.cells, cell)
		reductionPrev = reduction
		cPP, cP = cP, multiplier*cCurr
	}
	return s1, nil
}

func (s *Supernet) newDARTSCell(name string, cPP, cP, c int, reduction, reductionPrev bool) (*dartsCell, error) {
	dt := s.cfg.Dtype
	cell := &dartsCell{reduction: reduction}
	var err error
	if reductionPrev {
		var fr *nn.FactorizedReduce
		fr, err = nn.NewFactorizedReduce(s.g, dt, name+".preprocess0", cPP, c, false)
		cell.pre0 = fr
	} else {
		var rcb *nn.ReLUConvBN
		rcb, err = nn.NewReLUConvBN(s.g, dt, name+".preprocess0", cPP, c, 1, 1, 0, false)
		cell.pre0 = rcb
	}
	if err != nil {
		return nil, fmt.Errorf("darts: %s.preprocess0: %w", name, err)
	}
	pre1, err := nn.NewReLUConvBN(s.g, dt, name+".preprocess1", cP, c, 1, 1, 0, false)
	if err != nil {
		return nil, fmt.Errorf("darts: %s.preprocess1: %w", name, err)
	}
	cell.pre1 = pre1
	s.blocks = append(s.blocks, cell.pre0, cell.pre1)
	if err := cell.params.AddModule("preprocess0", cell.pre0.Params()); err != nil {
		return nil, err
	}
	if err := cell.params.AddModule("preprocess1", cell.pre1.Params()); err != nil {
		return nil, err
	}
	e := 0
	for i := 0; i < steps; i++ {
		for j := 0; j < 2+i; j++ {
			stride := 1
			if reduction && j < 2 {
				stride = 2
			}
			key := fmt.Sprintf("_ops.%d", e)
			var reg nn.Params
			m, err := s.newMixedOp(name+"."+key, c, stride, &reg)
			if err != nil {
				return nil, err
			}
			if err := cell.params.AddModule(key, &reg); err != nil {
				return nil, err
			}
			cell.ops = append(cell.ops, m)
			e++
		}
	}
	return cell, nil
}

// forward is model_search.Cell.forward.
func (c *dartsCell) forward(s0, s1 *G.Node, w []*G.Node) (*G.Node, error) {
	var err error
	if s0, err = c.pre0.Forward(s0); err != nil {
		return nil, fmt.Errorf("preprocess0: %w", err)
	}
	if s1, err = c.pre1.Forward(s1); err != nil {
		return nil, fmt.Errorf("preprocess1: %w", err)
	}
	states := []*G.Node{s0, s1}
	offset := 0
	for i := 0; i < steps; i++ {
		var sum *G.Node
		for j, h := range states {
			y, err := c.ops[offset+j].forward(h, w[offset+j])
			if err != nil {
				return nil, fmt.Errorf("edge %d<-%d: %w", i+2, j, err)
			}
			if sum == nil {
				sum = y
			} else if sum, err = G.Add(sum, y); err != nil {
				return nil, fmt.Errorf("node %d: %w", i+2, err)
			}
		}
		offset += len(states)
		states = append(states, sum)
	}
	return nn.ChannelConcat(states[len(states)-multiplier:]...)
}

// buildNB201 builds NAS-Bench-201's TinyNetworkDarts up to lastact.
func (s *Supernet) buildNB201() (*G.Node, error) {
	cfg, dt := s.cfg, s.cfg.Dtype
	conv, err := nn.NewConv2d(s.g, dt, "stem.0", 3, cfg.C, 3, op.ConvParams{Padding: [2]int{1, 1}}, false)
	stemConv, err := s.block("stem.0", conv, err)
	if err != nil {
		return nil, err
	}
	bn, err := nn.NewBatchNorm(s.g, dt, "stem.1", cfg.C, true)
	stemBN, err := s.block("stem.1", bn, err)
	if err != nil {
		return nil, err
	}
	s.stem = []nn.Block{stemConv, stemBN}
	x, err := stemConv.Forward(s.x)
	if err != nil {
		return nil, fmt.Errorf("darts: stem: %w", err)
	}
	if x, err = stemBN.Forward(x); err != nil {
		return nil, fmt.Errorf("darts: stem: %w", err)
	}
	edges := nb201Edges()
	// cells are registered before the α (TinyNetworkDarts: arch_parameters is assigned last).
	alphaRows := make([]*G.Node, len(edges))
	var pending []func() error
	_ = pending
	cPrev := cfg.C
	idx := 0
	type stage struct{ c, reduce int }
	var layout []stage
	for st, c := range []int{cfg.C, 2 * cfg.C, 4 * cfg.C} {
		if st > 0 {
			layout = append(layout, stage{c, 1})
		}
		for n := 0; n < cfg.Layers; n++ {
			layout = append(layout, stage{c, 0})
		}
	}
	var cellNodes []*nb201SearchCell
	var cellIdx []int
	for _, l := range layout {
		name := fmt.Sprintf("cells.%d", idx)
		if l.reduce == 1 {
			rb, err := nn.NewResNetBasicblock(s.g, dt, name, cPrev, l.c, 2, true)
			b, err := s.block(name, rb, err)
			if err != nil {
				return nil, err
			}
			s.cells = append(s.cells, b)
		} else {
			cell := &nb201SearchCell{}
			var reg nn.Params
			for _, e := range edges {
				var er nn.Params
				m, err := s.newMixedOp(name+".edges."+e, l.c, 1, &er)
				if err != nil {
					return nil, err
				}
				if err := reg.AddModule("edges."+e, &er); err != nil {
					return nil, err
				}
				cell.ops = append(cell.ops, m)
			}
			if err := s.weights.AddModule(name, &reg); err != nil {
				return nil, err
			}
			s.cells = append(s.cells, cell)
			cellNodes = append(cellNodes, cell)
			cellIdx = append(cellIdx, idx)
		}
		cPrev = l.c
		idx++
	}
	lbn, err := nn.NewBatchNorm(s.g, dt, "lastact.0", cPrev, true)
	if _, err = s.block("lastact.0", lbn, err); err != nil {
		return nil, err
	}
	s.lastact = lbn
	if s.alphaNormal, err = s.addAlpha("arch_parameters", len(edges), len(nn.NB201Ops)); err != nil {
		return nil, err
	}
	if alphaRows, err = softmaxRows(s.alphaNormal); err != nil {
		return nil, fmt.Errorf("darts: softmax(arch_parameters): %w", err)
	}
	for i, c := range s.cells {
		switch c := c.(type) {
		case *nb201SearchCell:
			if x, err = c.forward(x, alphaRows); err != nil {
				return nil, fmt.Errorf("darts: cell %d: %w", i, err)
			}
		case nn.Block:
			if x, err = c.Forward(x); err != nil {
				return nil, fmt.Errorf("darts: cell %d: %w", i, err)
			}
		}
	}
	if x, err = lbn.Forward(x); err != nil {
		return nil, fmt.Errorf("darts: lastact: %w", err)
	}
	if x, err = op.ReLU(x); err != nil {
		return nil, fmt.Errorf("darts: lastact: %w", err)
	}
	return x, nil
}

// nb201Edges returns the edge keys "j<-i" in α row order (AutoDL's sorted
// edge2index: 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2).
func nb201Edges() []string {
	var e []string
	for j := 1; j < nb201Nodes; j++ {
		for i := 0; i < j; i++ {
			e = append(e, fmt.Sprintf("%d<-%d", j, i))
		}
	}
	return e
}

// forward is AutoDL's SearchCell.forward: node j = Σ_{i<j} mixed(node i).
func (c *nb201SearchCell) forward(x *G.Node, w []*G.Node) (*G.Node, error) {
	nodes := []*G.Node{x}
	e := 0
	for j := 1; j < nb201Nodes; j++ {
		var sum *G.Node
		for i := 0; i < j; i++ {
			y, err := c.ops[e].forward(nodes[i], w[e])
			if err != nil {
				return nil, fmt.Errorf("edge %d<-%d: %w", j, i, err)
			}
			if sum == nil {
				sum = y
			} else if sum, err = G.Add(sum, y); err != nil {
				return nil, err
			}
			e++
		}
		nodes = append(nodes, sum)
	}
	return nodes[len(nodes)-1], nil
}

// buildHeads adds the classifier and/or the decoder on the features and
// the loss of the task.
func (s *Supernet) buildHeads(feat *G.Node) error {
	cfg, dt := s.cfg, s.cfg.Dtype
	cFeat := feat.Shape()[1]
	var err error
	if cfg.Task.Classifies() {
		lin, lerr := nn.NewLinear(s.g, dt, "classifier", cFeat, cfg.Classes)
		if _, err = s.block("classifier", lin, lerr); err != nil {
			return err
		}
		s.classify = lin
		pooled, err := op.GlobalAvgPool2d(feat)
		if err != nil {
			return fmt.Errorf("darts: global pooling: %w", err)
		}
		if s.logits, err = lin.Forward(pooled); err != nil {
			return fmt.Errorf("darts: classifier: %w", err)
		}
		s.y = G.NewTensor(s.g, dt, 1, G.WithShape(cfg.Batch), G.WithName("labels"), G.WithInit(G.Zeroes()))
		if s.cls, err = op.CrossEntropy(s.logits, s.y, 0); err != nil {
			return fmt.Errorf("darts: cross-entropy: %w", err)
		}
	}
	if cfg.Task.Reconstructs() {
		// SD@d525eed model_search.Network: the decoder is rec_decoder next to the
		// classifier for cls_mask, and replaces the classifier for rec tasks.
		name := "classifier"
		if cfg.Task.Classifies() {
			name = "rec_decoder"
		}
		dec, err := mim.NewDecoder(s.g, name, mim.DecoderConfig{C: cFeat, Lo: cfg.ClampLo, Hi: cfg.ClampHi, Dtype: dt})
		if err != nil {
			return fmt.Errorf("darts: %w", err)
		}
		if err := s.weights.AddModule(name, dec.Params()); err != nil {
			return err
		}
		s.decoder = dec
		recon, err := dec.Forward(feat)
		if err != nil {
			return fmt.Errorf("darts: %w", err)
		}
		if !recon.Shape().Eq(tensor.Shape{cfg.Batch, 3, cfg.Height, cfg.Width}) {
			return fmt.Errorf("darts: decoder output %v, want the input shape (%d, 3, %d, %d): the decoder upsamples by 4, so the supernet must downsample by 4",
				recon.Shape(), cfg.Batch, cfg.Height, cfg.Width)
		}
		g := mim.Geometry{N: cfg.Batch, C: 3, H: cfg.Height, W: cfg.Width, P: cfg.PatchSize}
		s.target = G.NewTensor(s.g, dt, 3, G.WithShape(cfg.Batch, g.L(), g.D()), G.WithName("rec_target"), G.WithInit(G.Zeroes()))
		s.mask = G.NewTensor(s.g, dt, 2, G.WithShape(cfg.Batch, g.L()), G.WithName("rec_mask"), G.WithInit(G.Ones()))
		if s.rec, err = mim.RecLoss(recon, s.target, s.mask, cfg.PatchSize); err != nil {
			return fmt.Errorf("darts: %w", err)
		}
	}
	switch cfg.Task {
	case mim.TaskCls:
		s.loss = s.cls
	case mim.TaskClsMask:
		s.loss, err = mim.Balanced(s.cls, s.rec)
	default:
		s.loss = s.rec
	}
	return err
}

// buildGrads takes the gradients and attaches the Read nodes.
func (s *Supernet) buildGrads() error {
	s.weightNodes = s.weights.Learnables()
	s.alphaNodes = s.alphas.Learnables()
	wrt := append(append(G.Nodes{}, s.weightNodes...), s.alphaNodes...)
	grads, err := G.Grad(s.loss, wrt...)
	if err != nil {
		return fmt.Errorf("darts: gradients: %w", err)
	}
	nw := len(s.weightNodes)
	s.wGradV = make([]G.Value, nw)
	s.aGradV = make([]G.Value, len(s.alphaNodes))
	for i, gr := range grads {
		if i < nw {
			G.Read(gr, &s.wGradV[i])
		} else {
			G.Read(gr, &s.aGradV[i-nw])
		}
	}
	s.vals = &netValues{}
	G.Read(s.loss, &s.vals.loss)
	if s.logits != nil {
		G.Read(s.logits, &s.vals.logits)
		G.Read(s.cls, &s.vals.cls)
	}
	if s.rec != nil {
		G.Read(s.rec, &s.vals.rec)
	}
	return nil
}

// Init fills every weight as torch's default initialisation, in state-dict
// order, then draws α = 1e-3·randn (model_search._initialize_alphas).
func (s *Supernet) Init(rng *rand.Rand) error {
	for _, b := range s.blocks {
		if err := b.Init(rng); err != nil {
			return err
		}
	}
	if s.decoder != nil {
		if err := s.decoder.Init(rng); err != nil {
			return err
		}
	}
	for _, a := range s.alphaNodes {
		if a.Dtype() == tensor.Float32 {
			d, err := nn.Data[float32](a)
			if err != nil {
				return err
			}
			nn.Normal(d, 0, 1e-3, rng)
		} else {
			d, err := nn.Data[float64](a)
			if err != nil {
				return err
			}
			nn.Normal(d, 0, 1e-3, rng)
		}
	}
	return nil
}

// Config returns the supernet's configuration.
func (s *Supernet) Config() NetConfig { return s.cfg }

// Weights returns the network weights' registry (learnables and BN
// buffers) under torch's state_dict names.
func (s *Supernet) Weights() *nn.Params { return &s.weights }

// Alphas returns the architecture parameters' registry.
func (s *Supernet) Alphas() *nn.Params { return &s.alphas }

// Close releases the machine.
func (s *Supernet) Close() error {
	err := s.machine.Close()
	if s.fwdMachine != nil {
		if e := s.fwdMachine.Close(); err == nil {
			err = e
		}
	}
	return err
}

type nnEntry = nn.Entry
