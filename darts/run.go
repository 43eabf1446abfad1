package darts

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/optim"
)

// Batch is the input of one forward/backward pass, in the supernet's
// dtype: images X (N, 3, H, W) as the network sees them (masked for the
// masking tasks), Labels (N) as exact integers (classification tasks), and
// for the reconstruction tasks the Target patches (N, L, p·p·3) and the Mask
// (N, L) with 1 for the patches that count.
type Batch[T optim.Float] struct {
	X, Labels, Target, Mask []T
}

// Output holds the values of one pass.
type Output struct {
	Loss    float64 // the task's loss (cls_mask: the balanced loss)
	Cls     float64 // cross-entropy (classification tasks), else 0
	Rec     float64 // reconstruction loss (reconstruction tasks), else 0
	Correct int     // correct top-1 predictions (classification tasks)
}

// feed copies src into the backing slice of n.
func feed[T optim.Float](n *G.Node, src []T, what string) error {
	if n == nil {
		if src != nil {
			return fmt.Errorf("darts: batch has %s but the task does not use it", what)
		}
		return nil
	}
	d, ok := n.Value().Data().([]T)
	if !ok {
		return fmt.Errorf("darts: batch %s: element type %T does not match the supernet's %v", what, src, n.Dtype())
	}
	if len(src) != len(d) {
		return fmt.Errorf("darts: batch %s: %d values, want %d %v", what, len(src), len(d), n.Shape())
	}
	copy(d, src)
	return nil
}

// Run feeds b and runs the forward and backward pass. The gradients of
// the weights and the α are then available to WeightParams and AlphaParams.
func Run[T optim.Float](s *Supernet, b Batch[T]) (Output, error) {
	if err := feed(s.x, b.X, "images"); err != nil {
		return Output{}, err
	}
	if err := feed(s.y, b.Labels, "labels"); err != nil {
		return Output{}, err
	}
	if err := feed(s.target, b.Target, "reconstruction target"); err != nil {
		return Output{}, err
	}
	if s.mask != nil && b.Mask != nil {
		if err := feed(s.mask, b.Mask, "mask"); err != nil {
			return Output{}, err
		}
	}
	s.machine.Reset()
	if err := s.machine.RunAll(); err != nil {
		return Output{}, fmt.Errorf("darts: step: %w", err)
	}
	v := s.vals
	out := Output{Loss: scalar(v.loss), Cls: scalar(v.cls), Rec: scalar(v.rec)}
	if v.logits != nil {
		out.Correct = correct(v.logits.(*tensor.Dense), b.Labels)
	}
	if math.IsNaN(out.Loss) || math.IsInf(out.Loss, 0) {
		return out, fmt.Errorf("darts: loss is %v (cls %v, rec %v): %w", out.Loss, out.Cls, out.Rec, ErrNonFinite)
	}
	return out, nil
}

// ErrNonFinite is wrapped when a loss or a gradient norm is NaN or Inf.
var ErrNonFinite = fmt.Errorf("non-finite value")

func scalar(v G.Value) float64 {
	switch x := v.(type) {
	case *G.F32:
		return float64(*x)
	case *G.F64:
		return float64(*x)
	case *tensor.Dense:
		switch d := x.Data().(type) {
		case float32:
			return float64(d)
		case float64:
			return d
		case []float32:
			return float64(d[0])
		case []float64:
			return d[0]
		}
	}
	return 0
}

// correct counts rows of logits whose argmax (first on ties, as torch.topk
// on distinct values) equals the label.
func correct[T optim.Float](logits *tensor.Dense, labels []T) int {
	s := logits.Shape()
	n, k := s[0], s[1]
	var c int
	switch d := logits.Data().(type) {
	case []float32:
		for i := 0; i < n; i++ {
			if argmax(d[i*k:(i+1)*k]) == int(labels[i]) {
				c++
			}
		}
	case []float64:
		for i := 0; i < n; i++ {
			if argmax(d[i*k:(i+1)*k]) == int(labels[i]) {
				c++
			}
		}
	}
	return c
}

func argmax[T optim.Float](v []T) int {
	best := 0
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}

// WeightParams returns the network weights as optimiser params, named by
// their state-dict names, with the gradients of the last Run.
func WeightParams[T optim.Float](s *Supernet) []optim.Param[T] {
	return params[T](s.weights.Entries(), s.weightNodes, s.wGradV)
}

// AlphaParams returns the architecture parameters as optimiser params.
func AlphaParams[T optim.Float](s *Supernet) []optim.Param[T] {
	return params[T](s.alphas.Entries(), s.alphaNodes, s.aGradV)
}

func params[T optim.Float](entries []nnEntry, nodes G.Nodes, grads []G.Value) []optim.Param[T] {
	out := make([]optim.Param[T], 0, len(nodes))
	k := 0
	for _, e := range entries {
		if e.Node == nil {
			continue
		}
		out = append(out, optim.NewRead[T](e.Name, nodes[k], &grads[k]))
		k++
	}
	return out
}

// AlphaValues returns the current α tables as float64 rows: for DARTS
// [normal, reduce], for NAS-Bench-201 [arch_parameters].
func (s *Supernet) AlphaValues() [][][]float64 {
	var out [][][]float64
	for _, a := range s.alphaNodes {
		sh := a.Shape()
		rows := make([][]float64, sh[0])
		var flat []float64
		switch d := a.Value().Data().(type) {
		case []float32:
			for _, v := range d {
				flat = append(flat, float64(v))
			}
		case []float64:
			flat = append(flat, d...)
		}
		for i := range rows {
			rows[i] = flat[i*sh[1] : (i+1)*sh[1]]
		}
		out = append(out, rows)
	}
	return out
}

// Softmax returns the row-wise softmax of α tables, as genotype derivation
// and the logs read them.
func Softmax(tables [][][]float64) [][][]float64 {
	out := make([][][]float64, len(tables))
	for t, rows := range tables {
		out[t] = make([][]float64, len(rows))
		for i, r := range rows {
			m := math.Inf(-1)
			for _, v := range r {
				m = math.Max(m, v)
			}
			var sum float64
			p := make([]float64, len(r))
			for j, v := range r {
				p[j] = math.Exp(v - m)
				sum += p[j]
			}
			for j := range p {
				p[j] /= sum
			}
			out[t][i] = p
		}
	}
	return out
}
