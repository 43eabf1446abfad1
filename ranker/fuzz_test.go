package ranker

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nasx/nasx/internal/weights"
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

// FuzzDecodeTrainState: a training checkpoint read from disk either fails
// to decode or decodes into a state whose invariants hold.
func FuzzDecodeTrainState(f *testing.F) {
	fe := &Features{Params: []int64{1000, 2000}, Flops: []int64{1e6, 2e6}, OpCounts: [][5]int{{6}, {0, 6}}}
	st := &TrainState{Epoch: 1, Step: 1, Order: []int{1, 0}, ShuffleRNG: []byte("pcg:0123456789abcdef"), DropoutRNG: [][]byte{},
		Weights:   []weights.Tensor{{Name: "w", Shape: []int{2}, Data: []float32{1, 2}}},
		Optim:     []weights.Tensor{{Name: "optim.w.step", Shape: []int{}, Data: []float32{1}}},
		BestEpoch: 0, BestAcc: math.NaN(), Distri: []Distri{BatchStats(fe, []int{0, 1}, []int{0, 4}, 5, 5)},
		History: []EpochStats{{ValTau: math.NaN(), Best: true}}, Model: ModelConfig{NTier: 5}}
	good, err := st.Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	st.Epoch, st.History, st.Best = 2, append(st.History, EpochStats{Epoch: 1}), []float32{3, 4}
	if good, err = st.Encode(); err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte("junk"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := DecodeTrainState(b)
		if err != nil {
			return
		}
		if st.Epoch < 1 || len(st.History) != st.Epoch || st.BestEpoch < 0 || st.BestEpoch >= st.Epoch || len(st.Distri) == 0 {
			t.Fatalf("decoded an inconsistent state: epoch %d, %d stats, best %d, %d distri", st.Epoch, len(st.History), st.BestEpoch, len(st.Distri))
		}
		if _, err := st.Encode(); err != nil {
			t.Fatalf("a decoded state does not encode: %v", err)
		}
	})
}
