package mim

import (
	"fmt"
	"math/rand/v2"
	"sort"
)

// DefaultFill is the value of masked pixels in normalised space
// (α-DARTS utils.random_masking fills removed patches with 1.0).
const DefaultFill = 1.0

// MaskConfig holds the masking hyper-parameters.
type MaskConfig struct {
	// Ratio is the fraction of patches removed per image, in [0, 1).
	// α-DARTS' default is 0.8 (train_search.py --mask_ratio).
	Ratio float64
	// PatchSize is the side of a square patch; α-DARTS' default is 4.
	PatchSize int
	// Fill is the value written into removed patches (DefaultFill).
	Fill float64
}

// DefaultMaskConfig returns α-DARTS' defaults (SD@d525eed train_search.py):
// ratio 0.8, patch 4, fill 1.0.
func DefaultMaskConfig() MaskConfig {
	return MaskConfig{Ratio: 0.8, PatchSize: 4, Fill: DefaultFill}
}

// Validate returns an error naming the field that is out of range.
func (c MaskConfig) Validate() error {
	if !(c.Ratio >= 0 && c.Ratio < 1) {
		return fmt.Errorf("mim: mask ratio: got %v, want in [0, 1)", c.Ratio)
	}
	if c.PatchSize <= 0 {
		return fmt.Errorf("mim: patch size: got %d, want > 0", c.PatchSize)
	}
	return nil
}

// KeepCount returns MAE's len_keep = int(L·(1−ratio)).
func KeepCount(L int, ratio float64) int { return int(float64(L) * (1 - ratio)) }

// MaskFromNoise writes into mask (N, L) the MAE mask given the noise (N, L):
// the patches of each row are sorted by ascending noise (ties by index),
// the first keep are kept (0) and the others removed (1).
func MaskFromNoise[T Float](mask []T, noise []float64, n, L, keep int) error {
	if len(mask) != n*L || len(noise) != n*L {
		return fmt.Errorf("mim: mask has %d values and noise %d, want %d (N=%d, L=%d)", len(mask), len(noise), n*L, n, L)
	}
	if keep < 0 || keep > L {
		return fmt.Errorf("mim: keep %d out of range [0, %d]", keep, L)
	}
	ids := make([]int, L)
	for i := 0; i < n; i++ {
		row := noise[i*L : (i+1)*L]
		for j := range ids {
			ids[j] = j
		}
		sort.SliceStable(ids, func(a, b int) bool { return row[ids[a]] < row[ids[b]] })
		m := mask[i*L : (i+1)*L]
		for j := range m {
			m[j] = 1
		}
		for _, id := range ids[:keep] {
			m[id] = 0
		}
	}
	return nil
}

// ApplyMask writes into dst (N, C, H, W) the image x with every removed
// patch of mask (N, L) set to fill, and into target (N, L, p·p·C) the
// patches of the original x (α-DARTS utils.mask_imgs: x̃, patchify(x)).
// target may be nil.
func ApplyMask[T Float](dst, target, x, mask []T, g Geometry, fill float64) error {
	if err := g.check(len(dst), len(x)); err != nil {
		return err
	}
	if len(mask) != g.N*g.L() {
		return fmt.Errorf("mim: mask has %d values, want N·L = %d", len(mask), g.N*g.L())
	}
	if target != nil {
		if err := Patchify(target, x, g); err != nil {
			return err
		}
	}
	D, f := g.D(), T(fill)
	g.walk(func(i, j int) {
		if mask[j/D] != 0 {
			dst[i] = f
		} else {
			dst[i] = x[i]
		}
	})
	return nil
}

// Masker draws a fresh random mask for every batch from its own seeded
// generator, so a run is reproducible for a given seed.
type Masker struct {
	cfg   MaskConfig
	rng   *rand.Rand
	src   *rand.PCG
	noise []float64
}

// NewMasker returns a Masker for cfg whose generator is seeded with seed.
func NewMasker(cfg MaskConfig, seed uint64) (*Masker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	src := rand.NewPCG(seed, 0x6d696d) // stream "mim"
	return &Masker{cfg: cfg, rng: rand.New(src), src: src}, nil
}

// Config returns the masking configuration.
func (m *Masker) Config() MaskConfig { return m.cfg }

// State returns the generator state, to be saved in a checkpoint.
func (m *Masker) State() ([]byte, error) { return m.src.MarshalBinary() }

// SetState restores a generator state returned by State.
func (m *Masker) SetState(b []byte) error {
	if err := m.src.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("mim: masker state: %w", err)
	}
	return nil
}

// Mask draws noise U[0, 1) for every patch of the batch x (N, C, H, W),
// then writes the masked image into dst, the original patches into target
// (N, L, p·p·C) and the mask (N, L) into mask.
func Mask[T Float](m *Masker, dst, target, mask, x []T, n, c, h, w int) error {
	g := Geometry{N: n, C: c, H: h, W: w, P: m.cfg.PatchSize}
	if err := g.Validate(); err != nil {
		return err
	}
	L := g.L()
	if cap(m.noise) < n*L {
		m.noise = make([]float64, n*L)
	}
	noise := m.noise[:n*L]
	for i := range noise {
		noise[i] = m.rng.Float64()
	}
	if err := MaskFromNoise(mask, noise, n, L, KeepCount(L, m.cfg.Ratio)); err != nil {
		return err
	}
	return ApplyMask(dst, target, x, mask, g, m.cfg.Fill)
}
