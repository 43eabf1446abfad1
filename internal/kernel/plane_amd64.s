#include "textflag.h"

// Strided 2-D versions of the plane kernels: one call walks all rows of a plane, so that planes of 8–32
// columns (DARTS cells) do not pay a call, or a memmove, per row. See plane.go.

// func taps2DAVX2(y, a, x *float32, offs *int, taps, n, acc, rows, ys, xs int)
// For r < rows and i < n: y[r·ys+i] = (acc ≠ 0 ? y[r·ys+i] : 0) + Σ_t a[t]·x[r·xs+offs[t]+i], the taps added
// in order t = 0, 1, … with one FMA each (axpyTapsAVX2 on every row). n > 0 is a multiple of 8; taps,
// rows > 0.
TEXT ·taps2DAVX2(SB), NOSPLIT, $0-80
	MOVQ y+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ offs+24(FP), R8
	MOVQ taps+32(FP), R9
	MOVQ n+40(FP), CX
	MOVQ acc+48(FP), R13

row:
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
	JGE  nextrow
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

nextrow:
	MOVQ ys+64(FP), BX
	LEAQ (DI)(BX*4), DI
	MOVQ xs+72(FP), BX
	LEAQ (DX)(BX*4), DX
	DECQ rows+56(FP)
	JNZ  row
	VZEROUPPER
	RET

// func copy2DAVX2(dst *float32, ds int, src *float32, ss, rows, n, relu int)
// dst[r·ds+i] = src[r·ss+i] for r < rows, i < n, or with relu ≠ 0 that value with the sign bit clear, else +0
// (relu32's bit trick). n > 0 is a multiple of 8; rows > 0.
TEXT ·copy2DAVX2(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ ds+8(FP), R8
	SHLQ $2, R8
	MOVQ src+16(FP), SI
	MOVQ ss+24(FP), R9
	SHLQ $2, R9
	MOVQ rows+32(FP), DX
	MOVQ n+40(FP), CX
	MOVQ relu+48(FP), R13
	TESTQ R13, R13
	JNZ  rrow

crow:
	XORQ AX, AX

cloop:
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	CMPQ AX, CX
	JLT  cloop
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ DX
	JNZ  crow
	VZEROUPPER
	RET

rrow:
	XORQ AX, AX

rloop2:
	VMOVUPS (SI)(AX*4), Y0
	VPSRAD  $31, Y0, Y1
	VPANDN  Y0, Y1, Y2
	VMOVUPS Y2, (DI)(AX*4)
	ADDQ $8, AX
	CMPQ AX, CX
	JLT  rloop2
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ DX
	JNZ  rrow
	VZEROUPPER
	RET

// func maxIntoAVX2(y, x *float32, n int)
// y[i] = max(y[i], x[i]) with Go's max rules (NaN if either is NaN; max(−0, +0) = +0); n > 0 is a multiple
// of 8. VMAXPS alone returns its second operand for a NaN first operand and for equal operands, so equal
// lanes take y AND x (+0 from ±0) and lanes where y is NaN take y.
TEXT ·maxIntoAVX2(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

mloop:
	VMOVUPS   (DI)(AX*4), Y0
	VMOVUPS   (SI)(AX*4), Y1
	VMAXPS    Y1, Y0, Y2
	VCMPPS    $0, Y1, Y0, Y3
	VANDPS    Y1, Y0, Y4
	VBLENDVPS Y3, Y4, Y2, Y2
	VCMPPS    $3, Y0, Y0, Y3
	VBLENDVPS Y3, Y0, Y2, Y2
	VMOVUPS   Y2, (DI)(AX*4)
	ADDQ      $8, AX
	CMPQ      AX, CX
	JLT       mloop
	VZEROUPPER
	RET

// func markTapsAVX2(arg *int32, y, x *float32, offs *int32, taps, n int)
// arg[i] = offs[t] for the first t (in order t = 0, 1, …) with x[offs[t]+i] == y[i], else −1, for i < n; n > 0
// is a multiple of 8, taps > 0. The taps are scanned backwards and every match overwrites (blend), so the
// first match wins without a data-dependent branch.
TEXT ·markTapsAVX2(SB), NOSPLIT, $0-48
	MOVQ arg+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ offs+24(FP), R8
	MOVQ taps+32(FP), R9
	MOVQ n+40(FP), CX
	VPCMPEQD Y6, Y6, Y6 // −1 in every lane
	XORQ AX, AX

kloop:
	VMOVUPS (SI)(AX*4), Y0
	VMOVDQU Y6, Y2
	MOVQ    R9, R10

ktap:
	DECQ         R10
	MOVLQSX      (R8)(R10*4), R11
	LEAQ         (R11)(AX*1), R12
	VCMPPS       $0, (DX)(R12*4), Y0, Y1
	VPBROADCASTD (R8)(R10*4), Y3
	VBLENDVPS    Y1, Y3, Y2, Y2
	TESTQ        R10, R10
	JNZ          ktap
	VMOVDQU Y2, (DI)(AX*4)
	ADDQ    $8, AX
	CMPQ    AX, CX
	JLT     kloop
	VZEROUPPER
	RET

// func split2AVX2(even, odd *float32, ds int, src *float32, ss, rows, n, relu int)
// For r < rows and i < n: even[r·ds+i] = src[r·ss+2i], odd[r·ds+i] = src[r·ss+2i+1] (the two column phases of
// a stride-2 layout), each with relu32's bit trick when relu ≠ 0. n > 0 is a multiple of 8; rows > 0.
TEXT ·split2AVX2(SB), NOSPLIT, $0-64
	MOVQ even+0(FP), DI
	MOVQ odd+8(FP), R10
	MOVQ ds+16(FP), R8
	SHLQ $2, R8
	MOVQ src+24(FP), SI
	MOVQ ss+32(FP), R9
	SHLQ $2, R9
	MOVQ rows+40(FP), DX
	MOVQ n+48(FP), CX
	MOVQ relu+56(FP), R13

srow:
	XORQ AX, AX
	XORQ BX, BX

sloop:
	VMOVUPS (SI)(BX*4), Y0
	VMOVUPS 32(SI)(BX*4), Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VSHUFPS $0xDD, Y1, Y0, Y3
	VPERMPD $0xD8, Y2, Y2
	VPERMPD $0xD8, Y3, Y3
	TESTQ   R13, R13
	JZ      sstore
	VPSRAD  $31, Y2, Y4
	VPANDN  Y2, Y4, Y2
	VPSRAD  $31, Y3, Y4
	VPANDN  Y3, Y4, Y3

sstore:
	VMOVUPS Y2, (DI)(AX*4)
	VMOVUPS Y3, (R10)(AX*4)
	ADDQ    $8, AX
	ADDQ    $16, BX
	CMPQ    AX, CX
	JLT     sloop
	ADDQ    R8, DI
	ADDQ    R8, R10
	ADDQ    R9, SI
	DECQ    DX
	JNZ     srow
	VZEROUPPER
	RET

// func join2AVX2(dst *float32, ds int, even, odd *float32, ss, rows, n int)
// For r < rows and i < n: dst[r·ds+2i] = even[r·ss+i], dst[r·ds+2i+1] = odd[r·ss+i] (split2AVX2 undone). n > 0
// is a multiple of 8; rows > 0.
TEXT ·join2AVX2(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ ds+8(FP), R8
	SHLQ $2, R8
	MOVQ even+16(FP), SI
	MOVQ odd+24(FP), R10
	MOVQ ss+32(FP), R9
	SHLQ $2, R9
	MOVQ rows+40(FP), DX
	MOVQ n+48(FP), CX

jrow:
	XORQ AX, AX
	XORQ BX, BX

jloop:
	VMOVUPS    (SI)(AX*4), Y0
	VMOVUPS    (R10)(AX*4), Y1
	VUNPCKLPS  Y1, Y0, Y2
	VUNPCKHPS  Y1, Y0, Y3
	VPERM2F128 $0x20, Y3, Y2, Y4
	VPERM2F128 $0x31, Y3, Y2, Y5
	VMOVUPS    Y4, (DI)(BX*4)
	VMOVUPS    Y5, 32(DI)(BX*4)
	ADDQ       $8, AX
	ADDQ       $16, BX
	CMPQ       AX, CX
	JLT        jloop
	ADDQ       R8, DI
	ADDQ       R9, SI
	ADDQ       R9, R10
	DECQ       DX
	JNZ        jrow
	VZEROUPPER
	RET

// func taps2DNarrowAVX2(y, a, x *float32, offs *int, taps, acc, groups, ys, xs, width int)
// taps2DAVX2 for planes of width = 16 (rows in pairs) or 8 (rows in fours): four 8-lane accumulators cover
// 2 rows × 16 or 4 rows × 8 columns, so that every tap's broadcast and offset load serve four FMAs, as in the
// 32-column loop. groups > 0 is the number of row pairs (quads); taps > 0.
TEXT ·taps2DNarrowAVX2(SB), NOSPLIT, $0-80
	MOVQ y+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ offs+24(FP), R8
	MOVQ taps+32(FP), R9
	MOVQ ys+56(FP), CX
	SHLQ $2, CX
	MOVQ xs+64(FP), BX
	SHLQ $2, BX
	LEAQ (CX)(CX*2), AX
	LEAQ (BX)(BX*2), R13
	CMPQ width+72(FP), $16
	JNE  quad

pair:
	CMPQ acc+40(FP), $0
	JNE  pload
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	JMP  pstart

pload:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS (DI)(CX*1), Y2
	VMOVUPS 32(DI)(CX*1), Y3

pstart:
	XORQ R10, R10

ptap:
	MOVQ         (R8)(R10*8), R11
	LEAQ         (DX)(R11*4), R12
	VBROADCASTSS (SI)(R10*4), Y4
	VFMADD231PS  (R12), Y4, Y0
	VFMADD231PS  32(R12), Y4, Y1
	VFMADD231PS  (R12)(BX*1), Y4, Y2
	VFMADD231PS  32(R12)(BX*1), Y4, Y3
	INCQ         R10
	CMPQ         R10, R9
	JLT          ptap
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, (DI)(CX*1)
	VMOVUPS Y3, 32(DI)(CX*1)
	LEAQ    (DI)(CX*2), DI
	LEAQ    (DX)(BX*2), DX
	DECQ    groups+48(FP)
	JNZ     pair
	VZEROUPPER
	RET

quad:
	CMPQ acc+40(FP), $0
	JNE  qload
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	JMP  qstart

qload:
	VMOVUPS (DI), Y0
	VMOVUPS (DI)(CX*1), Y1
	VMOVUPS (DI)(CX*2), Y2
	VMOVUPS (DI)(AX*1), Y3

qstart:
	XORQ R10, R10

qtap:
	MOVQ         (R8)(R10*8), R11
	LEAQ         (DX)(R11*4), R12
	VBROADCASTSS (SI)(R10*4), Y4
	VFMADD231PS  (R12), Y4, Y0
	VFMADD231PS  (R12)(BX*1), Y4, Y1
	VFMADD231PS  (R12)(BX*2), Y4, Y2
	VFMADD231PS  (R12)(R13*1), Y4, Y3
	INCQ         R10
	CMPQ         R10, R9
	JLT          qtap
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, (DI)(CX*1)
	VMOVUPS Y2, (DI)(CX*2)
	VMOVUPS Y3, (DI)(AX*1)
	LEAQ    (DI)(CX*4), DI
	LEAQ    (DX)(BX*4), DX
	DECQ    groups+48(FP)
	JNZ     quad
	VZEROUPPER
	RET
