package nn

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/op"
)

// The transformer blocks of jadore801120/attention-is-all-you-need-pytorch
// (transformer/SubLayers.py, Layers.py), which NAR's ranker adapts: post-LN
// multi-head attention with bias-free projections and temperature √d_k, and
// the position-wise feed-forward block. Parameter names follow that code's
// state_dict ("slf_attn.w_qs.weight", "pos_ffn.w_1.bias", ...). Every block
// is composed from internal/op ops; no element loops here.

// Builder creates learnables and dropout layers on one graph and registers
// the learnables in a Params registry under hierarchical names. Blocks of
// this file take a Builder so that their parameters and dropouts are
// collected in one place.
type Builder struct {
	G      *G.ExprGraph
	Dtype  tensor.Dtype
	Params *Params
	// Dropouts lists every dropout layer created, so that a caller can
	// switch them between training and evaluation.
	Dropouts []*op.Dropout
	seed     uint64
}

// NewBuilder returns a Builder on g; dropout layer k gets the seed
// seed+k, so a model built twice with one seed draws the same masks.
func NewBuilder(g *G.ExprGraph, dt tensor.Dtype, seed uint64) *Builder {
	return &Builder{G: g, Dtype: dt, Params: &Params{}, seed: seed}
}

// Learnable creates a zero-valued learnable named name and registers it.
func (b *Builder) Learnable(name string, shape ...int) (*G.Node, error) {
	n, err := NewLearnable(b.G, b.Dtype, name, shape...)
	if err != nil {
		return nil, err
	}
	if err := b.Params.AddLearnable(name, n); err != nil {
		return nil, err
	}
	return n, nil
}

// Dropout creates a dropout layer with probability p.
func (b *Builder) Dropout(p float64) (*op.Dropout, error) {
	d, err := op.NewDropout(p, b.seed+uint64(len(b.Dropouts)))
	if err != nil {
		return nil, err
	}
	b.Dropouts = append(b.Dropouts, d)
	return d, nil
}

// SetTraining switches every dropout layer of b.
func (b *Builder) SetTraining(training bool) {
	for _, d := range b.Dropouts {
		d.SetTraining(training)
	}
}

// LinearLayer is torch.nn.Linear: weight (out, in), optional bias (out).
type LinearLayer struct {
	Weight, Bias *G.Node
	In, Out      int
}

// NewLinear creates name.weight (and name.bias when bias is true).
func (b *Builder) NewLinear(name string, in, out int, bias bool) (*LinearLayer, error) {
	w, err := b.Learnable(name+".weight", out, in)
	if err != nil {
		return nil, err
	}
	l := &LinearLayer{Weight: w, In: in, Out: out}
	if bias {
		if l.Bias, err = b.Learnable(name+".bias", out); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Forward returns x·Wᵀ + b over the last axis of x.
func (l *LinearLayer) Forward(x *G.Node) (*G.Node, error) { return op.Linear(x, l.Weight, l.Bias) }

// LayerNormLayer is torch.nn.LayerNorm over the last axis, with affine
// weight and bias.
type LayerNormLayer struct {
	Weight, Bias *G.Node
	Eps          float64
}

// NewLayerNorm creates name.weight and name.bias of size d.
func (b *Builder) NewLayerNorm(name string, d int, eps float64) (*LayerNormLayer, error) {
	w, err := b.Learnable(name+".weight", d)
	if err != nil {
		return nil, err
	}
	bs, err := b.Learnable(name+".bias", d)
	if err != nil {
		return nil, err
	}
	return &LayerNormLayer{Weight: w, Bias: bs, Eps: eps}, nil
}

// Forward normalises x over its last axis.
func (l *LayerNormLayer) Forward(x *G.Node) (*G.Node, error) {
	return op.LayerNorm(x, l.Weight, l.Bias, l.Eps)
}

// AttentionConfig sizes a multi-head attention block.
type AttentionConfig struct {
	DModel, NHead, DK, DV int
	// Dropout is the probability of both the attention-weights dropout and
	// the output dropout (jadore: one value for both).
	Dropout float64
	// Eps is the LayerNorm epsilon (jadore and NAR: 1e-6).
	Eps float64
}

// MultiHeadAttention is jadore's MultiHeadAttention: q, k, v projections
// w_qs, w_ks, w_vs (no bias), scaled dot-product attention with temperature
// √d_k and dropout on the attention weights, output projection fc (no bias),
// dropout, residual (the query input) and LayerNorm. There are no masks.
type MultiHeadAttention struct {
	cfg            AttentionConfig
	wq, wk, wv, fc *LinearLayer
	ln             *LayerNormLayer
	attnDrop, drop *op.Dropout
	scale          *G.Node
}

// NewMultiHeadAttention creates the block's parameters under name.
func (b *Builder) NewMultiHeadAttention(name string, cfg AttentionConfig) (*MultiHeadAttention, error) {
	if cfg.DModel <= 0 || cfg.NHead <= 0 || cfg.DK <= 0 || cfg.DV <= 0 {
		return nil, fmt.Errorf("nn: %s: attention sizes %+v, want all > 0", name, cfg)
	}
	m := &MultiHeadAttention{cfg: cfg}
	var err error
	if m.wq, err = b.NewLinear(name+".w_qs", cfg.DModel, cfg.NHead*cfg.DK, false); err != nil {
		return nil, err
	}
	if m.wk, err = b.NewLinear(name+".w_ks", cfg.DModel, cfg.NHead*cfg.DK, false); err != nil {
		return nil, err
	}
	if m.wv, err = b.NewLinear(name+".w_vs", cfg.DModel, cfg.NHead*cfg.DV, false); err != nil {
		return nil, err
	}
	if m.fc, err = b.NewLinear(name+".fc", cfg.NHead*cfg.DV, cfg.DModel, false); err != nil {
		return nil, err
	}
	if m.ln, err = b.NewLayerNorm(name+".layer_norm", cfg.DModel, cfg.Eps); err != nil {
		return nil, err
	}
	if m.attnDrop, err = b.Dropout(cfg.Dropout); err != nil {
		return nil, err
	}
	if m.drop, err = b.Dropout(cfg.Dropout); err != nil {
		return nil, err
	}
	m.scale = G.NewConstant(castScalar(b.Dtype, 1/math.Sqrt(float64(cfg.DK))))
	return m, nil
}

func castScalar(dt tensor.Dtype, v float64) any {
	if dt == tensor.Float32 {
		return float32(v)
	}
	return v
}

// splitHeads reshapes a projection (B, L, H·d) into (B, H, L, d).
func splitHeads(x *G.Node, h, d int) (*G.Node, error) {
	s := x.Shape()
	r, err := G.Reshape(x, tensor.Shape{s[0], s[1], h, d})
	if err != nil {
		return nil, err
	}
	return op.SwapAxes12(r)
}

// Forward returns LN(q + dropout(fc(attention(q, k, v)))) for q (B, Lq,
// d_model) and k, v (B, Lk, d_model). The heads are split as jadore does
// (view then transpose), so each projection is one GEMM and its gradient
// one (B, L, d_model) tensor.
//
// k and v may also have a batch Bk that divides B: q then holds B/Bk groups
// of Bk queries (group-major), and group g's query b attends to k[b], v[b].
// The key and value projections run once on the Bk rows and are repeated
// over the groups, which equals projecting k and v repeated B/Bk times
// (NAR's decoder runs once per tier against one encoder output).
func (m *MultiHeadAttention) Forward(q, k, v *G.Node) (*G.Node, error) {
	c := m.cfg
	groups := 1
	if qb, kb := q.Shape()[0], k.Shape()[0]; qb != kb {
		if kb <= 0 || qb%kb != 0 || v.Shape()[0] != kb {
			return nil, fmt.Errorf("nn: attention: query batch %d, key/value batches %d/%d: want equal, or keys dividing queries", qb, kb, v.Shape()[0])
		}
		groups = qb / kb
	}
	// 1/temperature is folded into the query weight: (x·Wᵀ)/t = x·(W/t)ᵀ,
	// so the scores equal jadore's matmul(q / t, kᵀ).
	wq, err := G.Mul(m.wq.Weight, m.scale)
	if err != nil {
		return nil, err
	}
	qh, err := op.Linear(q, wq, nil)
	if err != nil {
		return nil, err
	}
	kh, err := m.wk.Forward(k)
	if err != nil {
		return nil, err
	}
	vh, err := m.wv.Forward(v)
	if err != nil {
		return nil, err
	}
	if groups > 1 {
		if kh, err = repeatGroups(kh, groups); err != nil {
			return nil, err
		}
		if vh, err = repeatGroups(vh, groups); err != nil {
			return nil, err
		}
	}
	if qh, err = splitHeads(qh, c.NHead, c.DK); err != nil {
		return nil, err
	}
	if kh, err = splitHeads(kh, c.NHead, c.DK); err != nil {
		return nil, err
	}
	if vh, err = splitHeads(vh, c.NHead, c.DV); err != nil {
		return nil, err
	}
	s, err := op.BatchedMatMul(qh, kh, false, true) // (B, H, Lq, Lk)
	if err != nil {
		return nil, err
	}
	if s, err = op.Softmax(s); err != nil {
		return nil, err
	}
	if s, err = m.attnDrop.Apply(s); err != nil {
		return nil, err
	}
	o, err := op.BatchedMatMul(s, vh, false, false) // (B, H, Lq, dv)
	if err != nil {
		return nil, err
	}
	if o, err = op.SwapAxes12(o); err != nil {
		return nil, err
	}
	qs := q.Shape()
	if o, err = G.Reshape(o, tensor.Shape{qs[0], qs[1], c.NHead * c.DV}); err != nil {
		return nil, err
	}
	if o, err = m.fc.Forward(o); err != nil {
		return nil, err
	}
	if o, err = m.drop.Apply(o); err != nil {
		return nil, err
	}
	if o, err = G.Add(o, q); err != nil {
		return nil, err
	}
	return m.ln.Forward(o)
}

// repeatGroups returns x (Bk, L, d) repeated n times along the batch,
// (n·Bk, L, d), copy-major: row g·Bk+b is x[b].
func repeatGroups(x *G.Node, n int) (*G.Node, error) {
	s := x.Shape()
	r, err := G.Reshape(x, tensor.Shape{1, s[0] * s[1] * s[2]})
	if err != nil {
		return nil, err
	}
	if r, err = op.RepeatAxis(r, 0, n); err != nil {
		return nil, err
	}
	return G.Reshape(r, tensor.Shape{n * s[0], s[1], s[2]})
}

// FeedForward is jadore's PositionwiseFeedForward:
// LN(x + dropout(w_2(ReLU(w_1(x))))).
type FeedForward struct {
	w1, w2 *LinearLayer
	ln     *LayerNormLayer
	drop   *op.Dropout
}

// NewFeedForward creates name.w_1, name.w_2 (with biases) and
// name.layer_norm.
func (b *Builder) NewFeedForward(name string, dModel, dInner int, dropout, eps float64) (*FeedForward, error) {
	f := &FeedForward{}
	var err error
	if f.w1, err = b.NewLinear(name+".w_1", dModel, dInner, true); err != nil {
		return nil, err
	}
	if f.w2, err = b.NewLinear(name+".w_2", dInner, dModel, true); err != nil {
		return nil, err
	}
	if f.ln, err = b.NewLayerNorm(name+".layer_norm", dModel, eps); err != nil {
		return nil, err
	}
	if f.drop, err = b.Dropout(dropout); err != nil {
		return nil, err
	}
	return f, nil
}

// Forward applies the block to x (..., d_model).
func (f *FeedForward) Forward(x *G.Node) (*G.Node, error) {
	h, err := f.w1.Forward(x)
	if err != nil {
		return nil, err
	}
	if h, err = op.ReLU(h); err != nil {
		return nil, err
	}
	if h, err = f.w2.Forward(h); err != nil {
		return nil, err
	}
	if h, err = f.drop.Apply(h); err != nil {
		return nil, err
	}
	if h, err = G.Add(h, x); err != nil {
		return nil, err
	}
	return f.ln.Forward(h)
}

// LayerConfig sizes an encoder or decoder layer.
type LayerConfig struct {
	Attention AttentionConfig
	DInner    int
}

// EncoderLayer is jadore's EncoderLayer: self-attention then feed-forward.
type EncoderLayer struct {
	slf *MultiHeadAttention
	ffn *FeedForward
}

// NewEncoderLayer creates name.slf_attn and name.pos_ffn.
func (b *Builder) NewEncoderLayer(name string, cfg LayerConfig) (*EncoderLayer, error) {
	slf, err := b.NewMultiHeadAttention(name+".slf_attn", cfg.Attention)
	if err != nil {
		return nil, err
	}
	a := cfg.Attention
	ffn, err := b.NewFeedForward(name+".pos_ffn", a.DModel, cfg.DInner, a.Dropout, a.Eps)
	if err != nil {
		return nil, err
	}
	return &EncoderLayer{slf: slf, ffn: ffn}, nil
}

// Forward applies the layer to x (B, L, d_model).
func (l *EncoderLayer) Forward(x *G.Node) (*G.Node, error) {
	h, err := l.slf.Forward(x, x, x)
	if err != nil {
		return nil, err
	}
	return l.ffn.Forward(h)
}

// DecoderLayer is jadore's DecoderLayer: self-attention on the decoder
// input, cross-attention onto the encoder output, feed-forward.
type DecoderLayer struct {
	slf, enc *MultiHeadAttention
	ffn      *FeedForward
}

// NewDecoderLayer creates name.slf_attn, name.enc_attn and name.pos_ffn.
func (b *Builder) NewDecoderLayer(name string, cfg LayerConfig) (*DecoderLayer, error) {
	slf, err := b.NewMultiHeadAttention(name+".slf_attn", cfg.Attention)
	if err != nil {
		return nil, err
	}
	enc, err := b.NewMultiHeadAttention(name+".enc_attn", cfg.Attention)
	if err != nil {
		return nil, err
	}
	a := cfg.Attention
	ffn, err := b.NewFeedForward(name+".pos_ffn", a.DModel, cfg.DInner, a.Dropout, a.Eps)
	if err != nil {
		return nil, err
	}
	return &DecoderLayer{slf: slf, enc: enc, ffn: ffn}, nil
}

// Forward applies the layer to the decoder input x (B, Lq, d_model) with
// the encoder output mem (B, Lk, d_model), or (Bk, Lk, d_model) with Bk
// dividing B (see MultiHeadAttention.Forward).
func (l *DecoderLayer) Forward(x, mem *G.Node) (*G.Node, error) {
	h, err := l.slf.Forward(x, x, x)
	if err != nil {
		return nil, err
	}
	if h, err = l.enc.Forward(h, mem, mem); err != nil {
		return nil, err
	}
	return l.ffn.Forward(h)
}

// ForwardShared applies the layer to T queries shared by a batch: x (T, Lq,
// d_model) holds one decoder input per group (NAR: one per tier, batch 1 in
// the reference, broadcast against the encoder output), mem (B, Lk,
// d_model) the batch's encoder outputs. The self-attention runs on the T
// queries alone, as in the reference, whose dropout masks are therefore
// shared by the batch; its output is repeated over the batch before the
// cross-attention, and the result is (T·B, Lq, d_model), group-major (row
// t·B+b is query t against mem[b]).
func (l *DecoderLayer) ForwardShared(x, mem *G.Node) (*G.Node, error) {
	h, err := l.slf.Forward(x, x, x)
	if err != nil {
		return nil, err
	}
	s := h.Shape()
	B := mem.Shape()[0]
	if h, err = G.Reshape(h, tensor.Shape{s[0], 1, s[1] * s[2]}); err != nil {
		return nil, err
	}
	if h, err = op.RepeatAxis(h, 1, B); err != nil {
		return nil, err
	}
	if h, err = G.Reshape(h, tensor.Shape{s[0] * B, s[1], s[2]}); err != nil {
		return nil, err
	}
	if h, err = l.enc.Forward(h, mem, mem); err != nil {
		return nil, err
	}
	return l.ffn.Forward(h)
}

// SelfAttentionDropouts returns the dropout layers of the self-attention
// (attention weights, output). In ForwardShared they act on the T shared
// queries alone, so a caller that splits a batch into parts can replay
// their random streams to give every part the batch's one draw.
func (l *DecoderLayer) SelfAttentionDropouts() []*op.Dropout {
	return []*op.Dropout{l.slf.attnDrop, l.slf.drop}
}

// SinusoidPositionTable returns jadore's PositionalEncoding table
// (n_position × d): sin(pos/10000^(2⌊j/2⌋/d)) at even j, cos at odd j.
func SinusoidPositionTable(nPosition, d int) []float64 {
	t := make([]float64, nPosition*d)
	for p := range nPosition {
		for j := range d {
			a := float64(p) / math.Pow(10000, float64(2*(j/2))/float64(d))
			if j%2 == 0 {
				t[p*d+j] = math.Sin(a)
			} else {
				t[p*d+j] = math.Cos(a)
			}
		}
	}
	return t
}
