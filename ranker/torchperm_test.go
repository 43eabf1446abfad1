package ranker

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// randpermRef is testdata/randperm_ref.json, written by gen_randperm.py
// with torch 1.13's CPU torch.randperm.
type randpermRef struct {
	Small []struct {
		N    int    `json:"n"`
		Seed uint64 `json:"seed"`
		Perm []int  `json:"perm"`
	} `json:"small"`
	Large []struct {
		N           int    `json:"n"`
		Seed        uint64 `json:"seed"`
		Head        []int  `json:"head"`
		WeightedSum int64  `json:"weighted_sum"`
	} `json:"large"`
}

func loadRandpermRef(t *testing.T) randpermRef {
	t.Helper()
	b, err := os.ReadFile("testdata/randperm_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref randpermRef
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Small) == 0 || len(ref.Large) == 0 {
		t.Fatal("randperm_ref.json: no cases")
	}
	return ref
}

func TestTorchRandpermMatchesTorch(t *testing.T) {
	ref := loadRandpermRef(t)
	for _, c := range ref.Small {
		if got := TorchRandperm(c.N, c.Seed); !slices.Equal(got, c.Perm) {
			t.Errorf("TorchRandperm(%d, %d) = %v, torch gives %v", c.N, c.Seed, got, c.Perm)
		}
	}
	for _, c := range ref.Large {
		got := TorchRandperm(c.N, c.Seed)
		if !slices.Equal(got[:len(c.Head)], c.Head) {
			t.Errorf("TorchRandperm(%d, %d)[:%d] differs from torch's; first entries %v vs %v", c.N, c.Seed, len(c.Head), got[:5], c.Head[:5])
		}
		var ws int64
		for i, v := range got {
			ws += int64(i) * int64(v)
		}
		if ws != c.WeightedSum {
			t.Errorf("TorchRandperm(%d, %d): Σ i·p[i] = %d, torch gives %d", c.N, c.Seed, ws, c.WeightedSum)
		}
	}
}

// The split of the NB201 preset (seed 77777777) is the reference's: its
// first training indices and first validation index are torch's.
func TestNewSplitIsTorchSplit(t *testing.T) {
	ref := loadRandpermRef(t)
	for _, c := range ref.Large {
		if c.N != 15625 {
			continue
		}
		sp, err := NewSplit(c.N, 1000, 256, c.Seed)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sp.Train, c.Head[:1000]) || !slices.Equal(sp.Val, c.Head[1000:1256]) {
			t.Errorf("seed %d: split differs from torch.randperm's first 1000 + 256", c.Seed)
		}
		if len(sp.Rest) != c.N-1256 {
			t.Errorf("seed %d: %d held-out rest, want %d", c.Seed, len(sp.Rest), c.N-1256)
		}
	}
}
