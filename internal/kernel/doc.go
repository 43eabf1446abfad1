// Package kernel holds the pure-Go numeric kernels of the nasx engine: convolutions, pooling and the other
// hot loops, written on flat row-major slices and generic over float32 and float64.
//
// Kernels never allocate their outputs: the caller passes every output buffer as dst (and any scratch space
// the kernel documents). Tensors are in NCHW order. Work is spread over the cores with ParallelFor, which
// splits an index range into contiguous chunks, one per GOMAXPROCS worker.
//
// Paths: depthwise convolutions and pooling run on the "wide" layout of wide.go (padded, phase-split planes,
// one gonum SIMD axpy/dot per tap over a whole plane), as do stride-1 dense and grouped convolutions; 1×1
// stride-1 convolutions are a GEMM on the input itself; other convolutions run im2col + GEMM per sample and
// group. Small GEMMs run as full-row SIMD axpys/dots, large ones through the BLAS registered with
// blas32/blas64. Every result is deterministic: each output element has one writer, and sums over samples
// run in a fixed order that does not depend on GOMAXPROCS.
//
// This package does not import gorgonia; internal/op wraps these kernels as gorgonia ops.
package kernel

// Float is the element type every kernel is generic over.
type Float interface {
	~float32 | ~float64
}
