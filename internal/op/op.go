package op

import (
	"errors"
	"fmt"
	"hash"
	"hash/fnv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/kernel"
)

// Type variables and tensor types shared by the ops of this package. Every op is polymorphic in the element
// type 'a', which is float32 or float64 at run time.
var (
	tA = hm.TypeVariable('a')
	t1 = G.TensorType{Dims: 1, Of: tA}
	t2 = G.TensorType{Dims: 2, Of: tA}
	t3 = G.TensorType{Dims: 3, Of: tA}
	t4 = G.TensorType{Dims: 4, Of: tA}
)

// tensorType returns the tensor type of the given rank over the shared type variable 'a'.
func tensorType(dims int) hm.Type {
	switch dims {
	case 1:
		return t1
	case 2:
		return t2
	case 3:
		return t3
	case 4:
		return t4
	}
	return G.TensorType{Dims: dims, Of: tA}
}

// ErrShape is the sentinel wrapped by every shape error of this package; test it with errors.Is.
var ErrShape = errors.New("shape mismatch")

// ErrDtype is the sentinel wrapped by every dtype error of this package; test it with errors.Is.
var ErrDtype = errors.New("unsupported dtype")

// shapeErrorf returns an error "op <name>: <message>: shape mismatch" that wraps ErrShape. name is the op's
// String(), so the message carries every parameter.
func shapeErrorf(name string, format string, args ...any) error {
	return fmt.Errorf("op %s: %s: %w", name, fmt.Sprintf(format, args...), ErrShape)
}

// describe renders an op name and its parameters as "Name{p0,p1,...}". It is the canonical String() of the
// ops here, and, since it lists every parameter, also what WriteHash writes.
func describe(name string, params ...any) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	for i, p := range params {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, p)
	}
	b.WriteByte('}')
	return b.String()
}

// opNames caches the names of parameterised ops by op value. Their Do runs String on every call (the name
// goes into any error), and formatting the parameters through fmt cost ~2% of a DARTS mixed edge's step at
// 2 threads, more than some small ops' kernels.
var opNames sync.Map

// cachedName returns describeOp(op), formatting it only the first time an equal op value asks.
func cachedName[K comparable](op K, describeOp func(K) string) string {
	if s, ok := opNames.Load(op); ok {
		return s.(string)
	}
	s := describeOp(op)
	opNames.Store(op, s)
	return s
}

// writeHash writes describe(name, params...) to h. Ops call it with every parameter (and their unique id,
// if they keep state), so that two ops hash equal only when they compute the same function.
func writeHash(h hash.Hash, name string, params ...any) {
	h.Write([]byte(describe(name, params...)))
}

// hashcode returns the 32-bit FNV-1a hash of what op writes in WriteHash.
func hashcode(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

var lastID atomic.Uint64

// nextID returns a process-wide unique id for a stateful op instance, so that two such ops applied to the same
// input never hash-cons into one node.
func nextID() uint64 { return lastID.Add(1) }

// pure supplies the three Op methods that are the same for every op of this package: ops return a fresh value,
// call no external engine and never overwrite an input.
type pure struct{}

// ReturnsPtr reports false: Do returns a new value.
func (pure) ReturnsPtr() bool { return false }

// CallsExtern reports false: the kernels are pure Go.
func (pure) CallsExtern() bool { return false }

// OverwritesInput reports -1: no input is written.
func (pure) OverwritesInput() int { return -1 }

// shapeOf returns input i of InferShape as a tensor.Shape, or an error naming the op and the input.
func shapeOf(name string, in []G.DimSizer, i int) (tensor.Shape, error) {
	if i >= len(in) {
		return nil, shapeErrorf(name, "want at least %d inputs, got %d", i+1, len(in))
	}
	s, ok := in[i].(tensor.Shape)
	if !ok {
		return nil, shapeErrorf(name, "input %d: want a tensor.Shape, got %T", i, in[i])
	}
	return s, nil
}

// checkArity returns an error unless n values were passed to an op of the given arity.
func checkArity(name string, arity, n int) error {
	if n != arity {
		return fmt.Errorf("op %s: want %d inputs, got %d", name, arity, n)
	}
	return nil
}

// denseArgs asserts that every value is a *tensor.Dense of one float dtype (float32 or float64) and returns
// them with that dtype. Errors name the op and the offending input.
func denseArgs(name string, vs []G.Value) ([]*tensor.Dense, tensor.Dtype, error) {
	out := make([]*tensor.Dense, len(vs))
	var dt tensor.Dtype
	for i, v := range vs {
		d, ok := v.(*tensor.Dense)
		if !ok {
			return nil, dt, fmt.Errorf("op %s: input %d: want *tensor.Dense, got %T", name, i, v)
		}
		if d.Dtype() != tensor.Float32 && d.Dtype() != tensor.Float64 {
			return nil, dt, fmt.Errorf("op %s: input %d: dtype %v: %w (want float32 or float64)", name, i, d.Dtype(), ErrDtype)
		}
		if i == 0 {
			dt = d.Dtype()
		} else if d.Dtype() != dt {
			return nil, dt, fmt.Errorf("op %s: input %d: dtype %v differs from input 0's %v: %w", name, i, d.Dtype(), dt, ErrDtype)
		}
		if d.IsView() || !d.DataOrder().IsRowMajor() || d.Shape().IsScalar() {
			// A view or a column-major value: copy it into a fresh contiguous row-major tensor.
			m, ok := d.Materialize().(*tensor.Dense)
			if !ok || m.Shape().IsScalar() {
				return nil, dt, fmt.Errorf("op %s: input %d: want a non-scalar contiguous tensor, got shape %v", name, i, d.Shape())
			}
			d = m
		}
		out[i] = d
	}
	return out, dt, nil
}

// newLike returns a zeroed dense tensor of the given dtype and shape, from the Buffers pool, for a kernel that
// adds into its output.
func newLike(dt tensor.Dtype, shape ...int) *tensor.Dense {
	return buffers.get(dt, shape, true)
}

// NewOutput is newOut for ops defined outside this package (nn's channel concatenation, slice and crop): a
// tensor from the Buffers pool, not cleared, whose elements the caller overwrites every one of.
func NewOutput(dt tensor.Dtype, shape ...int) *tensor.Dense { return newOut(dt, shape...) }

// NewZeroed is newLike for ops defined outside this package: a zeroed tensor from the Buffers pool.
func NewZeroed(dt tensor.Dtype, shape ...int) *tensor.Dense { return newLike(dt, shape...) }

// newOut returns a dense tensor of the given dtype and shape from the Buffers pool, not cleared: its elements
// hold whatever a previous op left there, so it is for a kernel that overwrites every element of its output
// without reading it first. Clearing a recycled buffer costs a pass over memory, and a clear split over the
// cores (kernel.Zero) leaves the output's cache lines on the other core for the kernel to pull back. The
// op tests run with PoisonOutputs, so that an output that is not overwritten whole shows up as NaN.
func newOut(dt tensor.Dtype, shape ...int) *tensor.Dense {
	return buffers.get(dt, shape, false)
}

// data returns the backing slice of d as []T. d must hold T and be contiguous and non-scalar; values that
// went through denseArgs are.
func data[T kernel.Float](d *tensor.Dense) []T {
	return d.Data().([]T)
}
