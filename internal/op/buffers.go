package op

import (
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
	"weak"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/kernel"
)

// Buffers is the buffer pool behind every op output. A TapeMachine built
// with G.FreeIntermediates(op.Buffers) hands each output back once its last
// reader has run, and the next op of the same size reuses it: a training
// step then holds only the values that are still needed (the forward
// activations the backward pass reads), as PyTorch's autograd does, instead
// of every value of the step, and allocates nothing after the first step.
//
// Free buffers wait in free lists that each garbage collection ages, as
// sync.Pool's do (sync.Pool itself keeps a freed buffer in a per-P slot that
// a run on another P never sees): a buffer unused for two collections is
// dropped. Outputs of machines without the option, or of ops
// run outside a machine, are ordinary garbage-collected memory.
var Buffers G.Recycler = buffers

var buffers = newBufferPool()

func newBufferPool() *bufferPool {
	p := &bufferPool{free: make(map[poolClass][]unsafe.Pointer), victim: make(map[poolClass][]unsafe.Pointer)}
	armAging(p)
	return p
}

// armAging makes the next garbage collection age p's free lists, and re-arms itself.
func armAging(p *bufferPool) {
	sentinel := new([16]byte)
	runtime.SetFinalizer(sentinel, func(*[16]byte) {
		p.mu.Lock()
		p.victim, p.free = p.free, make(map[poolClass][]unsafe.Pointer)
		p.mu.Unlock()
		armAging(p)
	})
}

// poolClass is the size class of a buffer: its element type and length.
type poolClass struct {
	dt tensor.Dtype
	n  int
}

// bufferPool hands out zeroed float32/float64 buffers and knows, for any
// address, which of its buffers contains it.
type bufferPool struct {
	mu sync.Mutex
	// free lists the free buffers by class; victim the ones that were already
	// free at the last garbage collection (dropped at the next).
	free, victim map[poolClass][]unsafe.Pointer

	// reg lists the buffers handed out (and possibly recycled since), sorted
	// by start address. The entries hold weak pointers: a buffer that is
	// dropped by its sync.Pool, or never recycled, is freed by the garbage
	// collector and its entry goes stale (alive reports false).
	reg   []poolEntry
	swept int // len(reg) after the last sweep of stale entries

	fresh atomic.Int64 // buffers allocated (not taken from a free list), for tests
}

type poolEntry struct {
	start, end uintptr
	class      poolClass
	alive      func() unsafe.Pointer // nil once the buffer was collected
}

// get returns a buffer of class c, wrapped in a dense tensor of the given shape: zeroed when zero is set,
// else holding whatever it held before (see newOut).
func (p *bufferPool) get(dt tensor.Dtype, shape []int, zero bool) *tensor.Dense {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if n == 0 || (dt != tensor.Float32 && dt != tensor.Float64) {
		return tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
	}
	c := poolClass{dt, n}
	var backing any
	if dt == tensor.Float32 {
		backing = poolSlice[float32](p, c, zero)
	} else {
		backing = poolSlice[float64](p, c, zero)
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(backing))
}

// poolSlice returns a []T of class c, zeroed when zero is set: a free buffer if there is one, else a new one,
// registered. Under PoisonOutputs a buffer that is not zeroed is filled with NaN, new or not.
func poolSlice[T float32 | float64](p *bufferPool, c poolClass, zero bool) []T {
	if ptr := p.take(c); ptr != nil {
		s := unsafe.Slice((*T)(ptr), c.n)
		switch {
		case zero:
			kernel.Zero(s)
		case poison.Load():
			fillNaN(s)
		}
		return s
	}
	p.fresh.Add(1)
	s := make([]T, c.n)
	if !zero && poison.Load() {
		fillNaN(s)
	}
	w := weak.Make(&s[0])
	start := uintptr(unsafe.Pointer(&s[0]))
	p.register(poolEntry{start: start, end: start + uintptr(c.n)*unsafe.Sizeof(s[0]), class: c,
		alive: func() unsafe.Pointer { return unsafe.Pointer(w.Value()) }})
	return s
}

// take pops a free buffer of class c, or returns nil.
func (p *bufferPool) take(c poolClass) unsafe.Pointer {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range []map[poolClass][]unsafe.Pointer{p.free, p.victim} {
		if l := m[c]; len(l) > 0 {
			ptr := l[len(l)-1]
			m[c] = l[:len(l)-1]
			return ptr
		}
	}
	return nil
}

// register adds e to the sorted registry. Entries that overlap e are stale
// (a live allocation cannot overlap another), and are dropped.
func (p *bufferPool) register(e poolEntry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.reg) > 2*p.swept+64 {
		live := p.reg[:0]
		for _, r := range p.reg {
			if r.alive() != nil {
				live = append(live, r)
			}
		}
		clear(p.reg[len(live):])
		p.reg = live
		p.swept = len(live)
	}
	i := sort.Search(len(p.reg), func(i int) bool { return p.reg[i].end > e.start })
	j := i
	for j < len(p.reg) && p.reg[j].start < e.end {
		j++
	}
	p.reg = append(p.reg[:i], append([]poolEntry{e}, p.reg[j:]...)...)
}

// Owner implements G.Recycler: the key of the pool buffer that holds the
// first element of v's data.
func (p *bufferPool) Owner(v G.Value) (uintptr, bool) {
	t, ok := v.(tensor.Tensor)
	if !ok || t.Shape().TotalSize() == 0 {
		return 0, false
	}
	d, ok := v.(*tensor.Dense)
	if !ok || (d.Dtype() != tensor.Float32 && d.Dtype() != tensor.Float64) {
		return 0, false
	}
	addr := d.Uintptr()
	p.mu.Lock()
	defer p.mu.Unlock()
	i := sort.Search(len(p.reg), func(i int) bool { return p.reg[i].end > addr })
	if i == len(p.reg) || p.reg[i].start > addr || p.reg[i].alive() == nil {
		return 0, false
	}
	return p.reg[i].start, true
}

// Recycle implements G.Recycler: the buffer starting at key is free again.
func (p *bufferPool) Recycle(key uintptr) {
	p.mu.Lock()
	i := sort.Search(len(p.reg), func(i int) bool { return p.reg[i].end > key })
	if i == len(p.reg) || p.reg[i].start != key {
		p.mu.Unlock()
		return
	}
	defer p.mu.Unlock()
	e := p.reg[i]
	if ptr := e.alive(); ptr != nil {
		p.free[e.class] = append(p.free[e.class], ptr)
	}
}

// VMOpts returns the TapeMachine options of every nasx training and evaluation machine: each value is freed
// after its last use and its buffer reused through Buffers (the nodes in keep stay bound after a run, for
// Node.Value), and independent ops run at once on GOMAXPROCS workers (G.ParallelOps; results are bit-identical
// to the sequential order); a worker with no op ready runs chunks of the ops in flight (G.ParallelIdle with
// kernel.Help), polling for work for 100 µs before it parks. Append further options, e.g. G.EvalMode(), to
// the slice.
//
// The environment variable NASX_OP_WORKERS sets the number of ops run at once instead (1: one op at a time, each
// still parallel inside); values that are not positive integers are ignored. NASX_POLL_US sets how long idle
// workers, of the machine and of kernel.ParallelFor, poll before they park, in µs (see kernel.SetPolling;
// 0 parks at once, for machines whose cores are busy with other processes); values that are not integers
// from 0 to 1,000,000 are ignored.
func VMOpts(keep ...*G.Node) []G.VMOpt {
	opts := []G.VMOpt{G.FreeIntermediates(Buffers, keep...), G.ParallelOps(opWorkers()), G.ParallelIdle(kernel.Help)}
	if d, ok := pollTime(); ok {
		opts = append(opts, G.ParallelPoll(d))
	}
	return opts
}

func init() {
	// gorgonia's Concat, Slice and Add split their work over the cores with the kernels' ParallelFor, and
	// take their outputs, which they overwrite whole, from the pool.
	G.ParallelFor = kernel.ParallelFor
	G.NewFastOutput = func(dt tensor.Dtype, shape tensor.Shape) *tensor.Dense { return buffers.get(dt, shape, false) }
	if d, ok := pollTime(); ok {
		kernel.SetPolling(d)
	}
}

// opWorkers is the number of ops a machine runs at once: NASX_OP_WORKERS, or GOMAXPROCS.
func opWorkers() int {
	if n, err := strconv.Atoi(os.Getenv("NASX_OP_WORKERS")); err == nil && n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// pollTime is NASX_POLL_US as a duration, if it is an integer from 0 to 1,000,000.
func pollTime() (time.Duration, bool) {
	us, err := strconv.Atoi(os.Getenv("NASX_POLL_US"))
	if err != nil || us < 0 || us > 1_000_000 {
		return 0, false
	}
	return time.Duration(us) * time.Microsecond, true
}

var poison atomic.Bool

// PoisonOutputs makes every op output that newOut hands out (an output its kernel overwrites whole) start as
// NaN instead of whatever its buffer held, so that a kernel that leaves an element unwritten, or reads its
// output before writing it, gives NaN in the tests; it poisons the kernels' scratch space too
// (kernel.PoisonScratch). It is a testing hook: the ops' golden and gradient tests run with it on.
func PoisonOutputs(on bool) {
	poison.Store(on)
	kernel.PoisonScratch(on)
}

func fillNaN[T float32 | float64](s []T) {
	nan := T(math.NaN())
	for i := range s {
		s[i] = nan
	}
}
