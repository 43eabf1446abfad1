package kernel

import (
	"encoding/binary"
	"errors"
	"math/bits"
)

// PCG is a PCG-DXSM random stream, the generator of math/rand/v2's PCG: the same 128-bit LCG step, the same
// output permutation and the same binary form, so a state moves between the two without changing a draw
// (TestPCGMatchesMathRand). Unlike rand.PCG it jumps ahead in O(log k) (Advance), which lets the chunks of a
// ParallelFor draw their parts of one stream on separate cores and produce exactly the numbers of a serial loop.
type PCG struct{ Hi, Lo uint64 }

// The LCG of math/rand/v2's PCG: state = state·pcgMul + pcgInc mod 2¹²⁸.
const (
	pcgMulHi = 2549297995355413924
	pcgMulLo = 4865540595714422341
	pcgIncHi = 6364136223846793005
	pcgIncLo = 1442695040888963407
)

// NewPCG returns the stream of rand.NewPCG(seed1, seed2).
func NewPCG(seed1, seed2 uint64) PCG { return PCG{Hi: seed1, Lo: seed2} }

// mul128 returns a·b mod 2¹²⁸.
func mul128(aHi, aLo, bHi, bLo uint64) (hi, lo uint64) {
	hi, lo = bits.Mul64(aLo, bLo)
	return hi + aHi*bLo + aLo*bHi, lo
}

// add128 returns a+b mod 2¹²⁸.
func add128(aHi, aLo, bHi, bLo uint64) (hi, lo uint64) {
	lo, c := bits.Add64(aLo, bLo, 0)
	hi, _ = bits.Add64(aHi, bHi, c)
	return hi, lo
}

// Uint64 advances the stream one step and returns its next draw (rand.PCG.Uint64).
func (p *PCG) Uint64() uint64 {
	p.Hi, p.Lo = pcgStep(p.Hi, p.Lo)
	return dxsm(p.Hi, p.Lo)
}

// pcgStep is the LCG step: state·pcgMul + pcgInc. (It and pcgStep4 spell out mul128 and add128 rather than
// share a helper: one more call level puts them over the inliner's budget, and dropFill calls them per draw.)
func pcgStep(hi, lo uint64) (uint64, uint64) {
	hi, lo = mul128(hi, lo, pcgMulHi, pcgMulLo)
	return add128(hi, lo, pcgIncHi, pcgIncLo)
}

// dxsm is PCG's output permutation of a state, "double xorshift multiply" (O'Neill's pcg-cpp, as math/rand/v2).
func dxsm(hi, lo uint64) uint64 {
	const cheapMul = 0xda942042e4dd58b5
	hi ^= hi >> 32
	hi *= cheapMul
	hi ^= hi >> 48
	return hi * (lo | 1)
}

// Advance moves the stream k steps ahead, as k calls of Uint64 would, in O(log k).
func (p *PCG) Advance(k uint64) {
	mulHi, mulLo, incHi, incLo := pcgStride(k)
	hi, lo := mul128(mulHi, mulLo, p.Hi, p.Lo)
	p.Hi, p.Lo = add128(hi, lo, incHi, incLo)
}

// pcgStride returns the LCG of k steps, state·mul + inc (F. Brown, "Random number generation with arbitrary
// strides", 1994: the k-fold step of an LCG is again an LCG, built by squaring).
func pcgStride(k uint64) (mulHi, mulLo, incHi, incLo uint64) {
	mulLo = 1
	curMulHi, curMulLo := uint64(pcgMulHi), uint64(pcgMulLo)
	curIncHi, curIncLo := uint64(pcgIncHi), uint64(pcgIncLo)
	for ; k > 0; k >>= 1 {
		if k&1 == 1 {
			mulHi, mulLo = mul128(mulHi, mulLo, curMulHi, curMulLo)
			incHi, incLo = mul128(incHi, incLo, curMulHi, curMulLo)
			incHi, incLo = add128(incHi, incLo, curIncHi, curIncLo)
		}
		// inc' = (mul + 1)·inc, mul' = mul²: two steps of the current stride as one.
		m1Hi, m1Lo := add128(curMulHi, curMulLo, 0, 1)
		curIncHi, curIncLo = mul128(m1Hi, m1Lo, curIncHi, curIncLo)
		curMulHi, curMulLo = mul128(curMulHi, curMulLo, curMulHi, curMulLo)
	}
	return mulHi, mulLo, incHi, incLo
}

// pcg4 is the LCG of 4 steps, for dropFill's four interleaved lanes.
var pcg4MulHi, pcg4MulLo, pcg4IncHi, pcg4IncLo = pcgStride(4)

// pcgStep4 is 4 LCG steps at once.
func pcgStep4(hi, lo uint64) (uint64, uint64) {
	hi, lo = mul128(hi, lo, pcg4MulHi, pcg4MulLo)
	return add128(hi, lo, pcg4IncHi, pcg4IncLo)
}

// MarshalBinary returns the state in rand.PCG's binary form ("pcg:", then the high and low words, big-endian).
func (p PCG) MarshalBinary() ([]byte, error) {
	b := append(make([]byte, 0, 20), "pcg:"...)
	b = binary.BigEndian.AppendUint64(b, p.Hi)
	return binary.BigEndian.AppendUint64(b, p.Lo), nil
}

// UnmarshalBinary sets the state from MarshalBinary's (or rand.PCG's) form.
func (p *PCG) UnmarshalBinary(b []byte) error {
	if len(b) != 20 || string(b[:4]) != "pcg:" {
		return errors.New("invalid PCG state: want 20 bytes starting with \"pcg:\"")
	}
	p.Hi, p.Lo = binary.BigEndian.Uint64(b[4:]), binary.BigEndian.Uint64(b[12:])
	return nil
}

// DropMask fills mask with a dropout keep mask drawn from p, and leaves p after its draws: each draw decides two
// entries, entry 2j from the low 32 bits of draw j and entry 2j+1 from the high ones; an entry is scale where
// its half is below thr and 0 elsewhere (thr = keep·2³², so keep with probability keep to within 2⁻³²). With
// block = 1 it also writes dst = x·mask in the same pass (element-wise dropout); with block = 0 it leaves dst
// and x alone (drop-path multiplies by blocks afterwards). Large masks are drawn over the cores, each chunk
// from p advanced to its first draw, so the mask and the final state do not depend on the thread count.
func DropMask[T Float](dst, x, mask []T, p *PCG, thr uint64, scale T, block int) {
	n := len(mask)
	if n < MinParallel {
		dropFill(dst, x, mask, p, thr, scale, block, 0, n)
		return
	}
	// overBlocks' pieces start at even entries (zeroBlock is even), each at draw lo/2 of the stream; the jump
	// there (≈ 60 128-bit products) is noise beside a piece's 8 Ki draws.
	start := *p
	overBlocks(n, func(lo, hi int) {
		st := start
		st.Advance(uint64(lo / 2))
		dropFill(dst, x, mask, &st, thr, scale, block, lo, hi)
	})
	p.Advance(uint64((n + 1) / 2))
}

// keepBit is 1 when half < thr and 0 otherwise, without a branch: half − thr has its top bit set exactly then
// (half < 2³², thr ≤ 2³²).
func keepBit(half, thr uint64) int64 { return int64((half - thr) >> 63) }

// dropFill draws mask[lo:hi] (lo even) from st, and dst[lo:hi] = x·mask with block = 1, leaving st after its
// draws. The LCG step is a chain of dependent 128-bit products, so one stream is latency-bound: four lanes hold
// four consecutive states and each jumps 4 steps at a time (pcg4), which keeps the multipliers busy and gives
// the same draws in the same order.
func dropFill[T Float](dst, x, mask []T, st *PCG, thr uint64, scale T, block, lo, hi int) {
	emit := func(u uint64, i int) {
		m0, m1 := scale*T(keepBit(u&0xffffffff, thr)), scale*T(keepBit(u>>32, thr))
		mask[i], mask[i+1] = m0, m1
		if block == 1 {
			dst[i], dst[i+1] = x[i]*m0, x[i+1]*m1
		}
	}
	sHi, sLo := st.Hi, st.Lo
	i := lo
	if hi-i >= 8 {
		h0, l0 := pcgStep(sHi, sLo)
		h1, l1 := pcgStep(h0, l0)
		h2, l2 := pcgStep(h1, l1)
		h3, l3 := pcgStep(h2, l2)
		for {
			emit(dxsm(h0, l0), i)
			emit(dxsm(h1, l1), i+2)
			emit(dxsm(h2, l2), i+4)
			emit(dxsm(h3, l3), i+6)
			i += 8
			sHi, sLo = h3, l3
			if hi-i < 8 {
				break
			}
			h0, l0 = pcgStep4(h0, l0)
			h1, l1 = pcgStep4(h1, l1)
			h2, l2 = pcgStep4(h2, l2)
			h3, l3 = pcgStep4(h3, l3)
		}
	}
	for ; i+1 < hi; i += 2 {
		sHi, sLo = pcgStep(sHi, sLo)
		emit(dxsm(sHi, sLo), i)
	}
	if i < hi { // an odd last entry takes the low half of one more draw
		sHi, sLo = pcgStep(sHi, sLo)
		mask[i] = scale * T(keepBit(dxsm(sHi, sLo)&0xffffffff, thr))
		if block == 1 {
			dst[i] = x[i] * mask[i]
		}
	}
	st.Hi, st.Lo = sHi, sLo
}
