package op

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/kernel"
)

// Helpers for the ops whose output is a scalar (the losses) and for dispatching on the dtype.

// scalarValue returns the number held by v, which is a gorgonia scalar (*G.F32, *G.F64) or a one-element
// float tensor: the incoming gradient of a loss. name is the op, for the error message.
func scalarValue(name string, v G.Value) (float64, error) {
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
	return 0, fmt.Errorf("op %s: incoming gradient: want a float scalar, got %T %v", name, v, v.Shape())
}

// newScalar returns v as a gorgonia scalar of dtype dt.
func newScalar(dt tensor.Dtype, v float64) G.Value {
	if dt == tensor.Float32 {
		return G.NewF32(float32(v))
	}
	return G.NewF64(v)
}

// byDtype runs f32 or f64 according to dt, which denseArgs has already checked.
func byDtype(dt tensor.Dtype, f32, f64 func()) {
	if dt == tensor.Float32 {
		f32()
		return
	}
	f64()
}

// sliceOrNil returns data[T](d), or nil when d is nil.
func sliceOrNil[T kernel.Float](d *tensor.Dense) []T {
	if d == nil {
		return nil
	}
	return data[T](d)
}

// leading returns the product of all but the last dimension of s (1 for a vector) and the last dimension.
func leading(s tensor.Shape) (rows, last int) {
	rows = 1
	for _, d := range s[:len(s)-1] {
		rows *= d
	}
	return rows, s[len(s)-1]
}

// noSecondOrder is the SymDiff of the backward ops of this file family: they have no second derivative.
func noSecondOrder(name string) error {
	return fmt.Errorf("op %s: no second derivative: backward ops are not differentiable", name)
}

// wrapApply wraps an error of G.ApplyOp with the op's name.
func wrapApply(name string, err error) error { return fmt.Errorf("op %s: %w", name, err) }
