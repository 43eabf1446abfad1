#include "textflag.h"

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-4
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	RET

// func axpyTapsAVX2(y, a, x *float32, offs *int, taps, n, acc int)
// y[i] = (acc ≠ 0 ? y[i] : 0) + Σ_t a[t]·x[offs[t]+i] for i < n; n > 0 is a multiple of 8, taps > 0. The
// taps are added to each element in order t = 0, 1, … with one FMA each.
TEXT ·axpyTapsAVX2(SB), NOSPLIT, $0-56
	MOVQ y+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ offs+24(FP), R8
	MOVQ taps+32(FP), R9
	MOVQ n+40(FP), CX
	MOVQ acc+48(FP), R13
	XORQ AX, AX

loop32:
	MOVQ CX, BX
	SUBQ AX, BX
	CMPQ BX, $32
	JLT  loop8
	TESTQ R13, R13
	JNZ  load32
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	JMP  start32

load32:
	VMOVUPS (DI)(AX*4), Y0
	VMOVUPS 32(DI)(AX*4), Y1
	VMOVUPS 64(DI)(AX*4), Y2
	VMOVUPS 96(DI)(AX*4), Y3

start32:
	XORQ R10, R10

tap32:
	MOVQ (R8)(R10*8), R11
	ADDQ AX, R11
	LEAQ (DX)(R11*4), R12
	VBROADCASTSS (SI)(R10*4), Y4
	VFMADD231PS (R12), Y4, Y0
	VFMADD231PS 32(R12), Y4, Y1
	VFMADD231PS 64(R12), Y4, Y2
	VFMADD231PS 96(R12), Y4, Y3
	INCQ R10
	CMPQ R10, R9
	JLT  tap32
	VMOVUPS Y0, (DI)(AX*4)
	VMOVUPS Y1, 32(DI)(AX*4)
	VMOVUPS Y2, 64(DI)(AX*4)
	VMOVUPS Y3, 96(DI)(AX*4)
	ADDQ $32, AX
	JMP  loop32

loop8:
	CMPQ AX, CX
	JGE  done
	TESTQ R13, R13
	JNZ  load8
	VXORPS Y0, Y0, Y0
	JMP  start8

load8:
	VMOVUPS (DI)(AX*4), Y0

start8:
	XORQ R10, R10

tap8:
	MOVQ (R8)(R10*8), R11
	ADDQ AX, R11
	VBROADCASTSS (SI)(R10*4), Y4
	VFMADD231PS (DX)(R11*4), Y4, Y0
	INCQ R10
	CMPQ R10, R9
	JLT  tap8
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP  loop8

done:
	VZEROUPPER
	RET

// func dotAVX2(x, y *float32, n int) float32
// Σ x[i]·y[i] for i < n; n > 0 is a multiple of 8. Four 8-lane FMA accumulators.
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ AX, AX

dloop32:
	MOVQ CX, BX
	SUBQ AX, BX
	CMPQ BX, $32
	JLT  dloop8
	VMOVUPS (SI)(AX*4), Y4
	VMOVUPS 32(SI)(AX*4), Y5
	VMOVUPS 64(SI)(AX*4), Y6
	VMOVUPS 96(SI)(AX*4), Y7
	VFMADD231PS (DI)(AX*4), Y4, Y0
	VFMADD231PS 32(DI)(AX*4), Y5, Y1
	VFMADD231PS 64(DI)(AX*4), Y6, Y2
	VFMADD231PS 96(DI)(AX*4), Y7, Y3
	ADDQ $32, AX
	JMP  dloop32

dloop8:
	CMPQ AX, CX
	JGE  reduce
	VMOVUPS (SI)(AX*4), Y4
	VFMADD231PS (DI)(AX*4), Y4, Y0
	ADDQ $8, AX
	JMP  dloop8

reduce:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func sumsAVX2(x *float32, n int, k float64) (s, q float64)
// s = Σ (x[i]−k), q = Σ (x[i]−k)² in float64 for i < n; n > 0 is a multiple of 4. Two accumulator sets.
TEXT ·sumsAVX2(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSD k+16(FP), Y15
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	XORQ AX, AX

sloop8:
	MOVQ CX, BX
	SUBQ AX, BX
	CMPQ BX, $8
	JLT  sloop4
	VCVTPS2PD (SI)(AX*4), Y4
	VCVTPS2PD 16(SI)(AX*4), Y5
	VSUBPD Y15, Y4, Y4
	VSUBPD Y15, Y5, Y5
	VADDPD Y4, Y0, Y0
	VFMADD231PD Y4, Y4, Y1
	VADDPD Y5, Y2, Y2
	VFMADD231PD Y5, Y5, Y3
	ADDQ $8, AX
	JMP  sloop8

sloop4:
	CMPQ AX, CX
	JGE  sreduce
	VCVTPS2PD (SI)(AX*4), Y4
	VSUBPD Y15, Y4, Y4
	VADDPD Y4, Y0, Y0
	VFMADD231PD Y4, Y4, Y1
	ADDQ $4, AX
	JMP  sloop4

sreduce:
	VADDPD Y2, Y0, Y0
	VADDPD Y3, Y1, Y1
	VEXTRACTF128 $1, Y0, X2
	VADDPD X2, X0, X0
	VHADDPD X0, X0, X0
	VEXTRACTF128 $1, Y1, X3
	VADDPD X3, X1, X1
	VHADDPD X1, X1, X1
	VZEROUPPER
	MOVSD X0, s+24(FP)
	MOVSD X1, q+32(FP)
	RET

// func sumsDyAVX2(x, dy *float32, n int, k float64) (s, q, sg, sgx float64)
// As sumsAVX2, plus sg = Σ dy[i] and sgx = Σ dy[i]·(x[i]−k); n > 0 is a multiple of 4.
TEXT ·sumsDyAVX2(SB), NOSPLIT, $0-64
	MOVQ x+0(FP), SI
	MOVQ dy+8(FP), DI
	MOVQ n+16(FP), CX
	VBROADCASTSD k+24(FP), Y15
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	XORQ AX, AX

gloop8:
	MOVQ CX, BX
	SUBQ AX, BX
	CMPQ BX, $8
	JLT  gloop4
	VCVTPS2PD (SI)(AX*4), Y8
	VCVTPS2PD 16(SI)(AX*4), Y9
	VCVTPS2PD (DI)(AX*4), Y10
	VCVTPS2PD 16(DI)(AX*4), Y11
	VSUBPD Y15, Y8, Y8
	VSUBPD Y15, Y9, Y9
	VADDPD Y8, Y0, Y0
	VFMADD231PD Y8, Y8, Y1
	VADDPD Y10, Y2, Y2
	VFMADD231PD Y10, Y8, Y3
	VADDPD Y9, Y4, Y4
	VFMADD231PD Y9, Y9, Y5
	VADDPD Y11, Y6, Y6
	VFMADD231PD Y11, Y9, Y7
	ADDQ $8, AX
	JMP  gloop8

gloop4:
	CMPQ AX, CX
	JGE  greduce
	VCVTPS2PD (SI)(AX*4), Y8
	VCVTPS2PD (DI)(AX*4), Y10
	VSUBPD Y15, Y8, Y8
	VADDPD Y8, Y0, Y0
	VFMADD231PD Y8, Y8, Y1
	VADDPD Y10, Y2, Y2
	VFMADD231PD Y10, Y8, Y3
	ADDQ $4, AX
	JMP  gloop4

greduce:
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VADDPD Y6, Y2, Y2
	VADDPD Y7, Y3, Y3
	VEXTRACTF128 $1, Y0, X8
	VADDPD X8, X0, X0
	VHADDPD X0, X0, X0
	VEXTRACTF128 $1, Y1, X9
	VADDPD X9, X1, X1
	VHADDPD X1, X1, X1
	VEXTRACTF128 $1, Y2, X10
	VADDPD X10, X2, X2
	VHADDPD X2, X2, X2
	VEXTRACTF128 $1, Y3, X11
	VADDPD X11, X3, X3
	VHADDPD X3, X3, X3
	VZEROUPPER
	MOVSD X0, s+32(FP)
	MOVSD X1, q+40(FP)
	MOVSD X2, sg+48(FP)
	MOVSD X3, sgx+56(FP)
	RET

// func affineAVX2(dst, x *float32, n int, s, b float32)
// dst[i] = x[i]·s + b (one FMA) for i < n; n > 0 is a multiple of 8.
TEXT ·affineAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS s+24(FP), Y14
	VBROADCASTSS b+28(FP), Y15
	XORQ AX, AX

aloop:
	CMPQ AX, CX
	JGE  adone
	VMOVUPS (SI)(AX*4), Y0
	VMOVAPS Y15, Y1
	VFMADD231PS Y14, Y0, Y1
	VMOVUPS Y1, (DI)(AX*4)
	ADDQ $8, AX
	JMP  aloop

adone:
	VZEROUPPER
	RET

// func bnDxAVX2(dst, dy, x *float32, n int, a, b, c, m float32)
// dst[i] = a·dy[i] + b·(x[i]−m) + c for i < n; n > 0 is a multiple of 8.
TEXT ·bnDxAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ dy+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS a+32(FP), Y12
	VBROADCASTSS b+36(FP), Y13
	VBROADCASTSS c+40(FP), Y14
	VBROADCASTSS m+44(FP), Y15
	XORQ AX, AX

xloop:
	CMPQ AX, CX
	JGE  xdone
	VMOVUPS (DX)(AX*4), Y0
	VSUBPS Y15, Y0, Y0
	VMOVAPS Y14, Y1
	VFMADD231PS Y13, Y0, Y1
	VFMADD231PS (SI)(AX*4), Y12, Y1
	VMOVUPS Y1, (DI)(AX*4)
	ADDQ $8, AX
	JMP  xloop

xdone:
	VZEROUPPER
	RET

// func reluAVX2(dst, x *float32, n int)
// dst[i] = x[i] with the sign bit clear, else +0 (relu32's bit trick, 8 lanes); n > 0 is a multiple of 8.
TEXT ·reluAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

rloop:
	CMPQ AX, CX
	JGE  rdone
	VMOVUPS (SI)(AX*4), Y0
	VPSRAD $31, Y0, Y1
	VPANDN Y0, Y1, Y2
	VMOVUPS Y2, (DI)(AX*4)
	ADDQ $8, AX
	JMP  rloop

rdone:
	VZEROUPPER
	RET

// func reluGradAVX2(dst, x, dy *float32, n int)
// dst[i] = dy[i] where x[i]'s bits, as a signed integer, are > 0 (x > 0 or a positive NaN), else +0
// (reluGrad32's rule, 8 lanes); n > 0 is a multiple of 8. dst may be dy.
TEXT ·reluGradAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ dy+16(FP), DX
	MOVQ n+24(FP), CX
	VPXOR Y3, Y3, Y3
	XORQ AX, AX

gradloop:
	CMPQ AX, CX
	JGE  graddone
	VMOVUPS (SI)(AX*4), Y0
	VPCMPGTD Y3, Y0, Y1
	VPAND (DX)(AX*4), Y1, Y2
	VMOVUPS Y2, (DI)(AX*4)
	ADDQ $8, AX
	JMP  gradloop

graddone:
	VZEROUPPER
	RET

// func scaleAVX2(dst, x *float32, n int, s float32)
// dst[i] = s·x[i] for i < n; n > 0 is a multiple of 8.
TEXT ·scaleAVX2(SB), NOSPLIT, $0-28
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS s+24(FP), Y15
	XORQ AX, AX

mloop:
	CMPQ AX, CX
	JGE  mdone
	VMULPS (SI)(AX*4), Y15, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP  mloop

mdone:
	VZEROUPPER
	RET

// func dotF64AVX2(x, y *float32, n int) float64
// Σ x[i]·y[i] for i < n accumulated in float64 (each product of two float32 is exact in float64); n > 0 is a
// multiple of 8. Two 4-lane accumulators, lanes added at the end.
TEXT ·dotF64AVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	XORQ AX, AX

d64loop:
	VCVTPS2PD   (SI)(AX*4), Y2
	VCVTPS2PD   16(SI)(AX*4), Y3
	VCVTPS2PD   (DI)(AX*4), Y4
	VCVTPS2PD   16(DI)(AX*4), Y5
	VFMADD231PD Y4, Y2, Y0
	VFMADD231PD Y5, Y3, Y1
	ADDQ        $8, AX
	CMPQ        AX, CX
	JLT         d64loop
	VADDPD       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VHADDPD      X0, X0, X0
	VZEROUPPER
	MOVSD X0, ret+24(FP)
	RET

// func expRowAVX2(x *float32, n int, m float64, dst *float32, store int, acc *[2]float64, cs *[12][4]float64)
// The exponential pass of softmax32 over x[:n] (n > 0 a multiple of 4), four float64 lanes with the scalar
// loop's operations in its order, each rounded on its own (no fused multiply-add), so the results are the
// scalar loop's bit for bit: t = max(x−m, −104), k = trunc(t·(−log2e) + 1/2), r = t + k·ln2,
// e = Horner(r) · 2^−k. With store ≠ 0, dst[i] = float32(e). acc holds the loop's two sums (even and odd
// indices) and is updated in place: acc[0] += e0 then e2, acc[1] += e1 then e3, as the scalar loop adds.
// cs holds the constants, each repeated in four lanes (see expConsts).
TEXT ·expRowAVX2(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSD m+16(FP), Y15
	MOVQ dst+24(FP), DI
	MOVQ store+32(FP), DX
	MOVQ acc+40(FP), BX
	MOVQ cs+48(FP), R8
	VMOVUPD (BX), X14
	VMOVUPD 352(R8), Y13
	XORQ AX, AX

eloop:
	CMPQ AX, CX
	JGE  edone
	VCVTPS2PD (SI)(AX*4), Y0
	VSUBPD Y15, Y0, Y0
	VMAXPD 0(R8), Y0, Y0
	VMULPD 32(R8), Y0, Y1
	VADDPD 64(R8), Y1, Y1
	VCVTTPD2DQY Y1, X1
	VPMOVSXDQ X1, Y3
	VCVTDQ2PD X1, Y1
	VMULPD 96(R8), Y1, Y1
	VADDPD Y1, Y0, Y0
	VMULPD 128(R8), Y0, Y2
	VADDPD 160(R8), Y2, Y2
	VMULPD Y0, Y2, Y2
	VADDPD 192(R8), Y2, Y2
	VMULPD Y0, Y2, Y2
	VADDPD 224(R8), Y2, Y2
	VMULPD Y0, Y2, Y2
	VADDPD 256(R8), Y2, Y2
	VMULPD Y0, Y2, Y2
	VADDPD 288(R8), Y2, Y2
	VMULPD Y0, Y2, Y2
	VADDPD 320(R8), Y2, Y2
	VMULPD Y0, Y2, Y2
	VADDPD 320(R8), Y2, Y2
	VPSUBQ Y3, Y13, Y3
	VPSLLQ $52, Y3, Y3
	VMULPD Y3, Y2, Y2
	TESTQ DX, DX
	JZ    enostore
	VCVTPD2PSY Y2, X1
	VMOVUPS X1, (DI)(AX*4)

enostore:
	VADDPD X2, X14, X14
	VEXTRACTF128 $1, Y2, X1
	VADDPD X1, X14, X14
	ADDQ $4, AX
	JMP  eloop

edone:
	VMOVUPD X14, (BX)
	VZEROUPPER
	RET
