package optim

import (
	"runtime"
	"sort"
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

// forEachRange runs fn(k, lo, hi) over the elements of len(sizes) arrays as
// if they were concatenated, split across cores by parallelFor: a model's
// many small tensors (a DARTS supernet has thousands of 144-element
// depthwise kernels) and its few large ones are shared out alike. fn must
// only touch elements [lo, hi) of array k.
func forEachRange(sizes []int, fn func(k, lo, hi int)) {
	offs := make([]int, len(sizes)+1)
	for k, n := range sizes {
		offs[k+1] = offs[k] + n
	}
	parallelFor(offs[len(sizes)], func(lo, hi int) {
		// The first array that ends after lo.
		k := sort.Search(len(sizes), func(i int) bool { return offs[i+1] > lo })
		for ; k < len(sizes) && offs[k] < hi; k++ {
			a, b := max(lo, offs[k]), min(hi, offs[k+1])
			if a < b {
				fn(k, a-offs[k], b-offs[k])
			}
		}
	})
}
