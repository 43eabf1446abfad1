package optim

import (
	"runtime"
	"sync"
)

// minParallel is the number of elements below which an update runs on one
// goroutine: an elementwise update of 32k floats takes ~20-50 µs, about
// ten times the cost of starting and joining the goroutines.
const minParallel = 1 << 15

// parallelFor runs fn over [0, n) split into one contiguous chunk per
// available core. Every element is computed by exactly one call, with the
// same arithmetic whatever the split, so results do not depend on
// GOMAXPROCS.
func parallelFor(n int, fn func(lo, hi int)) {
	p := runtime.GOMAXPROCS(0)
	if n < minParallel || p == 1 {
		fn(0, n)
		return
	}
	p = min(p, n/(minParallel/4))
	chunk := (n + p - 1) / p
	var wg sync.WaitGroup
	for lo := chunk; lo < n; lo += chunk {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(lo, min(lo+chunk, n))
	}
	fn(0, min(chunk, n))
	wg.Wait()
}
