package kernel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// ParallelFor calls fn on contiguous, disjoint sub-ranges [lo, hi) that together cover [0, n), using up to
// runtime.GOMAXPROCS(0) goroutines, and returns when every chunk is done. The chunks are fixed
// ([w·n/workers, (w+1)·n/workers) for workers = min(GOMAXPROCS, n)), so results never depend on timing.
// Each chunk is claimed by whichever goroutine gets to it first, the caller included: when the other cores
// are busy (the machine runs independent ops at once, see op.VMOpts), the caller runs the chunks itself
// instead of blocking until a helper goroutine is scheduled. With n <= 1 or GOMAXPROCS == 1 it calls
// fn(0, n) directly, so there is no goroutine overhead on one core. fn must be safe to run concurrently on
// disjoint ranges.
func ParallelFor(n int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	workers := runtime.GOMAXPROCS(0)
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	var next atomic.Int32
	wg.Add(workers)
	// Chunk w covers [w*n/workers, (w+1)*n/workers): sizes differ by at most one.
	run := func() {
		for {
			w := int(next.Add(1)) - 1
			if w >= workers {
				return
			}
			fn(w*n/workers, (w+1)*n/workers)
			wg.Done()
		}
	}
	for range workers - 1 {
		go run()
	}
	run()
	wg.Wait()
}
