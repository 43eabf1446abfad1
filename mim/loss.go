package mim

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/op"
)

// Task selects the losses of a search step, as α-DARTS' --task.
type Task string

const (
	// TaskCls is plain DARTS: cross-entropy on the clean image.
	TaskCls Task = "cls"
	// TaskClsMask is α-DARTS: cross-entropy and masked reconstruction, both on
	// the masked image, combined by the balanced loss (the paper's method).
	TaskClsMask Task = "cls_mask"
	// TaskMaskRec is masked image modeling only: the reconstruction loss on the
	// masked patches of the masked image.
	TaskMaskRec Task = "mask_rec"
	// TaskRec is autoencoding only: the clean image is the input and every
	// patch counts in the reconstruction loss (mask of ones).
	TaskRec Task = "rec"
)

// Tasks lists the valid tasks in the order of the reference's --task help.
var Tasks = []Task{TaskCls, TaskClsMask, TaskMaskRec, TaskRec}

// ParseTask returns the Task named s.
func ParseTask(s string) (Task, error) {
	for _, t := range Tasks {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("mim: unknown task %q (valid: cls, cls_mask, mask_rec, rec)", s)
}

// Masks reports whether the task feeds the masked image to the network.
func (t Task) Masks() bool { return t == TaskClsMask || t == TaskMaskRec }

// Classifies reports whether the task has the cross-entropy term.
func (t Task) Classifies() bool { return t == TaskCls || t == TaskClsMask }

// Reconstructs reports whether the task has the reconstruction decoder and loss.
func (t Task) Reconstructs() bool { return t != TaskCls }

// NormPixTarget normalises every patch of target (rows of d values) in
// place to zero mean and unit variance, as MAE's norm_pix_loss:
// (t − mean)/√(var + 1e-6) with the unbiased variance (torch.var's
// default). The targets carry no gradient, so this runs on the batch before
// the step.
func NormPixTarget[T Float](target []T, d int) error {
	if d < 2 || len(target)%d != 0 {
		return fmt.Errorf("mim: norm_pix target: %d values do not form patches of %d (want d ≥ 2)", len(target), d)
	}
	for i := 0; i < len(target); i += d {
		row := target[i : i+d]
		var mean float64
		for _, v := range row {
			mean += float64(v)
		}
		mean /= float64(d)
		var ss float64
		for _, v := range row {
			ss += (float64(v) - mean) * (float64(v) - mean)
		}
		std := math.Sqrt(ss/float64(d-1) + 1e-6) // MAE: (var + 1.e-6)**.5
		for j, v := range row {
			row[j] = T((float64(v) - mean) / std)
		}
	}
	return nil
}

// Balanced returns α-DARTS' combined loss of a classification loss cls and a
// reconstruction loss rec (scalars):
//
//	L = cls + rec / stopgrad(rec / cls)
//
// (SD@d525eed model_search.py Network._loss and train_search.py train()).
// Its value is 2·cls; its gradient is 1 w.r.t. cls and cls/rec w.r.t. rec,
// the ratio being a constant of the step, exactly as torch's .detach().
func Balanced(cls, rec *G.Node) (*G.Node, error) {
	if cls.Dtype() != rec.Dtype() {
		return nil, fmt.Errorf("mim: balanced loss: cls is %v and rec is %v, want one dtype", cls.Dtype(), rec.Dtype())
	}
	out, err := G.ApplyOp(balanceOp{}, cls, rec)
	if err != nil {
		return nil, fmt.Errorf("mim: balanced loss: %w", err)
	}
	return out, nil
}

// balanceOp is the forward of Balanced (grad false) and, with grad true, the
// gradient w.r.t. rec: g / (rec/cls) with inputs (g, cls, rec).
type balanceOp struct{ grad bool }

var (
	_ G.Op   = balanceOp{}
	_ G.SDOp = balanceOp{}
)

func (o balanceOp) Arity() int {
	if o.grad {
		return 3
	}
	return 2
}

func (o balanceOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	if o.grad {
		return hm.NewFnType(a, a, a, a)
	}
	return hm.NewFnType(a, a, a)
}

func (o balanceOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}

func (o balanceOp) Do(in ...G.Value) (G.Value, error) {
	if len(in) != o.Arity() {
		return nil, fmt.Errorf("mim: %s: got %d inputs, want %d", o, len(in), o.Arity())
	}
	v := make([]float64, len(in))
	for i, x := range in {
		f, err := scalarOf(x)
		if err != nil {
			return nil, fmt.Errorf("mim: %s: input %d: %w", o, i, err)
		}
		v[i] = f
	}
	if in[0].Dtype() == tensor.Float32 {
		f := make([]float32, len(v))
		for i := range v {
			f[i] = float32(v[i])
		}
		if o.grad { // g / (rec/cls), in float32 as torch
			return G.NewF32(f[0] / (f[2] / f[1])), nil
		}
		return G.NewF32(f[0] + f[1]/(f[1]/f[0])), nil
	}
	if o.grad {
		return G.NewF64(v[0] / (v[2] / v[1])), nil
	}
	return G.NewF64(v[0] + v[1]/(v[1]/v[0])), nil
}

func scalarOf(v G.Value) (float64, error) {
	switch s := v.(type) {
	case *G.F32:
		return float64(*s), nil
	case *G.F64:
		return float64(*s), nil
	case *tensor.Dense:
		if s.Shape().TotalSize() == 1 {
			switch d := s.Data().(type) {
			case float32:
				return float64(d), nil
			case float64:
				return d, nil
			case []float32:
				return float64(d[0]), nil
			case []float64:
				return d[0], nil
			}
		}
	}
	return 0, fmt.Errorf("want a float scalar, got %T", v)
}

func (o balanceOp) ReturnsPtr() bool     { return false }
func (o balanceOp) CallsExtern() bool    { return false }
func (o balanceOp) OverwritesInput() int { return -1 }
func (o balanceOp) String() string {
	if o.grad {
		return "mim.BalancedRecGrad"
	}
	return "mim.Balanced"
}
func (o balanceOp) WriteHash(h hash.Hash) { h.Write([]byte(o.String())) }
func (o balanceOp) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}

func (o balanceOp) DiffWRT(n int) []bool {
	if o.grad {
		return make([]bool, n)
	}
	return []bool{true, true}
}

func (o balanceOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if o.grad {
		return nil, fmt.Errorf("mim: %s has no second derivative", o)
	}
	dRec, err := G.ApplyOp(balanceOp{grad: true}, grad, in[0], in[1])
	if err != nil {
		return nil, err
	}
	return G.Nodes{grad, dRec}, nil
}

// PatchifyNode returns patchify(x) on the graph: the images x (N, C, H, W)
// as patches (N, L, p·p·C) in nhwpqc order (the gradient flows back).
func PatchifyNode(x *G.Node, p int) (*G.Node, error) {
	s := x.Shape()
	if len(s) != 4 || p <= 0 || s[2]%p != 0 || s[3]%p != 0 {
		return nil, fmt.Errorf("mim: patchify: shape %v with patch %d: want (N, C, H, W) with p dividing H and W", s, p)
	}
	n, c, h, w := s[0], s[1], s[2]/p, s[3]/p
	y, err := G.Reshape(x, tensor.Shape{n, c, h, p, w, p})
	if err != nil {
		return nil, fmt.Errorf("mim: patchify: %w", err)
	}
	if y, err = G.Transpose(y, 0, 2, 4, 3, 5, 1); err != nil { // nchpwq → nhwpqc
		return nil, fmt.Errorf("mim: patchify: %w", err)
	}
	if y, err = G.Reshape(y, tensor.Shape{n, h * w, p * p * c}); err != nil {
		return nil, fmt.Errorf("mim: patchify: %w", err)
	}
	return y, nil
}

// RecLoss returns α-DARTS' utils.MaskMSE of the reconstruction recon
// (N, C, H, W) against target patches (N, L, p·p·C) under mask (N, L):
// the per-patch MSE averaged over the patches with mask 1. For
// norm_pix_loss, normalise the target first with NormPixTarget.
func RecLoss(recon, target, mask *G.Node, p int) (*G.Node, error) {
	pred, err := PatchifyNode(recon, p)
	if err != nil {
		return nil, err
	}
	l, err := op.MaskedMSE(pred, target, mask)
	if err != nil {
		return nil, fmt.Errorf("mim: reconstruction loss: %w", err)
	}
	return l, nil
}
