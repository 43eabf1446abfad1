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

// func axpyTapsAVX2(y, a, x *float32, offs *int, taps, n int)
// y[i] += Σ_t a[t]·x[offs[t]+i] for i < n; n > 0 is a multiple of 8, taps > 0. The taps are added to each
// element in order t = 0, 1, … with one FMA each.
TEXT ·axpyTapsAVX2(SB), NOSPLIT, $0-48
	MOVQ y+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ offs+24(FP), R8
	MOVQ taps+32(FP), R9
	MOVQ n+40(FP), CX
	XORQ AX, AX

loop32:
	MOVQ CX, BX
	SUBQ AX, BX
	CMPQ BX, $32
	JLT  loop8
	VMOVUPS (DI)(AX*4), Y0
	VMOVUPS 32(DI)(AX*4), Y1
	VMOVUPS 64(DI)(AX*4), Y2
	VMOVUPS 96(DI)(AX*4), Y3
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
	VMOVUPS (DI)(AX*4), Y0
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
