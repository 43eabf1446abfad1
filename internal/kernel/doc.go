// Package kernel holds the pure-Go numeric kernels of the nasx engine: convolutions, pooling and the other
// hot loops, written on flat row-major slices and generic over float32 and float64.
//
// Kernels never allocate their outputs: the caller passes every output buffer as dst (and any scratch space
// the kernel documents). Tensors are in NCHW order. Work is spread over the cores with ParallelFor, which
// splits an index range into contiguous chunks, one per GOMAXPROCS worker.
//
// Paths: depthwise convolutions and pooling run on the "wide" layout of wide.go (padded, phase-split planes,
// SIMD axpys/dots over whole planes; a depthwise conv runs all its taps in one fused pass), as do stride-1
// dense and grouped convolutions; 1×1 stride-1 convolutions are a GEMM on the input itself; other
// convolutions run im2col + GEMM per sample and group. float32 GEMMs run as fused multi-tap axpys (all of k,
// or L2-sized blocks of it for large products) and dots; float64 ones that are large go through the BLAS
// registered with blas64. The float32 vector loops are the AVX2/FMA assembly of simd_amd64.s where the CPU
// has it, else gonum's SSE/portable ones. Every result is deterministic: each output element has one writer,
// and sums over samples run in a fixed order that does not depend on GOMAXPROCS.
//
// This package does not import gorgonia; internal/op wraps these kernels as gorgonia ops.
package kernel

// Float is the element type every kernel is generic over.
type Float interface {
	~float32 | ~float64
}
