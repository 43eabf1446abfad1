package data_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/nasx/nasx/data"
)

// DARTS splits the CIFAR-10 train set in halves: the first trains the
// weights, the second the architecture.
func ExampleSplitIndices() {
	w, alpha, _ := data.SplitIndices(10, 0.5)
	fmt.Println(w, alpha)
	// Output: [0 1 2 3 4] [5 6 7 8 9]
}

// A loader over the synthetic set, resumed at step 2 of epoch 3: the
// batches are those an uninterrupted run would have seen.
func ExampleLoader_Epoch() {
	ds, _ := data.Synthetic(data.SyntheticConfig{Train: 40, Test: 10, Classes: 4, Size: 8, Seed: 1})
	tf, _ := data.NewCropFlip(8, 1, true, 0, ds.Mean, ds.Std)
	l, _ := data.NewLoader(ds.Train, nil, tf, data.LoaderConfig{BatchSize: 16, Shuffle: true, Seed: 7})
	it, _ := l.Epoch(context.Background(), 3, 2)
	defer it.Close()
	for {
		b, err := it.Next()
		if errors.Is(err, data.ErrDone) {
			break
		}
		fmt.Printf("epoch %d step %d: %d×%d×%d×%d\n", b.Epoch, b.Step, b.N, b.C, b.H, b.W)
		b.Release()
	}
	// Output: epoch 3 step 2: 8×3×8×8
}
