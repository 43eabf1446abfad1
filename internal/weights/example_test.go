package weights_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/nasx/nasx/internal/weights"
)

func Example() {
	dir, _ := os.MkdirTemp("", "weights")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	err := weights.WriteFile(path, []weights.Tensor{
		{Name: "stem.0.weight", Shape: []int{2, 1, 1, 1}, Data: []float32{0.5, -0.25}},
		{Name: "stem.1.num_batches_tracked", Shape: []int{}, Data: []int64{3}},
	}, map[string]string{"format": "pt"})
	if err != nil {
		panic(err)
	}
	f, err := weights.ReadFile(path)
	if err != nil {
		panic(err)
	}
	for _, t := range f.Tensors {
		dt, _ := t.DType()
		fmt.Println(t.Name, dt, t.Shape, t.Data)
	}
	fmt.Println(f.Metadata)
	// Output:
	// stem.1.num_batches_tracked I64 [] [3]
	// stem.0.weight F32 [2 1 1 1] [0.5 -0.25]
	// map[format:pt]
}
