package ranker

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/kernel"
	"github.com/nasx/nasx/internal/nn"
	"github.com/nasx/nasx/internal/op"
	"github.com/nasx/nasx/internal/optim"
)

// ModelConfig sizes NAR's transformer (NAR:config*.yml, section ranker;
// algorithms.md B.3).
type ModelConfig struct {
	NTier int `json:"n_tier"`
	// Tokens and DPatch are the input geometry (NB201 31×16, NB101 19×49);
	// they come from the benchmark, not the config file.
	Tokens     int     `json:"-"`
	DPatch     int     `json:"-"`
	DModel     int     `json:"d_model"`
	DInner     int     `json:"d_ffn_inner"`
	DTierInner int     `json:"d_tier_prj_inner"`
	DValInner  int     `json:"d_val_acc_prj_inner"`
	NLayers    int     `json:"n_layers"`
	NHead      int     `json:"n_head"`
	DK         int     `json:"d_k"`
	DV         int     `json:"d_v"`
	Dropout    float64 `json:"dropout"`
	NPosition  int     `json:"n_position"`
	// ScalePrj multiplies the tier logits by d_model^-0.5 (scale_prj: True).
	ScalePrj bool `json:"scale_prj"`
}

// Validate reports every bad field.
func (c ModelConfig) Validate() error {
	var errs []error
	pos := func(name string, v int) {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("model.%s: got %d, want > 0", name, v))
		}
	}
	pos("n_tier", c.NTier)
	pos("d_model", c.DModel)
	pos("d_ffn_inner", c.DInner)
	pos("d_tier_prj_inner", c.DTierInner)
	pos("d_val_acc_prj_inner", c.DValInner)
	pos("n_layers", c.NLayers)
	pos("n_head", c.NHead)
	pos("d_k", c.DK)
	pos("d_v", c.DV)
	pos("n_position", c.NPosition)
	if c.Dropout < 0 || c.Dropout >= 1 {
		errs = append(errs, fmt.Errorf("model.dropout: got %g, want in [0, 1)", c.Dropout))
	}
	if c.Tokens > c.NPosition {
		errs = append(errs, fmt.Errorf("model.n_position: got %d, want >= the %d tokens", c.NPosition, c.Tokens))
	}
	return errors.Join(errs...)
}

// layerNormEps is the LayerNorm epsilon of the NAR transformer (1e-6).
const layerNormEps = 1e-6

// Model is NAR's ranker on one batch size: a graph holding the encoder, the
// score head, the decoder (one module, run once per tier as in
// NAR:ranker/models.py) and the tier classifier, the loss and its
// gradients, and the machines that run them. The tier embeddings are
// inputs, fed from Buckets by the caller.
//
// The graph runs on micro-batches of Micro architectures, Batch/Micro of
// them per batch, so that the activations kept for the backward pass (the
// decoder's NTier·Micro·L rows are most of them) take Micro/Batch of the
// memory of one pass. Only the RankLoss couples the architectures of a
// batch, and only through their scores; so a training step runs the
// encoder and score head forward on every micro-batch, computes the
// RankLoss of the batch's scores and its gradient w.r.t. each score
// (kernel.RankLoss, in float64), then runs every micro-batch forward and
// backward with the loss (Micro/Batch)·CE(tier) + Σ score⊙∂RankLoss/∂score
// (times loss_factor). The dropout layers
// replay their streams so that the second pass draws the first one's
// masks, and the layers acting on the NTier tier queries alone (which the
// reference draws once per batch) draw the same masks for every
// micro-batch. The gradients add up in the learnables' dual values to the
// whole batch's, as one pass would give them (up to float rounding).
type Model struct {
	Cfg   ModelConfig
	Batch int
	// Micro is the micro-batch; it divides Batch.
	Micro int
	b     *nn.Builder
	g     *G.ExprGraph

	x      *G.Node // (Micro, L, DPatch)
	tierIn *G.Node // (NTier, L, DModel): the tier embeddings, not tiled
	target *G.Node // (Micro, NTier) one-hot
	gScore *G.Node // (Micro, 1): loss_factor·∂RankLoss/∂score

	// encDrops are the encoder's dropout layers, replayed by the second
	// pass of a training step; sharedDrops are the decoder's layers that
	// act on the NTier tier queries alone (input path, first
	// self-attention).
	encDrops, sharedDrops []*op.Dropout

	// vals receives what the machines read. It is a separate object on
	// purpose: a G.Read node points at its target and gorgonia's TapeMachine
	// carries a finalizer, so targets inside Model (which holds the machines)
	// made machine → graph → Read op → Model → machine a cycle through a
	// finalized object, which the Go runtime never frees.
	vals      *modelValues
	evalReads G.Nodes // the Read nodes of the evaluation machine
	scoreRead *G.Node // the Read node of the score-only machine

	// train runs forward and backward; eval the forward pass (encoder,
	// score head, decoder, tier logits); scoreOnly the encoder and the
	// score head alone, a sixth of the forward cost, for callers that need
	// no tiers (and the first pass of a training step).
	train, eval, scoreOnly G.VM
	params                 []optim.Param[float32]

	// Output buffers of a whole batch (batchOut points into them) and the
	// RankLoss gradient.
	outEnc, outScore, outLogits []float32
	gRank                       []float64
}

// modelValues receives the values the machines read after a run.
type modelValues struct {
	enc, score, logits, ce G.Value
	scoreOnly              G.Value
}

// NewModel builds the model for batches of batch architectures, run in
// micro-batches of micro (0: the whole batch), with float32 weights
// initialised from seed: xavier_uniform_ on every parameter of dim > 1
// (NAR), torch's default U(±1/√fan_in) for Linear biases, ones and zeros
// for LayerNorm. Dropout layers draw from seed-derived streams.
func NewModel(cfg ModelConfig, batch, micro int, seed uint64) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Tokens <= 0 || cfg.DPatch <= 0 {
		return nil, fmt.Errorf("ranker: model input %d×%d, want both > 0", cfg.Tokens, cfg.DPatch)
	}
	if batch < 2 {
		return nil, fmt.Errorf("ranker: batch %d, want >= 2 (RankLoss needs pairs)", batch)
	}
	if micro == 0 {
		micro = batch
	}
	if micro < 0 || batch%micro != 0 {
		return nil, fmt.Errorf("ranker: micro-batch %d, want a divisor of the batch %d (0: the whole batch)", micro, batch)
	}
	// gorgonia merges distinct nodes whose 32-bit hashes collide: rebuild
	// under a renamed input until none do (nn.CheckHashes).
	m, err := nn.BuildDistinct(16, func(salt int) (*Model, *G.ExprGraph, error) {
		m := &Model{Cfg: cfg, Batch: batch, Micro: micro, g: G.NewGraph()}
		m.b = nn.NewBuilder(m.g, tensor.Float32, seed)
		if err := m.build(salt); err != nil {
			return nil, nil, err
		}
		return m, m.g, nil
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("ranker: build model: %w", err)
	}
	m.train = G.NewTapeMachine(m.g, append(op.VMOpts(), G.BindDualValues(m.b.Params.Learnables()...))...)
	m.eval = G.NewTapeMachine(m.g.ExactSubgraphRoots(m.evalReads...), op.VMOpts()...)
	m.scoreOnly = G.NewTapeMachine(m.g.ExactSubgraphRoots(m.scoreRead), op.VMOpts()...)
	c := m.Cfg
	m.outEnc = make([]float32, batch*c.Tokens*c.DModel)
	m.outScore = make([]float32, batch)
	m.outLogits = make([]float32, batch*c.NTier)
	m.gRank = make([]float64, batch)
	if err := m.initWeights(rand.New(rand.NewPCG(seed, 0x6e6172))); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Model) input(name string, shape ...int) *G.Node {
	v := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(shape...))
	return G.NewTensor(m.g, tensor.Float32, len(shape), G.WithName(name), G.WithShape(shape...), G.WithValue(v))
}

func (m *Model) constant(data []float32, shape ...int) *G.Node {
	return G.NewConstant(tensor.New(tensor.WithBacking(data), tensor.WithShape(shape...)))
}

// posTable returns the positional encoding of L tokens tiled n times.
func (m *Model) posTable(n int) []float32 {
	c := m.Cfg
	t := nn.SinusoidPositionTable(c.NPosition, c.DModel)
	out := make([]float32, n*c.Tokens*c.DModel)
	for b := range n {
		for i := range c.Tokens * c.DModel {
			out[b*c.Tokens*c.DModel+i] = float32(t[i])
		}
	}
	return out
}

// build builds the graph (without machines), its input named
// nn.SaltName("x", salt).
func (m *Model) build(salt int) error {
	c, b, B, mb := m.Cfg, m.b, m.Batch, m.Micro
	L, D := c.Tokens, c.DModel
	m.x = m.input(nn.SaltName("x", salt), mb, L, c.DPatch)
	lc := nn.LayerConfig{DInner: c.DInner, Attention: nn.AttentionConfig{
		DModel: D, NHead: c.NHead, DK: c.DK, DV: c.DV, Dropout: c.Dropout, Eps: layerNormEps}}
	pe := m.constant(m.posTable(mb), mb, L, D)
	peTier := m.constant(m.posTable(c.NTier), c.NTier, L, D)

	// inputPath is jadore's Encoder/Decoder input: dropout(x + PE), then LN.
	inputPath := func(name string, x, pe *G.Node) (*G.Node, error) {
		h, err := G.Add(x, pe)
		if err != nil {
			return nil, err
		}
		d, err := b.Dropout(c.Dropout)
		if err != nil {
			return nil, err
		}
		if h, err = d.Apply(h); err != nil {
			return nil, err
		}
		ln, err := b.NewLayerNorm(name+".layer_norm", D, layerNormEps)
		if err != nil {
			return nil, err
		}
		return ln.Forward(h)
	}

	// Encoder.
	srcPrj, err := b.NewLinear("src_prj", c.DPatch, D, true)
	if err != nil {
		return err
	}
	enc, err := srcPrj.Forward(m.x)
	if err != nil {
		return err
	}
	if enc, err = inputPath("encoder", enc, pe); err != nil {
		return err
	}
	for i := range c.NLayers {
		l, err := b.NewEncoderLayer(fmt.Sprintf("encoder.layer_stack.%d", i), lc)
		if err != nil {
			return err
		}
		if enc, err = l.Forward(enc); err != nil {
			return fmt.Errorf("encoder layer %d: %w", i, err)
		}
	}
	m.encDrops = append([]*op.Dropout(nil), b.Dropouts...)
	flatEnc, err := G.Reshape(enc, tensor.Shape{mb, L * D})
	if err != nil {
		return err
	}

	// Score head ("relative metric").
	v1, err := b.NewLinear("val_acc_prj.0", L*D, c.DValInner, true)
	if err != nil {
		return err
	}
	v2, err := b.NewLinear("val_acc_prj.2", c.DValInner, 1, true)
	if err != nil {
		return err
	}
	score, err := v1.Forward(flatEnc)
	if err != nil {
		return err
	}
	if score, err = op.ReLU(score); err != nil {
		return err
	}
	if score, err = v2.Forward(score); err != nil { // (mb, 1)
		return err
	}

	// Tier matching (NAR:ranker/models.py Transformer.forward): one decoder
	// module runs once per tier, its query the projected tier embedding
	// with batch 1, attending to the batch's encoder outputs; the outputs
	// are summed over tiers. Here the tiers are the decoder's batch: the
	// input path and the first self-attention run on the NTier queries
	// alone (as the reference's batch-1 query does, dropout masks included),
	// then every tier meets every architecture (NTier·Micro rows,
	// tier-major); the cross-attention projects each encoder output once
	// per layer.
	m.tierIn = m.input("tier_embs", c.NTier, L, D)
	trgPrj, err := b.NewLinear("trg_prj", D, D, true)
	if err != nil {
		return err
	}
	dec, err := trgPrj.Forward(m.tierIn)
	if err != nil {
		return err
	}
	nDrop := len(b.Dropouts)
	if dec, err = inputPath("decoder", dec, peTier); err != nil {
		return err
	}
	m.sharedDrops = append(m.sharedDrops, b.Dropouts[nDrop:]...)
	for i := range c.NLayers {
		l, err := b.NewDecoderLayer(fmt.Sprintf("decoder.layer_stack.%d", i), lc)
		if err != nil {
			return err
		}
		if i == 0 {
			m.sharedDrops = append(m.sharedDrops, l.SelfAttentionDropouts()...)
			dec, err = l.ForwardShared(dec, enc)
		} else {
			dec, err = l.Forward(dec, enc)
		}
		if err != nil {
			return fmt.Errorf("decoder layer %d: %w", i, err)
		}
	}
	sum, err := G.Reshape(dec, tensor.Shape{c.NTier, mb * L * D})
	if err != nil {
		return err
	}
	if sum, err = op.SumAxis(sum, 0); err != nil {
		return err
	}
	flatDec, err := G.Reshape(sum, tensor.Shape{mb, L * D})
	if err != nil {
		return err
	}
	t1, err := b.NewLinear("tier_prj.0", L*D, c.DTierInner, false)
	if err != nil {
		return err
	}
	t2, err := b.NewLinear("tier_prj.2", c.DTierInner, c.NTier, true)
	if err != nil {
		return err
	}
	logits, err := t1.Forward(flatDec)
	if err != nil {
		return err
	}
	if logits, err = op.ReLU(logits); err != nil {
		return err
	}
	if logits, err = t2.Forward(logits); err != nil {
		return err
	}
	if c.ScalePrj {
		if logits, err = G.Mul(logits, G.NewConstant(float32(math.Pow(float64(D), -0.5)))); err != nil {
			return err
		}
	}

	// The micro-batch's loss: its share of the batch's soft CE(tier), the
	// mean over the micro-batch times Micro/B, plus Σ score⊙gScore, whose
	// gradient w.r.t. the scores is the batch RankLoss's (times
	// loss_factor), computed by the caller.
	m.target = m.input("target", mb, c.NTier)
	m.gScore = m.input("grad_score", mb, 1)
	ce, err := op.SoftCrossEntropy(logits, m.target, 0)
	if err != nil {
		return err
	}
	if ce, err = G.Mul(ce, G.NewConstant(float32(float64(mb)/float64(B)))); err != nil {
		return err
	}
	inj, err := G.HadamardProd(score, m.gScore)
	if err != nil {
		return err
	}
	if inj, err = G.Sum(inj); err != nil {
		return err
	}
	loss, err := G.Add(ce, inj)
	if err != nil {
		return err
	}

	m.vals = &modelValues{}
	v := m.vals
	m.evalReads = G.Nodes{G.Read(enc, &v.enc), G.Read(score, &v.score), G.Read(logits, &v.logits)}
	m.scoreRead = G.Read(score, &v.scoreOnly)
	G.Read(ce, &v.ce)
	if _, err := G.Grad(loss, b.Params.Learnables()...); err != nil {
		return fmt.Errorf("gradients: %w", err)
	}
	m.params = nn.OptimParams[float32](b.Params)
	return nil
}

// initWeights fills every learnable as NAR does (see NewModel).
func (m *Model) initWeights(rng *rand.Rand) error {
	for _, e := range m.b.Params.Entries() {
		if e.Node == nil {
			continue
		}
		data, err := nn.Data[float32](e.Node)
		if err != nil {
			return err
		}
		shape := e.Node.Shape()
		switch {
		case len(shape) > 1:
			if err := nn.XavierUniform(data, shape, 1, rng); err != nil {
				return fmt.Errorf("ranker: init %s: %w", e.Name, err)
			}
		case hasSuffix(e.Name, "layer_norm.weight"):
			nn.Constant(data, 1)
		case hasSuffix(e.Name, "layer_norm.bias"):
			nn.Constant(data, 0)
		default: // a Linear bias: torch's U(±1/√fan_in)
			w, ok := m.b.Params.Get(e.Name[:len(e.Name)-len("bias")] + "weight")
			if !ok {
				return fmt.Errorf("ranker: init %s: no matching weight", e.Name)
			}
			bound := 1 / math.Sqrt(float64(w.Node.Shape()[1]))
			nn.Uniform(data, -bound, bound, rng)
		}
	}
	return nil
}

func hasSuffix(s, suf string) bool { return len(s) >= len(suf) && s[len(s)-len(suf):] == suf }

// Params returns the model's parameter registry (state-dict names).
func (m *Model) Params() *nn.Params { return m.b.Params }

// Close releases the machines.
func (m *Model) Close() {
	m.train.Close()
	m.eval.Close()
	m.scoreOnly.Close()
}

// Batch values for one run.
type batchIn struct {
	x      []float32   // B·L·DPatch
	tiers  [][]float32 // NTier × L·DModel (one embedding per tier)
	target []float32   // B·NTier one-hot, training only
	val    []float64   // B validation accuracies, training only
	factor float64
}

// feed writes micro-batch k of in into the graph: its architectures and,
// in training, their targets and loss_factor·∂RankLoss/∂score (m.gRank).
func (m *Model) feed(in batchIn, k int, training bool) error {
	c, mb := m.Cfg, m.Micro
	xd, err := nn.Data[float32](m.x)
	if err != nil {
		return err
	}
	n := mb * c.Tokens * c.DPatch
	copy(xd, in.x[k*n:(k+1)*n])
	if !training {
		return nil
	}
	td, err := nn.Data[float32](m.target)
	if err != nil {
		return err
	}
	copy(td, in.target[k*mb*c.NTier:(k+1)*mb*c.NTier])
	gd, err := nn.Data[float32](m.gScore)
	if err != nil {
		return err
	}
	for i := range gd {
		gd[i] = float32(m.gRank[k*mb+i])
	}
	return nil
}

// feedTiers writes the tier embeddings into the graph.
func (m *Model) feedTiers(tiers [][]float32) error {
	ed, err := nn.Data[float32](m.tierIn)
	if err != nil {
		return err
	}
	size := m.Cfg.Tokens * m.Cfg.DModel
	for t, e := range tiers {
		copy(ed[t*size:(t+1)*size], e)
	}
	return nil
}

// output of one run. The slices point into the model's buffers, valid
// until its next run.
type batchOut struct {
	enc            []float32 // B·L·DModel
	score          []float32 // B
	logits         []float32 // B·NTier
	loss, ce, rank float64
}

// collect copies the outputs of micro-batch k from the last run of the
// evaluation or training machine into the batch's buffers.
func (m *Model) collect(k int) {
	c, mb := m.Cfg, m.Micro
	v, size := m.vals, c.Tokens*c.DModel
	copy(m.outEnc[k*mb*size:], v.enc.Data().([]float32))
	copy(m.outScore[k*mb:], v.score.Data().([]float32))
	copy(m.outLogits[k*mb*c.NTier:], v.logits.Data().([]float32))
}

func (m *Model) out() batchOut {
	return batchOut{enc: m.outEnc, score: m.outScore, logits: m.outLogits}
}

func dropStates(ds []*op.Dropout) ([][]byte, error) {
	out := make([][]byte, len(ds))
	for i, d := range ds {
		var err error
		if out[i], err = d.RNGState(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func setDropStates(ds []*op.Dropout, st [][]byte) error {
	for i, d := range ds {
		if err := d.SetRNGState(st[i]); err != nil {
			return err
		}
	}
	return nil
}

// forward runs the model forward (dropout off) on a batch.
func (m *Model) forward(in batchIn) (batchOut, error) {
	if err := m.feedTiers(in.tiers); err != nil {
		return batchOut{}, err
	}
	m.b.SetTraining(false)
	for k := range m.Batch / m.Micro {
		if err := m.feed(in, k, false); err != nil {
			return batchOut{}, err
		}
		m.eval.Reset()
		if err := m.eval.RunAll(); err != nil {
			return batchOut{}, fmt.Errorf("ranker: forward: %w", err)
		}
		m.collect(k)
	}
	return m.out(), nil
}

// trainStep runs forward and backward in training mode (see Model); the
// gradients are added to the learnables' dual values for the optimiser.
func (m *Model) trainStep(in batchIn) (batchOut, error) {
	if err := m.feedTiers(in.tiers); err != nil {
		return batchOut{}, err
	}
	m.b.SetTraining(true)
	mb, nm := m.Micro, m.Batch/m.Micro
	// First pass: the batch's scores, each micro-batch's encoder masks
	// remembered for the second.
	encStates := make([][][]byte, nm)
	scores := make([]float64, m.Batch)
	for k := range nm {
		var err error
		if encStates[k], err = dropStates(m.encDrops); err != nil {
			return batchOut{}, err
		}
		if err := m.feed(in, k, false); err != nil {
			return batchOut{}, err
		}
		m.scoreOnly.Reset()
		if err := m.scoreOnly.RunAll(); err != nil {
			return batchOut{}, fmt.Errorf("ranker: train step: %w", err)
		}
		for i, s := range m.vals.scoreOnly.Data().([]float32) {
			scores[k*mb+i] = float64(s)
		}
	}
	rank := kernel.RankLoss(scores, in.val, m.gRank, in.factor)
	// Second pass: forward and backward per micro-batch, on the first
	// pass's encoder masks and the batch's one draw of the tier queries'.
	shared, err := dropStates(m.sharedDrops)
	if err != nil {
		return batchOut{}, err
	}
	var ce float64
	for k := range nm {
		if err := setDropStates(m.encDrops, encStates[k]); err != nil {
			return batchOut{}, err
		}
		if err := setDropStates(m.sharedDrops, shared); err != nil {
			return batchOut{}, err
		}
		if err := m.feed(in, k, true); err != nil {
			return batchOut{}, err
		}
		m.train.Reset()
		if err := m.train.RunAll(); err != nil {
			return batchOut{}, fmt.Errorf("ranker: train step: %w", err)
		}
		ce += float64(m.vals.ce.Data().(float32))
		m.collect(k)
	}
	o := m.out()
	o.ce, o.rank, o.loss = ce, rank, ce+in.factor*rank
	return o, nil
}

// Scores returns the score-head value of every architecture of idx, in
// micro-batches (a last partial one is padded with its first
// architecture), running the encoder and score head alone: the score does
// not depend on the tier embeddings.
func (m *Model) Scores(f *Features, idx []int) ([]float64, error) {
	mb := m.Micro
	in := batchIn{x: make([]float32, mb*f.Size())}
	out := make([]float64, len(idx))
	batch := make([]int, mb)
	m.b.SetTraining(false)
	for lo := 0; lo < len(idx); lo += mb {
		n := fillBatch(batch, idx, lo)
		f.EncodeBatch(batch, in.x)
		if err := m.feed(in, 0, false); err != nil {
			return nil, err
		}
		m.scoreOnly.Reset()
		if err := m.scoreOnly.RunAll(); err != nil {
			return nil, fmt.Errorf("ranker: scores: %w", err)
		}
		sc := m.vals.scoreOnly.Data().([]float32)
		for k := range n {
			out[lo+k] = float64(sc[k])
		}
	}
	return out, nil
}

// fillBatch copies the next len(batch) indices of idx from lo into batch, padding a short last batch with
// idx[lo] (the machines run fixed-size batches), and returns how many are real.
func fillBatch(batch, idx []int, lo int) int {
	n := min(len(batch), len(idx)-lo)
	copy(batch, idx[lo:lo+n])
	for k := n; k < len(batch); k++ {
		batch[k] = idx[lo]
	}
	return n
}
