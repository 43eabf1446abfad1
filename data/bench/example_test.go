package bench_test

import (
	"fmt"

	"github.com/nasx/nasx/data/bench"
)

// Open a benchmark file (here the 6-cell NAS-Bench-101 TFRecord fixture)
// and list the best cells by mean validation accuracy.
func Example() {
	t, err := bench.Open("testdata/nb101_tiny.tfrecord", bench.Options{NoCache: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.Kind(), t.Len())
	best, err := bench.Best(t, bench.CIFAR10, bench.Val, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range best {
		fmt.Printf("rank %d: index %d, val %.2f%%, %d params\n", r.Rank, r.Index, r.ValAcc, r.Params)
	}
	// Output:
	// nasbench101 6
	// rank 1: index 2, val 91.60%, 12962698 params
	// rank 2: index 1, val 90.77%, 19472778 params
}
