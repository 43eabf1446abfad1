#include "textflag.h"

// Register-blocked float32 GEMM micro-kernels (AVX2/FMA). See gemm32.go for the drivers and the portable
// versions (gemm4Go, dotBlockGo), which compute the same sums.

// FMA3/2/1(off, …) broadcast element off/4 of the packed A panel (one row of the block) and multiply it with
// the B vectors in Y12–Y14 into that row's accumulators.
#define FMA3(off, r0, r1, r2) \
	VBROADCASTSS off(SI), Y15; \
	VFMADD231PS  Y12, Y15, r0; \
	VFMADD231PS  Y13, Y15, r1; \
	VFMADD231PS  Y14, Y15, r2

#define FMA2(off, r0, r1) \
	VBROADCASTSS off(SI), Y15; \
	VFMADD231PS  Y12, Y15, r0; \
	VFMADD231PS  Y13, Y15, r1

#define FMA1(off, r0) \
	VBROADCASTSS off(SI), Y15; \
	VFMADD231PS  Y12, Y15, r0

// func gemm4AVX2(c *float32, ldc int, a *float32, b *float32, ldb int, k, nv, acc, blocks int)
// C[r, j] = (acc ≠ 0 ? C[r, j] : 0) + Σ_{l<k} a[4l+r]·B[l, j] for r < 4 and j < 8·nv: a 4×(8·nv) block of C
// (row stride ldc) held in 4·nv YMM accumulators, nv ∈ {1, 2, 3}, k > 0. a is a packed panel (k × 4, the
// four rows' elements of one l side by side); B rows are ldb apart. Each element sums l = 0, 1, … in order
// with one FMA per product. With nv = 3, blocks > 0 such blocks side by side (24 columns apart) are done in
// one call, the same panel for each; nv < 3 does one block.
TEXT ·gemm4AVX2(SB), NOSPLIT, $0-72
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	SHLQ $2, R8
	MOVQ a+16(FP), SI
	MOVQ b+24(FP), BX
	MOVQ ldb+32(FP), R9
	SHLQ $2, R9
	MOVQ k+40(FP), CX
	MOVQ nv+48(FP), DX
	MOVQ acc+56(FP), R13
	LEAQ (DI)(R8*1), R10
	LEAQ (R10)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	CMPQ DX, $2
	JEQ  nv2
	JLT  nv1

	// nv = 3: Y0–Y2 row 0, Y3–Y5 row 1, Y6–Y8 row 2, Y9–Y11 row 3. AX: B at the block's first column.
	MOVQ BX, AX

blk3:
	TESTQ R13, R13
	JZ    zero3
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS (R10), Y3
	VMOVUPS 32(R10), Y4
	VMOVUPS 64(R10), Y5
	VMOVUPS (R11), Y6
	VMOVUPS 32(R11), Y7
	VMOVUPS 64(R11), Y8
	VMOVUPS (R12), Y9
	VMOVUPS 32(R12), Y10
	VMOVUPS 64(R12), Y11
	JMP     loop3

zero3:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

loop3:
	VMOVUPS (BX), Y12
	VMOVUPS 32(BX), Y13
	VMOVUPS 64(BX), Y14
	FMA3(0, Y0, Y1, Y2)
	FMA3(4, Y3, Y4, Y5)
	FMA3(8, Y6, Y7, Y8)
	FMA3(12, Y9, Y10, Y11)
	ADDQ $16, SI
	ADDQ R9, BX
	DECQ CX
	JNZ  loop3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, (R10)
	VMOVUPS Y4, 32(R10)
	VMOVUPS Y5, 64(R10)
	VMOVUPS Y6, (R11)
	VMOVUPS Y7, 32(R11)
	VMOVUPS Y8, 64(R11)
	VMOVUPS Y9, (R12)
	VMOVUPS Y10, 32(R12)
	VMOVUPS Y11, 64(R12)
	DECQ    blocks+64(FP)
	JZ      done3
	ADDQ    $96, DI
	ADDQ    $96, R10
	ADDQ    $96, R11
	ADDQ    $96, R12
	ADDQ    $96, AX
	MOVQ    AX, BX
	MOVQ    a+16(FP), SI
	MOVQ    k+40(FP), CX
	JMP     blk3

done3:
	VZEROUPPER
	RET

nv2:
	TESTQ R13, R13
	JZ    zero2
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS (R10), Y3
	VMOVUPS 32(R10), Y4
	VMOVUPS (R11), Y6
	VMOVUPS 32(R11), Y7
	VMOVUPS (R12), Y9
	VMOVUPS 32(R12), Y10
	JMP     loop2

zero2:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10

loop2:
	VMOVUPS (BX), Y12
	VMOVUPS 32(BX), Y13
	FMA2(0, Y0, Y1)
	FMA2(4, Y3, Y4)
	FMA2(8, Y6, Y7)
	FMA2(12, Y9, Y10)
	ADDQ $16, SI
	ADDQ R9, BX
	DECQ CX
	JNZ  loop2
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y3, (R10)
	VMOVUPS Y4, 32(R10)
	VMOVUPS Y6, (R11)
	VMOVUPS Y7, 32(R11)
	VMOVUPS Y9, (R12)
	VMOVUPS Y10, 32(R12)
	VZEROUPPER
	RET

nv1:
	TESTQ R13, R13
	JZ    zero1
	VMOVUPS (DI), Y0
	VMOVUPS (R10), Y3
	VMOVUPS (R11), Y6
	VMOVUPS (R12), Y9
	JMP     loop1

zero1:
	VXORPS Y0, Y0, Y0
	VXORPS Y3, Y3, Y3
	VXORPS Y6, Y6, Y6
	VXORPS Y9, Y9, Y9

loop1:
	VMOVUPS (BX), Y12
	FMA1(0, Y0)
	FMA1(4, Y3)
	FMA1(8, Y6)
	FMA1(12, Y9)
	ADDQ $16, SI
	ADDQ R9, BX
	DECQ CX
	JNZ  loop1
	VMOVUPS Y0, (DI)
	VMOVUPS Y3, (R10)
	VMOVUPS Y6, (R11)
	VMOVUPS Y9, (R12)
	VZEROUPPER
	RET

// HSUM(y, x, dst) stores the sum of the eight lanes of y (x is its low half) as one float32 at dst.
#define HSUM(y, x, dst) \
	VEXTRACTF128 $1, y, X15; \
	VADDPS       X15, x, x; \
	VHADDPS      x, x, x; \
	VHADDPS      x, x, x; \
	VMOVSS       x, dst

// func dotBlockAVX2(a *float32, aoffs *int, b *float32, boffs *int, k, ns, sa, sb int, out *float32)
// out[4r+s] = Σ_{i<ns} Σ_{l<k} a[i·sa + aoffs[r] + l]·b[i·sb + boffs[s] + l] for r < 3, s < 4: a 3×4 block of
// dot products (over ns pairs of matrices, sa and sb elements apart) held in 12 YMM accumulators; k > 0 is a
// multiple of 8, ns > 0. Lane q of each accumulator sums the products with l ≡ q (mod 8) in order of (i, l).
TEXT ·dotBlockAVX2(SB), NOSPLIT, $0-72
	MOVQ a+0(FP), AX
	MOVQ aoffs+8(FP), DX
	MOVQ (DX), R8
	LEAQ (AX)(R8*4), R8
	MOVQ 8(DX), R9
	LEAQ (AX)(R9*4), R9
	MOVQ 16(DX), R10
	LEAQ (AX)(R10*4), R10
	MOVQ b+16(FP), AX
	MOVQ boffs+24(FP), DX
	MOVQ (DX), R11
	LEAQ (AX)(R11*4), R11
	MOVQ 8(DX), R12
	LEAQ (AX)(R12*4), R12
	MOVQ 16(DX), R13
	LEAQ (AX)(R13*4), R13
	MOVQ 24(DX), DI
	LEAQ (AX)(DI*4), DI
	MOVQ k+32(FP), CX
	MOVQ ns+40(FP), SI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

sample:
	XORQ AX, AX

dloop:
	VMOVUPS     (R8)(AX*4), Y12
	VMOVUPS     (R9)(AX*4), Y13
	VMOVUPS     (R10)(AX*4), Y14
	VMOVUPS     (R11)(AX*4), Y15
	VFMADD231PS Y12, Y15, Y0
	VFMADD231PS Y13, Y15, Y4
	VFMADD231PS Y14, Y15, Y8
	VMOVUPS     (R12)(AX*4), Y15
	VFMADD231PS Y12, Y15, Y1
	VFMADD231PS Y13, Y15, Y5
	VFMADD231PS Y14, Y15, Y9
	VMOVUPS     (R13)(AX*4), Y15
	VFMADD231PS Y12, Y15, Y2
	VFMADD231PS Y13, Y15, Y6
	VFMADD231PS Y14, Y15, Y10
	VMOVUPS     (DI)(AX*4), Y15
	VFMADD231PS Y12, Y15, Y3
	VFMADD231PS Y13, Y15, Y7
	VFMADD231PS Y14, Y15, Y11
	ADDQ        $8, AX
	CMPQ        AX, CX
	JLT         dloop
	DECQ        SI
	JZ          reduce
	MOVQ        sa+48(FP), DX
	SHLQ        $2, DX
	ADDQ        DX, R8
	ADDQ        DX, R9
	ADDQ        DX, R10
	MOVQ        sb+56(FP), DX
	SHLQ        $2, DX
	ADDQ        DX, R11
	ADDQ        DX, R12
	ADDQ        DX, R13
	ADDQ        DX, DI
	JMP         sample

reduce:
	MOVQ out+64(FP), DX
	HSUM(Y0, X0, (DX))
	HSUM(Y1, X1, 4(DX))
	HSUM(Y2, X2, 8(DX))
	HSUM(Y3, X3, 12(DX))
	HSUM(Y4, X4, 16(DX))
	HSUM(Y5, X5, 20(DX))
	HSUM(Y6, X6, 24(DX))
	HSUM(Y7, X7, 28(DX))
	HSUM(Y8, X8, 32(DX))
	HSUM(Y9, X9, 36(DX))
	HSUM(Y10, X10, 40(DX))
	HSUM(Y11, X11, 44(DX))
	VZEROUPPER
	RET

// func dotTaps2DAVX2(y, x *float32, offs *int, taps, n, rows, ys, xs int, out *float32)
// out[t] = Σ_{r<rows} Σ_{i<n} y[r·ys+i]·x[r·xs+offs[t]+i] for t < taps, 0 < taps ≤ 12 (one accumulator each;
// out has room for 12): the filter gradient of all taps of a depthwise window in one pass over the output
// gradient, which is loaded once per 8 columns. n > 0 is a multiple of 8; rows > 0.
TEXT ·dotTaps2DAVX2(SB), NOSPLIT, $0-72
	MOVQ y+0(FP), SI
	MOVQ x+8(FP), DX
	MOVQ offs+16(FP), R8
	MOVQ taps+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ rows+40(FP), R10
	MOVQ ys+48(FP), R13
	SHLQ $2, R13
	MOVQ xs+56(FP), DI
	SHLQ $2, DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

dtrow:
	XORQ AX, AX

dtloop:
	VMOVUPS (SI)(AX*4), Y12
	LEAQ    (DX)(AX*4), R12
	MOVQ        0(R8), R11
	VFMADD231PS (R12)(R11*4), Y12, Y0
	CMPQ        R9, $1
	JEQ         dtnext
	MOVQ        8(R8), R11
	VFMADD231PS (R12)(R11*4), Y12, Y1
	CMPQ        R9, $2
	JEQ         dtnext
	MOVQ        16(R8), R11
	VFMADD231PS (R12)(R11*4), Y12, Y2
	CMPQ        R9, $3
	JEQ         dtnext
	MOVQ        24(R8), R11
	VFMADD231PS (R12)(R11*4), Y12, Y3
	CMPQ        R9, $4
	JEQ         dtnext
	MOVQ        32(R8), R11
	VFMADD231PS (R12)(R11*4), Y12, Y4
	CMPQ        R9, $5
	JEQ         dtnext
	MOVQ        40(R8), R11
	VFMADD231PS (R12)(R11*4), Y12, Y5
	CMPQ        R9, $6
	JEQ         dtnext
	MOVQ        48(R8), R11
	VFMADD231PS (R12)(R11*4), Y12, Y6
	CMPQ        R9, $7
	JEQ         dtnext
	MOVQ        56(R8), R11
	VFMADD231PS (R12)(R11*4), Y12, Y7
	CMPQ        R9, $8
	JEQ         dtnext
	MOVQ        64(R8), R11
	VFMADD231PS (R12)(R11*4), Y12, Y8
	CMPQ        R9, $9
	JEQ         dtnext
	MOVQ        72(R8), R11
	VFMADD231PS (R12)(R11*4), Y12, Y9
	CMPQ        R9, $10
	JEQ         dtnext
	MOVQ        80(R8), R11
	VFMADD231PS (R12)(R11*4), Y12, Y10
	CMPQ        R9, $11
	JEQ         dtnext
	MOVQ        88(R8), R11
	VFMADD231PS (R12)(R11*4), Y12, Y11

dtnext:
	ADDQ $8, AX
	CMPQ AX, CX
	JLT  dtloop
	ADDQ R13, SI
	ADDQ DI, DX
	DECQ R10
	JNZ  dtrow
	MOVQ out+64(FP), DX
	HSUM(Y0, X0, 0(DX))
	HSUM(Y1, X1, 4(DX))
	HSUM(Y2, X2, 8(DX))
	HSUM(Y3, X3, 12(DX))
	HSUM(Y4, X4, 16(DX))
	HSUM(Y5, X5, 20(DX))
	HSUM(Y6, X6, 24(DX))
	HSUM(Y7, X7, 28(DX))
	HSUM(Y8, X8, 32(DX))
	HSUM(Y9, X9, 36(DX))
	HSUM(Y10, X10, 40(DX))
	HSUM(Y11, X11, 44(DX))
	VZEROUPPER
	RET

// func pack4AVX2(dst, a *float32, lda, n int)
// Interleaves four rows of a (lda apart) into dst: dst[4l+r] = a[r·lda + l] for r < 4, l < n, n a multiple of
// 8. Each step loads 8 elements of each row and transposes the 4×8 block in registers.
TEXT ·pack4AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), BX
	MOVQ n+24(FP), CX
	SHLQ $2, BX
	LEAQ (SI)(BX*1), R8
	LEAQ (R8)(BX*1), R9
	LEAQ (R9)(BX*1), R10
	XORQ AX, AX

p4loop:
	CMPQ AX, CX
	JGE  p4done
	VMOVUPS (SI)(AX*4), Y0            // a0 … a7
	VMOVUPS (R8)(AX*4), Y1            // b0 … b7
	VMOVUPS (R9)(AX*4), Y2            // c0 … c7
	VMOVUPS (R10)(AX*4), Y3           // d0 … d7
	VUNPCKLPS Y1, Y0, Y4              // a0 b0 a1 b1 | a4 b4 a5 b5
	VUNPCKHPS Y1, Y0, Y5              // a2 b2 a3 b3 | a6 b6 a7 b7
	VUNPCKLPS Y3, Y2, Y6              // c0 d0 c1 d1 | c4 d4 c5 d5
	VUNPCKHPS Y3, Y2, Y7              // c2 d2 c3 d3 | c6 d6 c7 d7
	VUNPCKLPD Y6, Y4, Y0              // a0 b0 c0 d0 | a4 b4 c4 d4
	VUNPCKHPD Y6, Y4, Y1              // a1 b1 c1 d1 | a5 b5 c5 d5
	VUNPCKLPD Y7, Y5, Y2              // a2 b2 c2 d2 | a6 b6 c6 d6
	VUNPCKHPD Y7, Y5, Y3              // a3 b3 c3 d3 | a7 b7 c7 d7
	VPERM2F128 $0x20, Y1, Y0, Y4      // l = 0, 1
	VPERM2F128 $0x20, Y3, Y2, Y5      // l = 2, 3
	VPERM2F128 $0x31, Y1, Y0, Y6      // l = 4, 5
	VPERM2F128 $0x31, Y3, Y2, Y7      // l = 6, 7
	VMOVUPS Y4, (DI)
	VMOVUPS Y5, 32(DI)
	VMOVUPS Y6, 64(DI)
	VMOVUPS Y7, 96(DI)
	ADDQ $128, DI
	ADDQ $8, AX
	JMP  p4loop

p4done:
	VZEROUPPER
	RET

// func pack4TAVX2(dst, a *float32, lda, n int)
// Copies four adjacent elements of n rows of a (lda apart) into dst: dst[4l+r] = a[l·lda + r] for r < 4,
// l < n, two rows per step.
TEXT ·pack4TAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), BX
	MOVQ n+24(FP), CX
	SHLQ $2, BX

t4loop:
	CMPQ CX, $2
	JLT  t4tail
	VMOVUPS (SI), X0
	VMOVUPS (SI)(BX*1), X1
	VMOVUPS X0, (DI)
	VMOVUPS X1, 16(DI)
	LEAQ (SI)(BX*2), SI
	ADDQ $32, DI
	SUBQ $2, CX
	JMP  t4loop

t4tail:
	CMPQ CX, $0
	JEQ  t4done
	VMOVUPS (SI), X0
	VMOVUPS X0, (DI)

t4done:
	RET
