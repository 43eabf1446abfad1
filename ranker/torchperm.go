package ranker

// mt19937 is the 32-bit Mersenne Twister (Matsumoto & Nishimura 1998), the
// generator behind torch's CPU Generator (at::mt19937). Seeding follows
// init_genrand, which torch applies to the low 32 bits of its 64-bit seed.
type mt19937 struct {
	mt  [624]uint32
	idx int
}

func newMT19937(seed uint64) *mt19937 {
	g := &mt19937{idx: 624}
	g.mt[0] = uint32(seed)
	for i := 1; i < 624; i++ {
		g.mt[i] = 1812433253*(g.mt[i-1]^(g.mt[i-1]>>30)) + uint32(i)
	}
	return g
}

// next returns the next 32-bit output (genrand_int32).
func (g *mt19937) next() uint32 {
	const upper, lower, matrixA = 0x80000000, 0x7fffffff, 0x9908b0df
	if g.idx >= 624 {
		for i := range 624 {
			y := g.mt[i]&upper | g.mt[(i+1)%624]&lower
			v := g.mt[(i+397)%624] ^ y>>1
			if y&1 != 0 {
				v ^= matrixA
			}
			g.mt[i] = v
		}
		g.idx = 0
	}
	y := g.mt[g.idx]
	g.idx++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// TorchRandperm returns torch.randperm(n, generator=torch.Generator().
// manual_seed(seed)) of torch 1.13 on the CPU, the permutation NAR splits
// its benchmark with (NAR:dataset/nasbench201/nasbench201_dataset.py,
// nasbench_dataset.py): starting from the identity, for i = 0..n-2 swap
// entries i and i + (next32() mod (n−i)). The equality with torch is
// checked against testdata/randperm_ref.json (gen_randperm.py); torch
// draws 64-bit words for n ≥ 2³², which this function does not support
// (it is meant for benchmark sizes), so n must fit in 32 bits.
func TorchRandperm(n int, seed uint64) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	g := newMT19937(seed)
	for i := 0; i < n-1; i++ {
		z := int(uint64(g.next()) % uint64(n-i))
		p[i], p[i+z] = p[i+z], p[i]
	}
	return p
}
