package ranker

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// FuzzDistri: a distri list entry read from a checkpoint either fails
// Validate or can be used by the sampler's key draws without panicking.
func FuzzDistri(f *testing.F) {
	fe := &Features{Params: []int64{1000, 2000, 9000}, Flops: []int64{1e6, 2e6, 3e6}, OpCounts: [][5]int{{6}, {0, 6}, {1, 1, 1, 1, 2}}}
	seed, _ := json.Marshal(BatchStats(fe, []int{0, 1, 2}, []int{0, 2, 4}, 5, 5))
	f.Add(seed)
	f.Add([]byte(`{"params":[{"keys":[1],"counts":[0]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Distri
		if json.Unmarshal(b, &d) != nil || d.Validate(5) != nil {
			return
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for _, hs := range [][]Hist{d.Params, d.Flops, d.Edges, d.NNodes} {
			if len(hs) > 0 {
				drawKey(rng, hs, 0.1, false)
				drawKey(rng, hs, 0.1, true)
			}
		}
	})
}
