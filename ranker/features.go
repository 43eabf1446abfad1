package ranker

import (
	"fmt"
	"math"

	"github.com/nasx/nasx/data/bench"
	"github.com/nasx/nasx/searchspace"
)

// Feature tensor geometry (algorithms.md B.2).
const (
	// NB201Tokens is the number of tokens of the NB201 tensor: 1 op channel
	// plus 2 (FLOPs, params) for each of the 15 searched cells.
	NB201Tokens = 1 + 2*bench.NB201Cells
	// NB201OpTokens is the number of tokens AddOpTokens appends: one per op type.
	NB201OpTokens = 5
	// NB201Side is the side of the NB201 cell matrix (4 nodes).
	NB201Side = 4
	// NB101Tokens is the number of tokens of the NB101 tensor: 1 op channel
	// plus 2 for each of the 9 modules.
	NB101Tokens = 1 + 2*bench.NB101Cells
	// NB101Side is the side of the padded NB101 matrix (7 vertices).
	NB101Side = 7
)

// NB101 feature scales (NAR:architecture/arch_encode.py): vertex FLOPs are
// divided by 1e7 and vertex params by 1e5. NB201 values are raw.
const (
	nb101FlopsScale  = 1e7
	nb101ParamsScale = 1e5
)

// nb101OpCode is NAR's NB101 op code table (arch_encode.py).
var nb101OpCode = map[string]float32{
	"input": 1, "conv1x1-bn-relu": 2, "conv3x3-bn-relu": 3, "maxpool3x3": 4, "output": 5,
}

// Features holds, for every architecture of a benchmark on one dataset, what
// NAR needs: the accuracies, the totals the sampler statistics use, and the
// feature tensor (Tokens tokens of Dim values), computed up front for NB201
// and on demand for NB101 (423,624 × 931 floats would take 1.6 GB).
type Features struct {
	Kind    bench.Kind
	Dataset bench.Dataset
	// Tokens and Dim are the tensor geometry: 31×16 (NB201), 19×49 (NB101).
	Tokens, Dim int
	// Val and Test are the validation and test accuracies, percent.
	Val, Test []float64
	// Flops and Params are the network totals.
	Flops, Params []int64
	// OpCounts (NB201 only) counts the 5 op types over the 6 edges: NAR's
	// edges_type_counts.
	OpCounts [][5]int
	// NNodes (NB101 only) is the vertex count of the pruned cell.
	NNodes []int

	x      []float32 // N*Tokens*Dim, NB201 only
	encode func(i int, dst []float32)
	table  bench.Table
}

// Len returns the number of architectures.
func (f *Features) Len() int { return len(f.Val) }

// Size returns Tokens·Dim, the number of values of one tensor.
func (f *Features) Size() int { return f.Tokens * f.Dim }

// Table returns the benchmark the features come from.
func (f *Features) Table() bench.Table { return f.table }

// Encode writes the feature tensor of architecture i into dst, which must
// hold Size() values.
func (f *Features) Encode(i int, dst []float32) {
	if f.x != nil {
		copy(dst, f.x[i*f.Size():(i+1)*f.Size()])
		return
	}
	f.encode(i, dst)
}

// EncodeBatch writes the tensors of idx, one after another, into dst.
func (f *Features) EncodeBatch(idx []int, dst []float32) {
	s := f.Size()
	for k, i := range idx {
		f.Encode(i, dst[k*s:(k+1)*s])
	}
}

// ScaleTokens divides every token of every tensor by that token's largest
// magnitude over the whole benchmark, so that all values lie in [-1, 1]
// (the improved mode's "scaled" features). NAR's NB201 tensors are raw: a
// FLOPs token holds values up to ~10⁶ and the op-code token 0–4, so the
// projected FLOPs and params tokens dwarf the positional encoding added to
// them. Tokens that are zero everywhere stay zero. NB201 only (its tensors
// are precomputed); scaling depends on the benchmark alone, so a model
// trained on scaled features predicts correctly after the same call.
func (f *Features) ScaleTokens() error {
	if f.x == nil {
		return fmt.Errorf("ranker: scaled features need precomputed tensors (nasbench201), not %s", f.Kind)
	}
	size, dim := f.Size(), f.Dim
	scale := make([]float64, f.Tokens)
	for i := range f.Len() {
		for t := range f.Tokens {
			for _, v := range f.x[i*size+t*dim : i*size+(t+1)*dim] {
				scale[t] = max(scale[t], math.Abs(float64(v)))
			}
		}
	}
	for i := range f.Len() {
		for t, m := range scale {
			if m == 0 {
				continue
			}
			row := f.x[i*size+t*dim : i*size+(t+1)*dim]
			for j, v := range row {
				row[j] = float32(float64(v) / m)
			}
		}
	}
	return nil
}

// AddOpTokens appends NB201OpTokens tokens to every NB201 tensor, one per op
// type k (none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3): the
// 4×4 matrix with 1 at [src][dst] where edge src→dst holds op k (the improved
// mode's "onehot" features). NAR's tensor names the ops only by their codes
// 0–4 in token 0, an ordinal encoding the projection cannot separate
// linearly, and through FLOPs and params, which are zero alike for none,
// skip_connect and avg_pool_3x3.
func (f *Features) AddOpTokens() error {
	if f.x == nil || f.Kind != bench.KindNB201 {
		return fmt.Errorf("ranker: op tokens are implemented for nasbench201 only, not %s", f.Kind)
	}
	t, ok := f.table.(*bench.NB201)
	if !ok {
		return fmt.Errorf("ranker: op tokens need the NB201 table, got %T", f.table)
	}
	old, dim := f.Size(), f.Dim
	f.Tokens += NB201OpTokens
	size := f.Size()
	x := make([]float32, f.Len()*size)
	for i := range f.Len() {
		copy(x[i*size:i*size+old], f.x[i*old:(i+1)*old])
		a := t.Arch(i)
		for e, sd := range searchspace.NB201Edges {
			x[i*size+old+a[e]*dim+sd[0]*NB201Side+sd[1]] = 1
		}
	}
	f.x = x
	return nil
}

// EncodeNB201 builds NAR's NB201 features on ds (NAR:architecture/
// arch_encode_201.py): token 0 is cell_adjacency (the op code of edge
// src→dst at [src][dst]), then for each of the 15 searched cells a 4×4
// matrix of the edges' raw FLOPs and one of their raw params.
func EncodeNB201(t *bench.NB201, ds bench.Dataset) (*Features, error) {
	if int(ds) < 0 || int(ds) >= len(bench.DatasetNames) {
		return nil, fmt.Errorf("ranker: nasbench201: unknown dataset %d", ds)
	}
	n := t.Len()
	f := &Features{
		Kind: bench.KindNB201, Dataset: ds, Tokens: NB201Tokens, Dim: NB201Side * NB201Side,
		Val: make([]float64, n), Test: make([]float64, n),
		Flops: make([]int64, n), Params: make([]int64, n),
		OpCounts: make([][5]int, n), table: t,
	}
	size := f.Size()
	f.x = make([]float32, n*size)
	for i := range n {
		f.Val[i] = t.Acc(i, ds, bench.Val)
		f.Test[i] = t.Acc(i, ds, bench.Test)
		f.Flops[i], f.Params[i] = t.Total(i, ds)
		a := t.Arch(i)
		f.OpCounts[i] = a.OpCounts()
		encodeNB201(f.x[i*size:(i+1)*size], a, t, i, ds)
	}
	return f, nil
}

func encodeNB201(dst []float32, a searchspace.NB201Arch, t *bench.NB201, i int, ds bench.Dataset) {
	adj := a.Adjacency()
	for r := range NB201Side {
		for c := range NB201Side {
			dst[r*NB201Side+c] = float32(adj[r][c])
		}
	}
	flops, params := t.EdgeCosts(i, ds)
	for cell := range bench.NB201Cells {
		fl := dst[(1+2*cell)*16 : (2+2*cell)*16]
		pa := dst[(2+2*cell)*16 : (3+2*cell)*16]
		clear(fl)
		clear(pa)
		for e, sd := range searchspace.NB201Edges {
			fl[sd[0]*NB201Side+sd[1]] = float32(flops[cell][e])
			pa[sd[0]*NB201Side+sd[1]] = float32(params[cell][e])
		}
	}
}

// EncodeNB101 returns NAR's NB101 features (NAR:architecture/arch_encode.py)
// on CIFAR-10, encoded on demand: the pruned n×n cell is zero-padded to 7×7
// with the padding inserted before the output vertex (which ends at index
// 6); token 0 is A[i][j]·op(j) (an edge carries its destination's op code),
// then for each of the 9 modules A[i][j]·vertex_flops[j]/1e7 and
// A[i][j]·vertex_params[j]/1e5.
func EncodeNB101(t *bench.NB101) (*Features, error) {
	n := t.Len()
	f := &Features{
		Kind: bench.KindNB101, Dataset: bench.CIFAR10, Tokens: NB101Tokens, Dim: NB101Side * NB101Side,
		Val: make([]float64, n), Test: make([]float64, n),
		Flops: make([]int64, n), Params: make([]int64, n),
		NNodes: make([]int, n), table: t,
	}
	for i := range n {
		f.Val[i] = t.Acc(i, bench.CIFAR10, bench.Val)
		f.Test[i] = t.Acc(i, bench.CIFAR10, bench.Test)
		f.Flops[i], f.Params[i] = t.Flops(i), t.Params(i)
		s := t.Spec(i)
		if len(s.Ops) < 2 || len(s.Ops) > NB101Side {
			return nil, fmt.Errorf("ranker: nasbench101: record %d: %d vertices (want 2..7)", i, len(s.Ops))
		}
		for _, op := range s.Ops {
			if _, ok := nb101OpCode[op]; !ok {
				return nil, fmt.Errorf("ranker: nasbench101: record %d: unknown op %q", i, op)
			}
		}
		f.NNodes[i] = len(s.Ops)
	}
	f.encode = func(i int, dst []float32) {
		fl, pa := t.VertexCosts(i)
		EncodeNB101Cell(dst, t.Spec(i), fl, pa)
	}
	return f, nil
}

// EncodeNB101Cell writes the 19×7×7 tensor of one pruned cell with its
// per-module vertex FLOPs and params (each slice one value per vertex) into
// dst (931 values). It panics if the spec has more than 7 vertices or an
// unknown op; EncodeNB101 checks both first.
func EncodeNB101Cell(dst []float32, s searchspace.NB101Spec, flops, params [bench.NB101Cells][]uint32) {
	n := len(s.Ops)
	// pos maps a vertex to its padded index: the output vertex goes to 6,
	// the zero rows are inserted before it (arch_encode.py pads one row and
	// column at a time and swaps the last two indices each time).
	pos := func(v int) int {
		if v == n-1 {
			return NB101Side - 1
		}
		return v
	}
	clear(dst[:NB101Tokens*NB101Side*NB101Side])
	const d = NB101Side * NB101Side
	for r := range n {
		for c := range n {
			if s.Matrix[r][c] == 0 {
				continue
			}
			a := float32(s.Matrix[r][c])
			k := pos(r)*NB101Side + pos(c)
			op, ok := nb101OpCode[s.Ops[c]]
			if !ok {
				panic(fmt.Sprintf("ranker: unknown NB101 op %q", s.Ops[c]))
			}
			dst[k] = a * op
			for m := range bench.NB101Cells {
				dst[(1+2*m)*d+k] = a * float32(float64(flops[m][c])/nb101FlopsScale)
				dst[(2+2*m)*d+k] = a * float32(float64(params[m][c])/nb101ParamsScale)
			}
		}
	}
}

// TestRanks returns, for every architecture, its global rank by test
// accuracy: 1 + the number of architectures with a strictly higher test
// accuracy (competition ranking, 1 = best).
func (f *Features) TestRanks() []int {
	n := f.Len()
	order := argsortDesc(f.Test)
	ranks := make([]int, n)
	for k, i := range order {
		if k > 0 && f.Test[i] == f.Test[order[k-1]] {
			ranks[i] = ranks[order[k-1]]
		} else {
			ranks[i] = k + 1
		}
	}
	return ranks
}

// ceilDiv returns ⌈v/d⌉ for positive d, as NAR's math.ceil(v/1e3).
func ceilDiv(v int64, d float64) int64 { return int64(math.Ceil(float64(v) / d)) }
