package op

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/kernel"
)

// Softmax returns softmax(x) over the last axis of x (..., D); use it for the α of a mixed op and for
// attention scores. Unlike gorgonia's SoftMax/LogSoftMax pair, Softmax and LogSoftmax hash differently, so both
// can be taken of one node. The backward pass reads the op's output y (dx = y·(dy − Σ dy·y), or
// dy − exp(y)·Σ dy for the log form), so it costs no exp for softmax; gorgonia's register allocator keeps y
// live until that backward op has run, so an in-place op downstream cannot clobber it (tested).
func Softmax(x *G.Node) (*G.Node, error) { return softmax(x, false) }

// LogSoftmax returns log_softmax(x) over the last axis of x (..., D).
func LogSoftmax(x *G.Node) (*G.Node, error) { return softmax(x, true) }

func softmax(x *G.Node, log bool) (*G.Node, error) {
	kind := "Softmax"
	if log {
		kind = "LogSoftmax"
	}
	if x.Dims() < 1 {
		return nil, shapeErrorf(kind, "x is a scalar, want at least one axis")
	}
	tx := tensorType(x.Dims())
	o := &funcOp{name: describe(kind, x.Dims()), arity: 1, typ: fnType(tx, tx), shape: sameShape, diffWRT: []bool{true}}
	o.do = func(in []G.Value) (G.Value, error) {
		ds, dt, err := denseArgs(o.name, in)
		if err != nil {
			return nil, err
		}
		rows, d := leading(ds[0].Shape())
		y := newOut(dt, ds[0].Shape()...)
		byDtype(dt, func() { kernel.Softmax(data[float32](y), data[float32](ds[0]), rows, d, log) },
			func() { kernel.Softmax(data[float64](y), data[float64](ds[0]), rows, d, log) })
		return y, nil
	}
	o.symDiff = func(_ G.Nodes, out, grad *G.Node) (G.Nodes, error) {
		b := &funcOp{name: describe(kind+"Grad", x.Dims()), arity: 2, typ: fnType(tx, tx, tx), shape: sameShape}
		b.do = func(vs []G.Value) (G.Value, error) {
			ds, dt, err := denseArgs(b.name, vs)
			if err != nil {
				return nil, err
			}
			if !ds[0].Shape().Eq(ds[1].Shape()) {
				return nil, shapeErrorf(b.name, "output %v and gradient %v differ", ds[0].Shape(), ds[1].Shape())
			}
			rows, d := leading(ds[0].Shape())
			dx := newOut(dt, ds[0].Shape()...)
			byDtype(dt, func() {
				kernel.SoftmaxBackward(data[float32](dx), data[float32](ds[0]), data[float32](ds[1]), rows, d, log)
			},
				func() {
					kernel.SoftmaxBackward(data[float64](dx), data[float64](ds[0]), data[float64](ds[1]), rows, d, log)
				})
			return dx, nil
		}
		dx, err := apply(b, out, grad)
		return G.Nodes{dx}, err
	}
	return apply(o, x)
}

// CrossEntropy returns the mean over the batch of torch's CrossEntropyLoss(label_smoothing=smoothing) for
// logits (N, C) and target (N) holding class indices 0, 1, ..., C−1: an int, int64 or int32 tensor, or a
// tensor of the logits' float dtype holding exact integers (copy the batch labels into it each step). A
// target that is not an integer in [0, C) is an error naming the row. No gradient flows to target.
func CrossEntropy(logits, target *G.Node, smoothing float64) (*G.Node, error) {
	name := describe("CrossEntropy", smoothing)
	if logits.Dims() != 2 || target.Dims() != 1 || target.Shape()[0] != logits.Shape()[0] {
		return nil, shapeErrorf(name, "logits %v, target %v: want logits (N, C) and target (N)", logits.Shape(), target.Shape())
	}
	if !(smoothing >= 0 && smoothing <= 1) {
		return nil, fmt.Errorf("op %s: label smoothing %v, want in [0, 1]", name, smoothing)
	}
	// The targets have their own type variable, so that integer tensors are accepted. Not 'b': gorgonia's
	// inferNodeType uses 'b' for the return type.
	tt := G.TensorType{Dims: 1, Of: hm.TypeVariable('t')}
	o := &funcOp{name: name, arity: 2, typ: fnType(t2, tt, tA), shape: scalarShape, diffWRT: []bool{true, false}}
	o.do = func(in []G.Value) (G.Value, error) {
		ds, dt, err := denseArgs(name, in[:1])
		if err != nil {
			return nil, err
		}
		target, err := classTargets(name, in[1], ds[0].Shape())
		if err != nil {
			return nil, err
		}
		var loss float64
		byDtype(dt, func() { loss = ceRun[float32](ds[0], target, smoothing, nil, 0) },
			func() { loss = ceRun[float64](ds[0], target, smoothing, nil, 0) })
		return newScalar(dt, loss), nil
	}
	o.symDiff = func(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		b := &funcOp{name: describe("CrossEntropyGrad", smoothing), arity: 3, typ: fnType(t2, tt, tA, t2), shape: shapeOfInput(0)}
		b.do = func(vs []G.Value) (G.Value, error) {
			g, err := scalarValue(b.name, vs[2])
			if err != nil {
				return nil, err
			}
			ds, dt, err := denseArgs(b.name, vs[:1])
			if err != nil {
				return nil, err
			}
			target, err := classTargets(b.name, vs[1], ds[0].Shape())
			if err != nil {
				return nil, err
			}
			dx := newOut(dt, ds[0].Shape()...)
			byDtype(dt, func() { ceRun[float32](ds[0], target, smoothing, dx, g) },
				func() { ceRun[float64](ds[0], target, smoothing, dx, g) })
			return dx, nil
		}
		dx, err := apply(b, in[0], in[1], grad)
		return G.Nodes{dx, nil}, err
	}
	return apply(o, logits, target)
}

// classTargets checks that v holds one class index in [0, C) per row of logits (N, C) and returns them. v is an
// int, int64 or int32 tensor, or a float32/float64 tensor of exact integers.
func classTargets(name string, v G.Value, logits tensor.Shape) ([]int, error) {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("op %s: target: want a tensor of class indices, got %T", name, v)
	}
	if len(logits) != 2 || !d.Shape().Eq(tensor.Shape{logits[0]}) {
		return nil, shapeErrorf(name, "logits %v, target %v: want (N, C) and (N)", logits, d.Shape())
	}
	n, c := logits[0], logits[1]
	out := make([]int, n)
	bad := func(i int, v any) error {
		return fmt.Errorf("op %s: target[%d] = %v, want a class index in [0, %d)", name, i, v, c)
	}
	switch ts := d.Data().(type) {
	case []int:
		for i, t := range ts {
			if t < 0 || t >= c {
				return nil, bad(i, t)
			}
			out[i] = t
		}
	case []int64:
		for i, t := range ts {
			if t < 0 || t >= int64(c) {
				return nil, bad(i, t)
			}
			out[i] = int(t)
		}
	case []int32:
		for i, t := range ts {
			if t < 0 || t >= int32(c) {
				return nil, bad(i, t)
			}
			out[i] = int(t)
		}
	case []float32:
		for i, t := range ts {
			f := float64(t)
			if f != math.Trunc(f) || f < 0 || f >= float64(c) {
				return nil, bad(i, f)
			}
			out[i] = int(f)
		}
	case []float64:
		for i, f := range ts {
			if f != math.Trunc(f) || f < 0 || f >= float64(c) {
				return nil, bad(i, f)
			}
			out[i] = int(f)
		}
	default:
		return nil, fmt.Errorf("op %s: target has dtype %v: %w (want int, int64, int32 or a float dtype)", name, d.Dtype(), ErrDtype)
	}
	return out, nil
}

// ceRun runs the cross-entropy kernel on logits (N, C); dx, when non-nil, receives g·dloss/dlogits.
func ceRun[T kernel.Float](logits *tensor.Dense, target []int, eps float64, dx *tensor.Dense, g float64) float64 {
	s := logits.Shape()
	return kernel.CrossEntropy(data[T](logits), target, s[0], s[1], eps, sliceOrNil[T](dx), g)
}

// SoftCrossEntropy returns the mean over the batch of −Σ_c q'·log_softmax(logits) for logits (N, C) and soft
// targets q (N, C), with torch's label smoothing q' = (1−smoothing)·q + smoothing/C (as
// CrossEntropyLoss(label_smoothing) with probability targets). Gradients flow to both inputs.
func SoftCrossEntropy(logits, q *G.Node, smoothing float64) (*G.Node, error) {
	name := describe("SoftCrossEntropy", smoothing)
	if logits.Dims() != 2 || !q.Shape().Eq(logits.Shape()) {
		return nil, shapeErrorf(name, "logits %v, targets %v: want both (N, C)", logits.Shape(), q.Shape())
	}
	if !(smoothing >= 0 && smoothing <= 1) {
		return nil, fmt.Errorf("op %s: label smoothing %v, want in [0, 1]", name, smoothing)
	}
	o := &funcOp{name: name, arity: 2, typ: fnType(t2, t2, tA), shape: scalarShape, diffWRT: []bool{true, true}}
	run := func(bname string, vs []G.Value, which int, g float64) (G.Value, error) {
		ds, dt, err := denseArgs(bname, vs)
		if err != nil {
			return nil, err
		}
		if !ds[0].Shape().Eq(ds[1].Shape()) || ds[0].Dims() != 2 {
			return nil, shapeErrorf(bname, "logits %v, targets %v: want both (N, C)", ds[0].Shape(), ds[1].Shape())
		}
		n, c := ds[0].Shape()[0], ds[0].Shape()[1]
		var out *tensor.Dense
		if which >= 0 {
			out = newOut(dt, n, c)
		}
		var loss float64
		byDtype(dt, func() {
			loss = softCE[float32](ds, n, c, smoothing, out, which, g)
		}, func() {
			loss = softCE[float64](ds, n, c, smoothing, out, which, g)
		})
		if out != nil {
			return out, nil
		}
		return newScalar(dt, loss), nil
	}
	o.do = func(in []G.Value) (G.Value, error) { return run(name, in, -1, 0) }
	o.symDiff = func(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		grads := make(G.Nodes, 2)
		for which := 0; which < 2; which++ {
			b := &funcOp{name: describe("SoftCrossEntropyGrad", which, smoothing), arity: 3, typ: fnType(t2, t2, tA, t2), shape: shapeOfInput(0)}
			b.do = func(vs []G.Value) (G.Value, error) {
				g, err := scalarValue(b.name, vs[2])
				if err != nil {
					return nil, err
				}
				return run(b.name, vs[:2], which, g)
			}
			var err error
			if grads[which], err = apply(b, in[0], in[1], grad); err != nil {
				return nil, err
			}
		}
		return grads, nil
	}
	return apply(o, logits, q)
}

func softCE[T kernel.Float](ds []*tensor.Dense, n, c int, eps float64, out *tensor.Dense, which int, g float64) float64 {
	var dx, dq []T
	switch which {
	case 0:
		dx = data[T](out)
	case 1:
		dq = data[T](out)
	}
	return kernel.SoftCrossEntropy(data[T](ds[0]), data[T](ds[1]), n, c, eps, dx, dq, g)
}

// MaskedMSE returns α-DARTS' utils.MaskMSE (norm_pix_loss off) for pred and target (..., L, D) and mask
// (..., L): the mean squared error of each patch over D, then Σ(loss·mask)/Σ mask, so only patches with mask 1
// (the removed ones) count. Gradients flow to pred and target, not to mask. A mask that sums to 0 is an error
// (torch would return NaN).
func MaskedMSE(pred, target, mask *G.Node) (*G.Node, error) {
	name := describe("MaskedMSE", pred.Dims())
	if pred.Dims() < 2 || !target.Shape().Eq(pred.Shape()) || !mask.Shape().Eq(pred.Shape()[:pred.Dims()-1]) {
		return nil, shapeErrorf(name, "pred %v, target %v, mask %v: want pred and target (..., L, D) and mask (..., L)", pred.Shape(), target.Shape(), mask.Shape())
	}
	tp, tm := tensorType(pred.Dims()), tensorType(mask.Dims())
	o := &funcOp{name: name, arity: 3, typ: fnType(tp, tp, tm, tA), shape: scalarShape, diffWRT: []bool{true, true, false}}
	run := func(bname string, vs []G.Value, which int, g float64) (G.Value, error) {
		ds, dt, err := denseArgs(bname, vs)
		if err != nil {
			return nil, err
		}
		ps := ds[0].Shape()
		if !ds[1].Shape().Eq(ps) || !ds[2].Shape().Eq(ps[:len(ps)-1]) {
			return nil, shapeErrorf(bname, "pred %v, target %v, mask %v", ps, ds[1].Shape(), ds[2].Shape())
		}
		rows, d := leading(ps)
		var msum float64
		var out *tensor.Dense
		if which >= 0 {
			out = newOut(dt, ps...)
		}
		var loss float64
		byDtype(dt, func() { msum = sumOf(data[float32](ds[2])) }, func() { msum = sumOf(data[float64](ds[2])) })
		if msum == 0 {
			return nil, fmt.Errorf("op %s: the mask has no masked patch (sum 0): the loss is undefined", bname)
		}
		byDtype(dt, func() { loss = mmse[float32](ds, rows, d, msum, out, which, g) },
			func() { loss = mmse[float64](ds, rows, d, msum, out, which, g) })
		if out != nil {
			return out, nil
		}
		return newScalar(dt, loss), nil
	}
	o.do = func(in []G.Value) (G.Value, error) { return run(name, in, -1, 0) }
	o.symDiff = func(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		grads := make(G.Nodes, 3)
		for which := 0; which < 2; which++ {
			b := &funcOp{name: describe("MaskedMSEGrad", which, pred.Dims()), arity: 4, typ: fnType(tp, tp, tm, tA, tp), shape: shapeOfInput(0)}
			b.do = func(vs []G.Value) (G.Value, error) {
				g, err := scalarValue(b.name, vs[3])
				if err != nil {
					return nil, err
				}
				return run(b.name, vs[:3], which, g)
			}
			var err error
			if grads[which], err = apply(b, in[0], in[1], in[2], grad); err != nil {
				return nil, err
			}
		}
		return grads, nil
	}
	return apply(o, pred, target, mask)
}

func sumOf[T kernel.Float](xs []T) float64 {
	var s float64
	for _, v := range xs {
		s += float64(v)
	}
	return s
}

func mmse[T kernel.Float](ds []*tensor.Dense, rows, d int, msum float64, out *tensor.Dense, which int, g float64) float64 {
	var dp, dt []T
	switch which {
	case 0:
		dp = data[T](out)
	case 1:
		dt = data[T](out)
	}
	return kernel.MaskedMSE(data[T](ds[0]), data[T](ds[1]), data[T](ds[2]), rows, d, msum, dp, dt, g)
}

// RankLoss returns NAR's pairwise ranking loss (ReNAS's, algorithms.md B.3) for the predicted scores (B) and
// the true accuracies targets (B), B ≥ 2: mean over ordered pairs i ≠ j of
// log(1 + exp(−(s_i − s_j)·sign(y_i − y_j))). No gradient flows to targets.
func RankLoss(scores, targets *G.Node) (*G.Node, error) {
	name := describe("RankLoss")
	if scores.Dims() != 1 || !targets.Shape().Eq(scores.Shape()) || scores.Shape()[0] < 2 {
		return nil, shapeErrorf(name, "scores %v, targets %v: want both (B) with B >= 2", scores.Shape(), targets.Shape())
	}
	o := &funcOp{name: name, arity: 2, typ: fnType(t1, t1, tA), shape: scalarShape, diffWRT: []bool{true, false}}
	run := func(bname string, vs []G.Value, grad bool, g float64) (G.Value, error) {
		ds, dt, err := denseArgs(bname, vs)
		if err != nil {
			return nil, err
		}
		if ds[0].Dims() != 1 || !ds[1].Shape().Eq(ds[0].Shape()) || ds[0].Shape()[0] < 2 {
			return nil, shapeErrorf(bname, "scores %v, targets %v: want both (B) with B >= 2", ds[0].Shape(), ds[1].Shape())
		}
		var out *tensor.Dense
		if grad {
			out = newOut(dt, ds[0].Shape()...)
		}
		var loss float64
		f32 := func() {
			loss = kernel.RankLoss(data[float32](ds[0]), data[float32](ds[1]), sliceOrNil[float32](out), g)
		}
		f64 := func() {
			loss = kernel.RankLoss(data[float64](ds[0]), data[float64](ds[1]), sliceOrNil[float64](out), g)
		}
		byDtype(dt, f32, f64)
		if grad {
			return out, nil
		}
		return newScalar(dt, loss), nil
	}
	o.do = func(in []G.Value) (G.Value, error) { return run(name, in, false, 0) }
	o.symDiff = func(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		b := &funcOp{name: describe("RankLossGrad"), arity: 3, typ: fnType(t1, t1, tA, t1), shape: shapeOfInput(0)}
		b.do = func(vs []G.Value) (G.Value, error) {
			g, err := scalarValue(b.name, vs[2])
			if err != nil {
				return nil, err
			}
			return run(b.name, vs[:2], true, g)
		}
		ds, err := apply(b, in[0], in[1], grad)
		return G.Nodes{ds, nil}, err
	}
	return apply(o, scores, targets)
}
