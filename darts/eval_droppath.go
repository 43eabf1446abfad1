package darts

import (
	"errors"
	"fmt"
	"hash"
	"hash/fnv"
	"math/rand/v2"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Drop-path (DARTS utils.drop_path) is computed as y = x · s[n], where s is
// a per-sample scale (0 or 1/keep) held in an input node that the trainer
// fills before every step from a generator seeded by (seed, epoch, step).
// The masks are therefore a pure function of the position in training, so
// one graph serves the whole run and a resumed run draws the same masks.

// sampleScale multiplies each sample of x (first axis) by s[n]; the
// gradient to x is dy · s[n]; s gets none.
type sampleScale struct{ dims int }

// scaleSamples returns x · s[n] for x (N, ...) and s (N).
func scaleSamples(x, s *G.Node) (*G.Node, error) {
	if x.Shape()[0] != s.Shape().TotalSize() {
		return nil, fmt.Errorf("darts: drop-path: %d samples, mask of %d", x.Shape()[0], s.Shape().TotalSize())
	}
	return G.ApplyOp(sampleScale{dims: x.Dims()}, x, s)
}

func (op sampleScale) Arity() int { return 2 }
func (op sampleScale) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := G.TensorType{Dims: op.dims, Of: a}
	return hm.NewFnType(t, G.TensorType{Dims: 1, Of: a}, t)
}
func (op sampleScale) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, errors.New("darts: drop-path: no input shape")
	}
	return s.Clone(), nil
}
func (op sampleScale) Do(in ...G.Value) (G.Value, error) {
	x, ok1 := in[0].(*tensor.Dense)
	s, ok2 := in[1].(*tensor.Dense)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("darts: drop-path: values %T, %T, want *tensor.Dense", in[0], in[1])
	}
	if x.IsMaterializable() {
		x = x.Materialize().(*tensor.Dense)
	}
	out := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(x.Shape().Clone()...))
	n := x.Shape()[0]
	per := x.Shape().TotalSize() / n
	switch xs := x.Data().(type) {
	case []float32:
		ys, ss := out.Data().([]float32), s.Data().([]float32)
		for i := range n {
			k := ss[i]
			for j := i * per; j < (i+1)*per; j++ {
				ys[j] = xs[j] * k
			}
		}
	case []float64:
		ys, ss := out.Data().([]float64), s.Data().([]float64)
		for i := range n {
			k := ss[i]
			for j := i * per; j < (i+1)*per; j++ {
				ys[j] = xs[j] * k
			}
		}
	default:
		return nil, fmt.Errorf("darts: drop-path: dtype %v, want float32 or float64", x.Dtype())
	}
	return out, nil
}
func (op sampleScale) ReturnsPtr() bool      { return false }
func (op sampleScale) CallsExtern() bool     { return false }
func (op sampleScale) OverwritesInput() int  { return -1 }
func (op sampleScale) String() string        { return "SampleScale" }
func (op sampleScale) WriteHash(h hash.Hash) { h.Write([]byte(op.String())) }
func (op sampleScale) Hashcode() uint32 {
	f := fnv.New32a()
	op.WriteHash(f)
	return f.Sum32()
}
func (op sampleScale) DiffWRT(int) []bool { return []bool{true, false} }
func (op sampleScale) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(op, grad, in[1])
	return G.Nodes{dx, nil}, err
}

// fillDropMasks draws one keep/drop scale per sample for every mask: 1/keep
// with probability keep = 1−p, else 0 (torch's bernoulli_(keep) then
// x.div_(keep).mul_(mask)); p = 0 gives exact ones.
func fillDropMasks(masks []*G.Node, p float64, rng *rand.Rand) {
	keep := 1 - p
	for _, m := range masks {
		s := m.Value().Data().([]float32)
		for i := range s {
			switch {
			case p == 0:
				s[i] = 1
			case rng.Float64() < keep:
				s[i] = float32(1 / keep)
			default:
				s[i] = 0
			}
		}
	}
}
