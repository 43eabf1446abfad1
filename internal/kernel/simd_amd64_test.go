package kernel

import "testing"

// TestPortableFallbacks reruns the vector-kernel tests with the AVX2 assembly switched off, so the portable
// paths (gonum's SSE loops and the scalar loops), which CPUs without AVX2/FMA run, are checked on this
// machine too.
func TestPortableFallbacks(t *testing.T) {
	saved := useAVX2
	useAVX2 = false
	defer func() { useAVX2 = saved }()
	t.Run("AxpyTaps32", TestAxpyTaps32)
	t.Run("AxpyTaps32ZeroSkips", TestAxpyTaps32ZeroSkips)
	t.Run("Dot32", TestDot32)
	t.Run("RowSums32", TestRowSums32)
	t.Run("AffineAndBNDx32", TestAffineAndBNDx32)
	t.Run("ReLU32Lanes", TestReLU32Lanes)
	t.Run("Gemm32Wide", TestGemm32Wide)
	t.Run("Gemm32AgainstNaive", TestGemm32AgainstNaive)
	t.Run("Gemm32Large", TestGemm32Large)
	t.Run("RandomGeometries32", TestRandomGeometries32)
	t.Run("MaxIntoAndMarkTaps32", TestMaxIntoAndMarkTaps32)
	t.Run("DotF64", TestDotF64)
	t.Run("PlaneKernels32", TestPlaneKernels32)
}
