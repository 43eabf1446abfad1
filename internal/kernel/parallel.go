package kernel

import (
	"runtime"
	"sync"
)

// ParallelFor calls fn on contiguous, disjoint sub-ranges [lo, hi) that together cover [0, n), using up to
// runtime.GOMAXPROCS(0) goroutines. The calling goroutine runs one of the chunks, and ParallelFor returns
// when every chunk is done. With n <= 1 or GOMAXPROCS == 1 it calls fn(0, n) directly, so there is no
// goroutine overhead on one core. fn must be safe to run concurrently on disjoint ranges.
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
	wg.Add(workers - 1)
	// Chunk w covers [w*n/workers, (w+1)*n/workers): sizes differ by at most one.
	for w := 1; w < workers; w++ {
		lo, hi := w*n/workers, (w+1)*n/workers
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	fn(0, n/workers)
	wg.Wait()
}
