package ranker

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/nasx/nasx/data/bench"
	"github.com/nasx/nasx/searchspace"
)

// SamplerConfig holds the sampler settings of NAR's configs
// (NAR:config/config.yml, config201.yml, section sampler).
type SamplerConfig struct {
	// FlopsThr, ParamsThr and EdgesThr are select_distri's KL thresholds
	// (NB101: 2.5, 2.5, -; NB201: 0.35, 0.3, 1.5).
	FlopsThr  float64 `json:"flops_thr"`
	ParamsThr float64 `json:"params_thr"`
	EdgesThr  float64 `json:"edges_thr"`
	// ForceUniform draws every bin key (and NB201 edge op) uniformly instead
	// of from tier 1's distribution (NB101: false, NB201: true).
	ForceUniform bool `json:"force_uniform"`
	// ReuseStep is how many draws share one (flops, params) target: 25.
	ReuseStep int `json:"reuse_step"`
	// MaxTrails is the number of retries after the first candidate: 100,
	// so up to 101 candidates per draw.
	MaxTrails int `json:"max_trails"`
}

// Validate reports every bad field.
func (c SamplerConfig) Validate() error {
	var errs []error
	if c.ReuseStep <= 0 {
		errs = append(errs, fmt.Errorf("sampler.reuse_step: got %d, want > 0", c.ReuseStep))
	}
	if c.MaxTrails < 0 {
		errs = append(errs, fmt.Errorf("sampler.max_trails: got %d, want >= 0", c.MaxTrails))
	}
	return errors.Join(errs...)
}

// Sampler draws architectures guided by one batch's tier statistics.
type Sampler interface {
	// SampleBatch draws up to n architectures (benchmark indices); draws
	// that fail are dropped, so it may return fewer.
	SampleBatch(d Distri, n int) []int
}

// drawKey draws a key of tier 0's histogram h: from select_distri's
// probabilities when it returns some and uniform is false, else uniformly
// (NAR:sampler/arch_sampler*.py: random.choices / random.choice).
func drawKey(rng *rand.Rand, tiers []Hist, thr float64, uniform bool) int64 {
	keys := tiers[0].Keys
	if !uniform {
		if p := SelectDistri(tiers, thr); p != nil {
			u := rng.Float64()
			var acc float64
			for b, pb := range p {
				acc += pb
				if u < acc {
					return keys[b]
				}
			}
			// Rounding left u ≥ the total: take the last bin with mass.
			for b := len(p) - 1; b >= 0; b-- {
				if p[b] > 0 {
					return keys[b]
				}
			}
		}
	}
	return keys[rng.IntN(len(keys))]
}

// NB201Sampler is NAR's NB201 sampler (NAR:sampler/arch_sampler201.py).
type NB201Sampler struct {
	cfg   SamplerConfig
	f     *Features
	table *bench.NB201
	rng   *rand.Rand
}

// NewNB201Sampler returns a sampler over the architectures of f, which must
// come from EncodeNB201 of table.
func NewNB201Sampler(f *Features, table *bench.NB201, cfg SamplerConfig, seed uint64) (*NB201Sampler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &NB201Sampler{cfg: cfg, f: f, table: table, rng: rand.New(rand.NewPCG(seed, seed^0x5a3d))}, nil
}

// SampleBatch draws n architectures. Targets (a FLOPs key and a params key)
// are drawn at draws 0, ReuseStep, 2·ReuseStep, ... of the call. Each
// candidate draws the op of each of the 6 edges from tier 1's summed edge
// counts (or uniformly), and is accepted if its FLOPs and params are at
// most the targets; after MaxTrails+1 rejected candidates the last one is
// kept anyway (every NB201 cell is in the benchmark).
func (s *NB201Sampler) SampleBatch(d Distri, n int) []int {
	out := make([]int, 0, n)
	var tf, tp int64
	for k := range n {
		if k%s.cfg.ReuseStep == 0 {
			tf = drawKey(s.rng, d.Flops, s.cfg.FlopsThr, s.cfg.ForceUniform)
			tp = drawKey(s.rng, d.Params, s.cfg.ParamsThr, s.cfg.ForceUniform)
		}
		last := -1
		for range s.cfg.MaxTrails + 1 {
			var a searchspace.NB201Arch
			for e := range a {
				a[e] = int(drawKey(s.rng, d.Edges, s.cfg.EdgesThr, s.cfg.ForceUniform))
			}
			i, err := s.table.Index(a)
			if err != nil {
				continue
			}
			last = i
			if s.f.Flops[i] <= tf && s.f.Params[i] <= tp {
				break
			}
		}
		if last >= 0 {
			out = append(out, last)
		}
	}
	return out
}

// NB101Sampler is NAR's NB101 sampler (NAR:sampler/arch_sampler.py).
type NB101Sampler struct {
	cfg   SamplerConfig
	f     *Features
	table *bench.NB101
	rng   *rand.Rand
}

// NewNB101Sampler returns a sampler over the cells of f, which must come
// from EncodeNB101 of table.
func NewNB101Sampler(f *Features, table *bench.NB101, cfg SamplerConfig, seed uint64) (*NB101Sampler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &NB101Sampler{cfg: cfg, f: f, table: table, rng: rand.New(rand.NewPCG(seed, seed^0x5a3d))}, nil
}

// nb101MaxEdges is NAS-Bench-101's edge limit, which the candidate
// generator fills up to.
const nb101MaxEdges = 9

// Candidate returns one random NB101 cell of nNodes vertices as NAR's
// generator builds it: each vertex v = 1..n−1 gets one predecessor drawn
// from 0..v−1 (and, v < n−1, an op drawn from the 3 NB101 ops); then
// 9−(n−1) extra edges are tried, begin ~ U{0..n−1} (none if begin is the
// output), end ~ U{begin..n−1} (none if end = begin).
func (s *NB101Sampler) Candidate(nNodes int) searchspace.NB101Spec {
	m := make([][]int, nNodes)
	for r := range m {
		m[r] = make([]int, nNodes)
	}
	ops := make([]string, nNodes)
	ops[0], ops[nNodes-1] = "input", "output"
	for v := 1; v < nNodes; v++ {
		m[s.rng.IntN(v)][v] = 1
		if v < nNodes-1 {
			ops[v] = nb101GenOps[s.rng.IntN(len(nb101GenOps))]
		}
	}
	for range nb101MaxEdges - (nNodes - 1) {
		begin := s.rng.IntN(nNodes)
		if begin == nNodes-1 {
			continue
		}
		end := begin + s.rng.IntN(nNodes-begin)
		if end == begin {
			continue
		}
		m[begin][end] = 1
	}
	return searchspace.NB101Spec{Matrix: m, Ops: ops}
}

// nb101GenOps is the op list the NB101 generator draws from.
var nb101GenOps = []string{"conv1x1-bn-relu", "conv3x3-bn-relu", "maxpool3x3"}

// SampleBatch draws up to n cells. Targets are drawn as for NB201, with
// select_distri unless ForceUniform; the vertex count is always drawn
// uniformly from tier 1's n_nodes keys. A candidate is looked up in the
// benchmark after NB101 pruning (cells that are invalid or absent are
// skipped) and accepted if within the targets; after MaxTrails+1 tries the
// last in-benchmark candidate is kept although it breaks the targets, and if
// there was none the draw fails and is dropped.
func (s *NB101Sampler) SampleBatch(d Distri, n int) []int {
	out := make([]int, 0, n)
	var tf, tp int64
	for k := range n {
		if k%s.cfg.ReuseStep == 0 {
			tf = drawKey(s.rng, d.Flops, s.cfg.FlopsThr, s.cfg.ForceUniform)
			tp = drawKey(s.rng, d.Params, s.cfg.ParamsThr, s.cfg.ForceUniform)
		}
		last := -1
		for range s.cfg.MaxTrails + 1 {
			nn := int(drawKey(s.rng, d.NNodes, 0, true))
			if nn < 2 {
				continue
			}
			i, err := s.table.IndexOfSpec(s.Candidate(nn))
			if err != nil {
				continue
			}
			last = i
			if s.f.Flops[i] <= tf && s.f.Params[i] <= tp {
				break
			}
		}
		if last >= 0 {
			out = append(out, last)
		}
	}
	return out
}
