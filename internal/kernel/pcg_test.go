package kernel

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestPCGMatchesMathRand checks that PCG is math/rand/v2's PCG: the same draws from the same seeds, and the
// same binary state, in both directions.
func TestPCGMatchesMathRand(t *testing.T) {
	for _, seed := range [][2]uint64{{0, 0}, {1, 2}, {77777777, 0x6e617378}, {^uint64(0), 1 << 63}} {
		ref := rand.NewPCG(seed[0], seed[1])
		p := NewPCG(seed[0], seed[1])
		for i := range 1000 {
			if got, want := p.Uint64(), ref.Uint64(); got != want {
				t.Fatalf("seed %v, draw %d: got %#x, want %#x (math/rand/v2)", seed, i, got, want)
			}
		}
		want, _ := ref.MarshalBinary()
		got, _ := p.MarshalBinary()
		if !bytes.Equal(got, want) {
			t.Fatalf("seed %v: MarshalBinary %x, want %x", seed, got, want)
		}
		var q PCG
		if err := q.UnmarshalBinary(want); err != nil || q != p {
			t.Fatalf("seed %v: UnmarshalBinary gives %v (err %v), want %v", seed, q, err, p)
		}
		if err := ref.UnmarshalBinary(got); err != nil {
			t.Fatal(err)
		}
		if p.Uint64() != ref.Uint64() {
			t.Fatalf("seed %v: streams differ after a state round trip", seed)
		}
	}
	var q PCG
	for _, bad := range [][]byte{nil, []byte("pcg:"), []byte("pcx:0123456789abcdef")} {
		if q.UnmarshalBinary(bad) == nil {
			t.Errorf("UnmarshalBinary(%q): no error", bad)
		}
	}
}

// TestPCGAdvance checks the jump ahead against stepping, for strides around the powers of two its
// squaring loop is built on.
func TestPCGAdvance(t *testing.T) {
	for _, k := range []uint64{0, 1, 2, 3, 4, 7, 8, 63, 64, 65, 1000, 4097} {
		p, q := NewPCG(5, 6), NewPCG(5, 6)
		q.Uint64() // start from a state that is not the seed
		p.Uint64()
		for range k {
			p.Uint64()
		}
		q.Advance(k)
		if p != q {
			t.Errorf("Advance(%d): state %v, want %v (after %d draws)", k, q, p, k)
		}
	}
	// The period is 2¹²⁸: a jump of 2⁶⁴ and one of 2⁶⁴ − 1 then 1 draw agree.
	p, q := NewPCG(9, 9), NewPCG(9, 9)
	p.Advance(1 << 63)
	p.Advance(1 << 63)
	q.Advance(1<<64 - 1)
	q.Uint64()
	if p != q {
		t.Errorf("2 × Advance(2⁶³) = %v, Advance(2⁶⁴−1) + 1 draw = %v", p, q)
	}
}

// dropMaskSerial is DropMask's specification: the loop it replaced in op.Dropout, one math/rand/v2 draw per
// two entries.
func dropMaskSerial(x, mask []float32, seed uint64, thr uint64, scale float32) (dst []float32, next *rand.PCG) {
	src := rand.NewPCG(seed, 0x6e617378)
	dst = make([]float32, len(x))
	for i := 0; i < len(mask); i += 2 {
		u := src.Uint64()
		mask[i] = scale * float32(b2f(u&0xffffffff < thr))
		if i+1 < len(mask) {
			mask[i+1] = scale * float32(b2f(u>>32 < thr))
		}
	}
	for i := range x {
		dst[i] = x[i] * mask[i]
	}
	return dst, src
}

// b2f is 1 for true and 0 for false.
func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TestDropMask checks that the mask, the product and the stream's next state equal the serial loop's at 1 to
// 3 threads, for odd and even sizes on both sides of the parallel threshold.
func TestDropMask(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	keep := 0.9
	thr := uint64(keep * (1 << 32))
	scale := float32(1 / keep)
	for _, n := range []int{0, 1, 2, 5, MinParallel - 1, MinParallel, MinParallel + 1, 3*zeroBlock + 7} {
		x := randF32(rand.New(rand.NewPCG(3, uint64(n))), n)
		want := make([]float32, n)
		wantDst, wantNext := dropMaskSerial(x, want, 42, thr, scale)
		wantState, _ := wantNext.MarshalBinary()
		for _, procs := range []int{1, 2, 3} {
			runtime.GOMAXPROCS(procs)
			t.Run(fmt.Sprintf("n=%d/procs=%d", n, procs), func(t *testing.T) {
				for _, block := range []int{1, 0} {
					p := NewPCG(42, 0x6e617378)
					mask, dst := make([]float32, n), make([]float32, n)
					DropMask(dst, x, mask, &p, thr, scale, block)
					for i := range mask {
						if mask[i] != want[i] {
							t.Fatalf("block %d: mask[%d] = %g, want %g", block, i, mask[i], want[i])
						}
						if block == 1 && dst[i] != wantDst[i] {
							t.Fatalf("dst[%d] = %g, want %g", i, dst[i], wantDst[i])
						}
						if block == 0 && dst[i] != 0 {
							t.Fatalf("block 0 wrote dst[%d] = %g", i, dst[i])
						}
					}
					if got, _ := p.MarshalBinary(); !bytes.Equal(got, wantState) {
						t.Fatalf("block %d: next state %x, want %x", block, got, wantState)
					}
				}
			})
		}
	}
}

// BenchmarkDropMask times element-wise dropout's forward at the sizes of a NAR layer (batch 128 × 31 tokens ×
// d_model 128, and × d_inner 512): "serial" is the loop DropMask replaced (the mask drawn on one core, then
// MulBlocks over the cores), "fused" is DropMask.
func BenchmarkDropMask(b *testing.B) {
	keep := 0.9
	thr := uint64(keep * (1 << 32))
	scale := float32(1 / keep)
	for _, n := range []int{3968 * 128, 3968 * 512} {
		x := randF32(rand.New(rand.NewPCG(1, 2)), n)
		dst, mask := make([]float32, n), make([]float32, n)
		b.Run(fmt.Sprintf("serial/n=%d", n), func(b *testing.B) {
			p := NewPCG(1, 2)
			for b.Loop() {
				dropFill(nil, nil, mask, &p, thr, scale, 0, 0, n)
				MulBlocks(dst, x, mask, 1)
			}
		})
		b.Run(fmt.Sprintf("fused/n=%d", n), func(b *testing.B) {
			p := NewPCG(1, 2)
			for b.Loop() {
				DropMask(dst, x, mask, &p, thr, scale, 1)
			}
		})
	}
}
