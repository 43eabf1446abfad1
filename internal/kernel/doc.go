// Package kernel holds the pure-Go numeric kernels of the nasx engine: convolutions, pooling and the other
// hot loops, written on flat row-major slices and generic over float32 and float64.
//
// Kernels never allocate their outputs: the caller passes every output buffer as dst (and any scratch space
// the kernel documents). Tensors are in NCHW order. Work is spread over the cores with ParallelFor, which
// splits an index range into contiguous chunks, one per GOMAXPROCS worker.
//
// This package does not import gorgonia; internal/op wraps these kernels as gorgonia ops.
package kernel

// Float is the element type every kernel is generic over.
type Float interface {
	~float32 | ~float64
}
