package kernel

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// TestParallelFor checks that every index in [0, n) is visited exactly once, for sizes below, at and above
// the worker count and with one and several workers.
func TestParallelFor(t *testing.T) {
	for _, procs := range []int{1, 2, 3, 8} {
		old := runtime.GOMAXPROCS(procs)
		for _, n := range []int{0, 1, 2, 3, 7, 64, 1001} {
			hits := make([]int32, n)
			ParallelFor(n, func(lo, hi int) {
				if lo >= hi {
					t.Errorf("procs=%d n=%d: empty chunk [%d,%d)", procs, n, lo, hi)
				}
				for i := lo; i < hi; i++ {
					atomic.AddInt32(&hits[i], 1)
				}
			})
			for i, h := range hits {
				if h != 1 {
					t.Fatalf("procs=%d n=%d: index %d visited %d times, want 1", procs, n, i, h)
				}
			}
		}
		runtime.GOMAXPROCS(old)
	}
}
