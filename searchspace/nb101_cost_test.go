package searchspace

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/nasx/nasx/internal/sharedtest"
)

// TestNB101CostNARExample matches NAR's one-record example of its
// NAS-Bench-101 schema (../shared/data/nasbench101/nar_example.json) in every
// per-vertex value, the total flops and trainable_parameters.
func TestNB101CostNARExample(t *testing.T) {
	p := sharedtest.Path(t, "nasbench101/nar_example.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var recs []struct {
		NB101Spec
		TrainableParameters int64              `json:"trainable_parameters"`
		UniqueHash          string             `json:"unique_hash"`
		VertexFlops         map[string][]int64 `json:"vertex_flops"`
		VertexParams        map[string][]int64 `json:"vertex_params"`
		Flops               int64              `json:"flops"`
	}
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	if len(recs) != 1 {
		t.Fatalf("%s: %d records, want 1", p, len(recs))
	}
	r := recs[0]
	got, err := NB101Cost(r.NB101Spec)
	if err != nil {
		t.Fatal(err)
	}
	if got.Flops != r.Flops {
		t.Errorf("flops = %d, want %d", got.Flops, r.Flops)
	}
	if got.TrainableParameters != r.TrainableParameters {
		t.Errorf("trainable_parameters = %d, want %d", got.TrainableParameters, r.TrainableParameters)
	}
	if vf := got.VertexFlops(); !reflect.DeepEqual(vf, r.VertexFlops) {
		t.Errorf("vertex_flops = %v\nwant %v", vf, r.VertexFlops)
	}
	if vp := got.VertexParams(); !reflect.DeepEqual(vp, r.VertexParams) {
		t.Errorf("vertex_params = %v\nwant %v", vp, r.VertexParams)
	}
	if h, err := r.Hash(); err != nil || h != r.UniqueHash {
		t.Errorf("Hash() = %s, %v, want %s", h, err, r.UniqueHash)
	}
}

// TestNB101CostShared1k reproduces trainable_parameters of all 1,000 cells
// of ../shared/data/nasbench101/nb101_1k_hashes.jsonl.
func TestNB101CostShared1k(t *testing.T) {
	for i, r := range loadNB101Records(t) {
		got, err := NB101Cost(r.NB101Spec)
		if err != nil {
			t.Fatalf("record %d: %v", i+1, err)
		}
		if got.TrainableParameters != r.TrainableParameters {
			t.Errorf("record %d (%s): trainable_parameters = %d, want %d", i+1, r.UniqueHash, got.TrainableParameters, r.TrainableParameters)
		}
		if len(got.Cells) != 9 || got.Cells[8].Key != "stack2/module2" {
			t.Fatalf("record %d: cells %d, last key %q", i+1, len(got.Cells), got.Cells[len(got.Cells)-1].Key)
		}
	}
}

func TestNB101VertexChannels(t *testing.T) {
	// Hand-worked from compute_vertex_channels: 128 output channels over 3
	// vertices feeding the output gives 43, 43, 42; vertex 1 feeds only
	// vertex 2 and takes its width.
	m := [][]int{
		{0, 1, 0, 1, 1},
		{0, 0, 1, 0, 0},
		{0, 0, 0, 0, 1},
		{0, 0, 0, 0, 1},
		{0, 0, 0, 0, 0},
	}
	// Output in-degree without the input row: vertices 2, 3 → 64 each;
	// vertex 1 feeds 2 → 64.
	if got, want := nb101VertexChannels(128, 128, m), []int{128, 64, 64, 64, 128}; !reflect.DeepEqual(got, want) {
		t.Errorf("vertex channels = %v, want %v", got, want)
	}
	m2 := [][]int{
		{0, 1, 1, 1, 0},
		{0, 0, 0, 0, 1},
		{0, 0, 0, 0, 1},
		{0, 0, 0, 0, 1},
		{0, 0, 0, 0, 0},
	}
	if got, want := nb101VertexChannels(128, 128, m2), []int{128, 43, 43, 42, 128}; !reflect.DeepEqual(got, want) {
		t.Errorf("vertex channels = %v, want %v", got, want)
	}
}

func TestNB101CostInvalid(t *testing.T) {
	_, err := NB101Cost(NB101Spec{Matrix: [][]int{{0, 0}, {0, 0}}, Ops: []string{"input", "output"}})
	if !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("NB101Cost(disconnected) = %v, want ErrInvalidSpec", err)
	}
}
