package kernel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nasx/nasx/internal/numtest"
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

// TestParallelForNoPolling checks that ParallelFor still visits every index exactly once when its helpers
// park at once instead of polling (SetPolling(0)), so that every hand-off wakes a parked helper.
func TestParallelForNoPolling(t *testing.T) {
	SetPolling(0)
	defer SetPolling(100 * time.Microsecond)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	for rep := range 200 {
		n := 1 + rep%50
		hits := make([]int32, n)
		ParallelFor(n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				atomic.AddInt32(&hits[i], 1)
			}
		})
		for i, h := range hits {
			if h != 1 {
				t.Fatalf("n=%d: index %d visited %d times, want 1", n, i, h)
			}
		}
	}
}

// TestParallelForChunks checks that the chunks are the fixed ranges [w·n/workers, (w+1)·n/workers) for
// workers = min(GOMAXPROCS, n), whoever runs them: kernels that keep per-chunk partial results (LayerNorm's
// parameter gradients) depend on it for bit-identical results.
func TestParallelForChunks(t *testing.T) {
	for _, procs := range []int{2, 3, 4} {
		old := runtime.GOMAXPROCS(procs)
		for _, n := range []int{2, 3, 5, 17, 1000} {
			workers := min(procs, n)
			for range 20 { // helpers that join at different times must not change the ranges
				var mu sync.Mutex
				got := map[[2]int]bool{}
				ParallelFor(n, func(lo, hi int) {
					mu.Lock()
					got[[2]int{lo, hi}] = true
					mu.Unlock()
				})
				if len(got) != workers {
					t.Fatalf("procs=%d n=%d: %d chunks %v, want %d", procs, n, len(got), got, workers)
				}
				for w := range workers {
					if r := [2]int{w * n / workers, (w + 1) * n / workers}; !got[r] {
						t.Fatalf("procs=%d n=%d: chunk %v missing from %v", procs, n, r, got)
					}
				}
			}
		}
		runtime.GOMAXPROCS(old)
	}
}

// TestParallelForConcurrentCalls runs more concurrent ParallelFor calls than the pool has slots (the extra
// ones run their chunks inline), each of which must still visit its indices exactly once. Run it under -race.
func TestParallelForConcurrentCalls(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	callers := 2*poolSlots + 3
	var wg sync.WaitGroup
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rep := range 50 {
				n := 1 + (c*31+rep*7)%200
				hits := make([]int32, n)
				ParallelFor(n, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						atomic.AddInt32(&hits[i], 1)
					}
				})
				for i, h := range hits {
					if h != 1 {
						t.Errorf("caller %d rep %d n=%d: index %d visited %d times", c, rep, n, i, h)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestParallelForWaitsForHelpers makes the caller's chunk short and the other one long, so that a helper
// claims the long one and the caller must wait for it (polling, or parked once it polled for its budget,
// about 50 µs),
// and checks that ParallelFor returns only after every chunk wrote its result.
func TestParallelForWaitsForHelpers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for rep := range 12 {
		out := make([]int, 2)
		ParallelFor(2, func(lo, hi int) {
			if lo == 0 {
				time.Sleep(200 * time.Microsecond) // time for a helper to claim chunk 1
			} else {
				time.Sleep(200*time.Microsecond + time.Duration(rep%4)*25*time.Microsecond) // 0-1.5× the caller's 50 µs
			}
			out[lo] = lo + 1
		})
		if out[0] != 1 || out[1] != 2 {
			t.Fatalf("rep %d: ParallelFor returned before its chunks finished: %v", rep, out)
		}
	}
}

// TestHelperPoolIdles checks that the helper goroutines exit once the pool has been idle for a while, so
// that a program (or test) that stops computing goes back to its own goroutines.
func TestHelperPoolIdles(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	waitForPool := func(what string, want int32) {
		deadline := time.Now().Add(helperIdle + 5*time.Second)
		for pool.live.Load() != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d helpers live, want %d", what, pool.live.Load(), want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitForPool("before", 0)
	base := runtime.NumGoroutine()
	var sum atomic.Int64
	for range 100 {
		ParallelFor(64, func(lo, hi int) { sum.Add(int64(hi - lo)) })
	}
	if sum.Load() != 6400 {
		t.Fatalf("sum = %d, want 6400", sum.Load())
	}
	if l := pool.live.Load(); l != 3 {
		t.Errorf("%d helpers live after ParallelFor at GOMAXPROCS=4, want 3", l)
	}
	waitForPool("after idling", 0)
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after the pool idled, %d before", runtime.NumGoroutine(), base)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if Help() {
		t.Error("Help ran a chunk with no ParallelFor in flight")
	}
}

// TestZero checks that Zero clears every element, for lengths below, at and above the size it splits at,
// on one core and on several.
func TestZero(t *testing.T) {
	for _, procs := range []int{1, 2, 3} {
		old := runtime.GOMAXPROCS(procs)
		for _, n := range []int{0, 1, 2*zeroBlock - 1, 2 * zeroBlock, 5*zeroBlock + 7} {
			x := make([]float32, n+2)
			for i := range x {
				x[i] = float32(i + 1)
			}
			Zero(x[1 : n+1])
			for i := 1; i <= n; i++ {
				if x[i] != 0 {
					t.Fatalf("procs=%d n=%d: x[%d] = %v after Zero", procs, n, i-1, x[i])
				}
			}
			if x[0] != 1 || x[n+1] != float32(n+2) {
				t.Fatalf("procs=%d n=%d: Zero wrote outside its slice", procs, n)
			}
		}
		runtime.GOMAXPROCS(old)
	}
}

// BenchmarkParallelForHandoff times ParallelFor calls of the size of a small op (a pass over the 131,072
// floats of one (32, 16, 16, 16) activation, tens of µs), one after the other, as a graph of small ops
// issues them: with -cpu 2 each call is worth splitting only if the second core joins within a few µs.
// cpu-ms/op shows what polling helpers cost.
func BenchmarkParallelForHandoff(b *testing.B) {
	x := make([]float32, 32*16*16*16)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	const grain = 2048
	fn := func(lo, hi int) {
		for i := lo * grain; i < hi*grain; i++ {
			x[i] = x[i]*0.5 + 1
		}
	}
	defer numtest.ReportCPU(b, numtest.CPUTime())
	for b.Loop() {
		ParallelFor(len(x)/grain, fn)
	}
}

func TestCopy(t *testing.T) {
	for _, procs := range []int{1, 2, 3} {
		old := runtime.GOMAXPROCS(procs)
		for _, n := range []int{0, 1, 2*zeroBlock - 1, 2 * zeroBlock, 5*zeroBlock + 7} {
			src := make([]float32, n)
			for i := range src {
				src[i] = float32(i + 1)
			}
			dst := make([]float32, n+1)
			dst[n] = -1
			Copy(dst, src)
			for i := range n {
				if dst[i] != src[i] {
					t.Fatalf("procs=%d n=%d: dst[%d] = %v after Copy, want %v", procs, n, i, dst[i], src[i])
				}
			}
			if dst[n] != -1 {
				t.Fatalf("procs=%d n=%d: Copy wrote past len(src)", procs, n)
			}
		}
		runtime.GOMAXPROCS(old)
	}
}
