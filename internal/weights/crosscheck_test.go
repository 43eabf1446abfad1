package weights

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/nlpodyssey/safetensors"
)

// TestNlpodysseyReadsOurFiles checks our writer against a second,
// independent reader: github.com/nlpodyssey/safetensors (a Go port of the
// Rust crate) must accept the file and see the same dtypes, shapes and bytes.
func TestNlpodysseyReadsOurFiles(t *testing.T) {
	in := []Tensor{
		{Name: "cells.0.weight", Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, -6}},
		{Name: "alpha", Shape: []int{2}, Data: []float64{0.5, -1e-3}},
		{Name: "bn.num_batches_tracked", Shape: []int{}, Data: []int64{42}},
	}
	b, err := Encode(in, map[string]string{"format": "pt"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := safetensors.Deserialize(b)
	if err != nil {
		t.Fatalf("nlpodyssey/safetensors rejects our file: %v", err)
	}
	if st.Len() != len(in) {
		t.Fatalf("nlpodyssey sees %d tensors, want %d", st.Len(), len(in))
	}
	w, ok := st.Tensor("cells.0.weight")
	if !ok || w.DType() != safetensors.F32 || len(w.Shape()) != 2 || w.Shape()[0] != 2 || w.Shape()[1] != 3 {
		t.Fatalf("cells.0.weight: %v %v %v", ok, w.DType(), w.Shape())
	}
	if got := math.Float32frombits(binary.LittleEndian.Uint32(w.Data()[20:])); got != -6 {
		t.Errorf("cells.0.weight[1,2] = %v, want -6", got)
	}
	n, _ := st.Tensor("bn.num_batches_tracked")
	if n.DType() != safetensors.I64 || len(n.Shape()) != 0 || binary.LittleEndian.Uint64(n.Data()) != 42 {
		t.Errorf("num_batches_tracked: %v %v %v", n.DType(), n.Shape(), n.Data())
	}
}
