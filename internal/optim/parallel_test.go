package optim

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// TestForEachRangeCoversEachElementOnce checks the splitting of
// concatenated arrays, including empty arrays and arrays that straddle
// chunk boundaries.
func TestForEachRangeCoversEachElementOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	for _, sizes := range [][]int{
		{},
		{0, 0},
		{5},
		{minParallel * 3},
		{0, 100, minParallel, 0, 7, minParallel*2 + 3, 1, 0},
	} {
		hits := make([][]int32, len(sizes))
		for k, n := range sizes {
			hits[k] = make([]int32, n)
		}
		forEachRange(sizes, func(k, lo, hi int) {
			for i := lo; i < hi; i++ {
				atomic.AddInt32(&hits[k][i], 1)
			}
		})
		for k := range hits {
			for i, h := range hits[k] {
				if h != 1 {
					t.Fatalf("sizes %v: array %d element %d visited %d times", sizes, k, i, h)
				}
			}
		}
	}
}
