package kernel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// ParallelFor calls fn on contiguous, disjoint sub-ranges [lo, hi) that together cover [0, n), using up to
// runtime.GOMAXPROCS(0) goroutines, and returns when every chunk is done. The chunks are fixed
// ([w·n/workers, (w+1)·n/workers) for workers = min(GOMAXPROCS, n)), so results never depend on timing.
// Each chunk is claimed by whichever goroutine gets to it first, the caller included: when the other cores
// are busy (the machine runs independent ops at once, see op.VMOpts), the caller runs the chunks itself
// instead of waiting for a helper. The helpers are a pool of persistent goroutines (see Help) that poll for
// work for a while after their last chunk, so handing a chunk to another core costs no thread wake-up while
// the engine is busy. With n <= 1 or GOMAXPROCS == 1 it calls fn(0, n) directly, so there is no overhead on
// one core. fn must be safe to run concurrently on disjoint ranges.
func ParallelFor(n int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	procs := runtime.GOMAXPROCS(0)
	workers := min(procs, n)
	if workers <= 1 {
		fn(0, n)
		return
	}
	j := &job{fn: fn, n: n, chunks: int32(workers)}
	j.pending.Store(int32(workers))
	slot := pool.post(j, procs-1)
	if slot < 0 { // every slot taken: run the same chunks here
		for w := range workers {
			fn(w*n/workers, (w+1)*n/workers)
		}
		return
	}
	defer pool.slots[slot].CompareAndSwap(j, nil) // also when fn panics: no helper may start a dead job
	for j.runOne() {
	}
	pool.slots[slot].CompareAndSwap(j, nil)
	j.wait()
}

// Help runs one chunk of a pending ParallelFor call, if there is one, and reports whether it did. A goroutine
// that would otherwise wait for its own work (a worker of a graph machine with nothing ready) calls it to
// lend its core to the ops that are running.
func Help() bool {
	for i := range pool.slots {
		if j := pool.slots[i].Load(); j != nil && j.runOne() {
			return true
		}
	}
	return false
}

// Polling budgets of the helper pool, in rounds of spinYield polls and one runtime.Gosched (about
// pollRound on the 2-core AMD EPYC VM of the engine benchmarks): a helper with nothing to do polls for
// helperSpin rounds (100 µs by default, see SetPolling) before it parks, and a ParallelFor caller whose
// last chunks run on helpers polls for half as long before it parks. Budgets count polls, not wall time: a
// poller that the OS or the Go scheduler does not run (other goroutines have the Ps) is not idle, and
// parking it then would turn the next hand-off into a thread wake-up. A parked helper exits after
// helperIdle.
const (
	pollRound  = 400 * time.Nanosecond
	spinYield  = 32
	helperIdle = 500 * time.Millisecond
	poolSlots  = 16 // ParallelFor calls in flight at once; beyond that, a call runs its chunks itself
)

var helperSpin atomic.Int32

func init() { SetPolling(100 * time.Microsecond) }

// SetPolling sets how long an idle helper of ParallelFor polls for work before it parks (default 100 µs;
// a caller waiting for a helper's chunk polls for half as long). Polling lets a chunk of a µs-sized op
// start on another core without a thread wake-up, but on a machine whose cores are all taken by other
// processes the polling threads take CPU time from them and from this process's own working threads;
// SetPolling(0) parks at once. The time is converted to polling rounds of about 0.4 µs.
func SetPolling(d time.Duration) {
	helperSpin.Store(int32(min(d/pollRound, 1<<30)))
}

// job is one ParallelFor call.
type job struct {
	fn      func(lo, hi int)
	n       int
	chunks  int32
	next    atomic.Int32 // next chunk to claim
	pending atomic.Int32 // chunks not finished

	// The caller parks on done once it has polled for its budget; parked says so to the last helper.
	parked atomic.Bool
	mu     sync.Mutex
	done   chan struct{}
}

// runOne claims the next chunk of j and runs it; it reports false when every chunk was already claimed.
func (j *job) runOne() bool {
	w := j.next.Add(1) - 1
	if w >= j.chunks {
		return false
	}
	lo, hi := int(w)*j.n/int(j.chunks), int(w+1)*j.n/int(j.chunks)
	j.fn(lo, hi)
	if j.pending.Add(-1) == 0 && j.parked.Load() {
		j.mu.Lock()
		if j.done != nil {
			close(j.done)
			j.done = nil
		}
		j.mu.Unlock()
	}
	return true
}

// wait returns once every chunk of j has run: it polls for callerSpin, then parks.
func (j *job) wait() {
	var s spinner
	for j.pending.Load() != 0 {
		if s.expired(int(helperSpin.Load()) / 2) {
			j.parked.Store(true)
			j.mu.Lock()
			if j.pending.Load() == 0 {
				j.mu.Unlock()
				return
			}
			done := make(chan struct{})
			j.done = done
			j.mu.Unlock()
			<-done
			return
		}
	}
}

// spinner paces a polling loop: each call to expired counts one poll, yields the P every spinYield polls
// (so that a polling goroutine never keeps a runnable one off its P for more than a few hundred
// nanoseconds), and reports whether the loop has polled for rounds such rounds since it started or was
// last reset.
type spinner struct{ polls int }

func (s *spinner) expired(rounds int) bool {
	if rounds <= 0 {
		return true
	}
	s.polls++
	if s.polls%spinYield != 0 {
		return false
	}
	runtime.Gosched()
	return s.polls >= rounds*spinYield
}

// reset restarts the count of expired (after the loop found work).
func (s *spinner) reset() { s.polls = 0 }

// pool is the process-wide set of helper goroutines and the ParallelFor calls they may join.
var pool = &helperPool{wake: make(chan struct{}, 256)}

type helperPool struct {
	slots    [poolSlots]atomic.Pointer[job]
	live     atomic.Int32  // helper goroutines running
	sleeping atomic.Int32  // helpers parked on wake (or about to)
	wake     chan struct{} // a token wakes one parked helper
}

// post publishes j for the helpers and returns its slot, or -1 when all slots are taken. It starts helpers
// up to want and wakes parked ones.
func (p *helperPool) post(j *job, want int) int {
	slot := -1
	for i := range p.slots {
		if p.slots[i].CompareAndSwap(nil, j) {
			slot = i
			break
		}
	}
	if slot < 0 {
		return -1
	}
	for {
		l := p.live.Load()
		if int(l) >= want {
			break
		}
		if p.live.CompareAndSwap(l, l+1) {
			go p.helper()
			// The new goroutine waits in this P's "next" slot, which another P takes only when it has
			// nothing else to run; yielding starts it here and moves the caller to the global queue.
			runtime.Gosched()
		}
	}
	for s := min(int(p.sleeping.Load()), int(j.chunks)-1); s > 0; s-- {
		select {
		case p.wake <- struct{}{}:
		default:
			s = 0
		}
	}
	return slot
}

// helper runs chunks of posted jobs; with none for helperSpin it parks, and parked for helperIdle it exits.
func (p *helperPool) helper() {
	idle := time.NewTimer(helperIdle)
	defer idle.Stop()
	for {
		var s spinner
		for !s.expired(int(helperSpin.Load())) {
			if Help() {
				s.reset()
			}
		}
		p.sleeping.Add(1)
		if Help() { // a job posted while this helper was going to sleep, before it was counted
			p.sleeping.Add(-1)
			continue
		}
		idle.Reset(helperIdle)
		select {
		case <-p.wake:
			p.sleeping.Add(-1)
		case <-idle.C:
			p.sleeping.Add(-1)
			p.live.Add(-1)
			return
		}
	}
}

// zeroBlock is the piece of memory one goroutine clears or copies in Zero and Copy: 64 KiB of float32, a few
// µs of memory bandwidth, well above the cost of handing it to a polling helper.
const zeroBlock = 16 << 10

// MinParallel is the element count from which a memory-bound loop (a clear, a copy, a transpose) is worth
// splitting over the cores: two of Zero's blocks.
const MinParallel = 2 * zeroBlock

// overBlocks calls fn on [0, n) in zeroBlock-sized pieces over the cores. Callers take the serial path below
// MinParallel themselves, so that a small clear or copy allocates no closure.
func overBlocks(n int, fn func(lo, hi int)) {
	ParallelFor((n+zeroBlock-1)/zeroBlock, func(lo, hi int) { fn(lo*zeroBlock, min(hi*zeroBlock, n)) })
}

// Zero sets every element of dst to zero, splitting large slices over the cores with ParallelFor.
func Zero[T Float](dst []T) {
	if len(dst) < MinParallel {
		clear(dst)
		return
	}
	overBlocks(len(dst), func(lo, hi int) { clear(dst[lo:hi]) })
}

// Copy copies src into dst (len(dst) >= len(src)), splitting large slices over the cores as Zero does.
func Copy[T Float](dst, src []T) {
	if len(src) < MinParallel {
		copy(dst, src)
		return
	}
	overBlocks(len(src), func(lo, hi int) { copy(dst[lo:hi], src[lo:hi]) })
}
