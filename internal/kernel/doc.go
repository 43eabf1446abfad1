// Package kernel holds the pure-Go numeric kernels of the nasx engine: convolutions, pooling and the other
// hot loops, written on flat row-major slices and generic over float32 and float64.
//
// Kernels never allocate their outputs: the caller passes every output buffer as dst (and any scratch space
// the kernel documents). Tensors are in NCHW order. Work is spread over the cores with ParallelFor, which
// splits an index range into contiguous chunks, one per GOMAXPROCS worker. The chunks are claimed by the
// caller and by a pool of helper goroutines that poll for work for 100 µs after their last chunk before
// they park, so that handing a chunk of a µs-sized op to another core costs no thread wake-up.
//
// Paths: depthwise convolutions and pooling run on the "wide" layout of wide.go (padded, phase-split planes;
// all taps of a window in one SIMD pass, written straight into the real output columns or gathered straight
// into the input gradient, see plane.go), as do stride-1 dense and grouped convolutions; 1×1 stride-1
// convolutions are a GEMM on the input itself (the weights packed once per call); other convolutions run
// im2col + GEMM per sample and group. float32 GEMMs run on the register-blocked micro-kernels of gemm32.go
// (4×24 outer-product blocks for op(a)·b, 3×4 dot blocks summed over samples for a·bᵀ); float64 ones run as
// row axpys/dots, or through the BLAS registered with blas64 when large. The float32 kernels are the AVX2/FMA
// assembly of simd_amd64.s, gemm_amd64.s and plane_amd64.s where the CPU has it (detected at start-up), else
// portable Go (TestPortableFallbacks reruns their tests with the assembly off). Every result is
// deterministic: each output element has one writer, and its sum runs in an order fixed by the shapes (sums
// over samples in fixed blocks), which does not depend on GOMAXPROCS.
//
// This package does not import gorgonia; internal/op wraps these kernels as gorgonia ops.
package kernel

// Float is the element type every kernel is generic over.
type Float interface {
	~float32 | ~float64
}
