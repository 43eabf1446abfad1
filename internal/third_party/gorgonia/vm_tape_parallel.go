package gorgonia

// nasx: this file is nasx's addition to the fork (see NASX_FORK.md).
//
// Upstream, a TapeMachine runs its program one instruction at a time. In a
// DARTS supernet most ops are small (C=16) and many are independent (the 8
// candidate ops of an edge, the edges of a cell, the weight gradient and the
// input gradient of each op), so the second core idles whenever an op is too
// small to split. ParallelOps runs independent instructions at once.

import (
	"container/heap"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pkg/errors"
)

// ParallelOps is a TapeMachine option: RunAll runs up to workers
// instructions at once, each as soon as the instructions it depends on
// have run (the values it reads are written, the register it writes is no
// longer needed). A worker runs next the earliest of the instructions that
// its last one made ready, if any, so that an op's consumer runs on the core
// whose cache holds the op's output; otherwise, among the ready
// instructions, the one earliest in the program goes first, so that memory
// use stays close to the sequential order. Instructions other than ops,
// loads, reads, allocations and frees of CPU registers and the DoWork flush
// (which does nothing without a batched BLAS; with one, it is a barrier too)
// are barriers; those at the end of the program run in order once the rest is
// done. Results are bit-identical to the sequential machine as long as each
// op is deterministic and ops touch no shared state (every nasx op keeps its
// state per node). The NaN, Inf and pointer watches of the sequential
// machine are not run. workers < 2 leaves the machine sequential.
func ParallelOps(workers int) VMOpt {
	return func(m VM) {
		tm, ok := m.(*tapeMachine)
		if !ok {
			panic(nyi("ParallelOps", m))
		}
		if workers >= 2 {
			tm.par = &parPlan{workers: workers}
		}
	}
}

// parPlan is the dependency graph of a program, for ParallelOps.
type parPlan struct {
	workers int
	tail    int       // instructions from tail on run one after another once the others are done
	succ    [][]int32 // instructions that wait for each instruction
	npred   []int32   // how many instructions each waits for

	// run state
	mu      sync.Mutex
	cond    *sync.Cond
	ready   pcHeap
	pending []int32
	left    int
	err     error
	errPC   int

	sleepers int          // workers parked on cond
	nready   atomic.Int32 // len(ready), for polling workers
	left0    atomic.Bool  // left == 0
}

// planParallel builds the dependency graph: read-after-write,
// write-after-read and write-after-write on CPU registers, and barriers.
func (m *tapeMachine) planParallel() {
	p := m.par
	instrs := m.p.instructions
	// DoWork flushes a batched BLAS; without one it does nothing, and it is no barrier: the Read of a result
	// then runs as soon as its value is written, on the worker that wrote it, instead of in a chain of
	// barriers after the last op.
	noFlush := m.b == nil
	barrier := func(instr tapeInstr) bool {
		switch instr.(type) {
		case *execOp, loadArg, *readInstr:
			return false
		case flushInstr:
			return !noFlush
		case free:
			// A Free of a CPU register does nothing but count as one more reader of its value (see
			// afterInstr), which is right in any order.
			return instr.(free).readsFrom.device != CPU
		case alloc:
			// An Alloc of a CPU register (the output of an op that writes into a preallocated value, such
			// as a slice of a concatenation's gradient) only writes that register: the register's
			// dependencies order it.
			return instr.(alloc).writeTo.device != CPU
		}
		return true
	}
	// Barriers after the last other instruction would each cost a lock round and a hand-off; they run in
	// order on the calling goroutine at the end.
	p.tail = 0
	for pc, instr := range instrs {
		if !barrier(instr) {
			p.tail = pc + 1
		}
	}
	instrs = instrs[:p.tail]
	n := len(instrs)
	p.succ = make([][]int32, n)
	p.npred = make([]int32, n)
	p.pending = make([]int32, n)
	p.cond = sync.NewCond(&p.mu)

	lastWriter := make(map[int]int) // register -> pc
	readers := make(map[int][]int)  // register -> pcs reading its current value
	lastBarrier := -1
	var sinceBarrier []int
	deps := make(map[int]struct{})
	addEdge := func(from, to int) {
		if from < 0 || from == to {
			return
		}
		if _, ok := deps[from]; ok {
			return
		}
		deps[from] = struct{}{}
		p.succ[from] = append(p.succ[from], int32(to))
		p.npred[to]++
	}
	for pc, instr := range instrs {
		if op, ok := instr.(*execOp); ok {
			op.pc = pc
		}
		for k := range deps {
			delete(deps, k)
		}
		if barrier(instr) {
			// a barrier: after everything before it, before everything after it
			for _, q := range sinceBarrier {
				addEdge(q, pc)
			}
			addEdge(lastBarrier, pc)
			lastBarrier, sinceBarrier = pc, nil
			for r := range lastWriter {
				delete(lastWriter, r)
			}
			for r := range readers {
				delete(readers, r)
			}
			continue
		}
		addEdge(lastBarrier, pc)
		for _, r := range instr.reads() {
			if r.device != CPU || r.id < 0 {
				continue
			}
			if w, ok := lastWriter[r.id]; ok {
				addEdge(w, pc)
			}
			readers[r.id] = append(readers[r.id], pc)
		}
		if w := instr.writes(); w.device == CPU && w.id >= 0 {
			if lw, ok := lastWriter[w.id]; ok {
				addEdge(lw, pc)
			}
			for _, q := range readers[w.id] {
				addEdge(q, pc)
			}
			lastWriter[w.id] = pc
			readers[w.id] = readers[w.id][:0]
		}
		sinceBarrier = append(sinceBarrier, pc)
	}
}

// Polling budget of ParallelOps' workers: a worker with nothing ready polls
// for a while (100 µs by default, see ParallelPoll), in rounds of parYield
// polls and one runtime.Gosched (about parRound on the 2-core AMD EPYC VM
// of nasx's engine benchmarks), lending its core through the idle function
// of ParallelIdle, before it parks. Handing an instruction to a parked
// worker costs an OS thread wake-up (tens of µs in a VM), longer than most
// ops of a small network take; a polling worker picks it up within a round.
// The budget counts polls, not wall time: a worker that the OS or the Go
// scheduler does not run is not idle.
const (
	parRound       = 400 * time.Nanosecond
	parYield       = 32
	parDefaultPoll = 100 * time.Microsecond
)

// ParallelPoll is a TapeMachine option for ParallelOps: a worker with no
// instruction ready polls for about d before it parks (default 100 µs; 0
// parks at once, which suits a machine whose cores are taken by other
// processes).
func ParallelPoll(d time.Duration) VMOpt {
	return func(m VM) {
		tm, ok := m.(*tapeMachine)
		if !ok {
			panic(nyi("ParallelPoll", m))
		}
		tm.parSpin = int(d / parRound)
		tm.parSpinSet = true
	}
}

// ParallelIdle is a TapeMachine option for ParallelOps: a worker with no
// instruction ready calls idle while it polls, so that it can help an
// instruction that is running (idle runs a piece of pending work and
// reports whether there was any). Without the option it only polls.
func ParallelIdle(idle func() bool) VMOpt {
	return func(m VM) {
		tm, ok := m.(*tapeMachine)
		if !ok {
			panic(nyi("ParallelIdle", m))
		}
		tm.parIdle = idle
	}
}

// runParallel runs the whole program: the instructions before p.tail with
// p.workers goroutines (runParallelOps), the rest in order on the caller.
func (m *tapeMachine) runParallel() error {
	p := m.par
	instrs := m.p.instructions
	if m.pc >= len(instrs) {
		return nil // as the sequential machine: a finished program runs again only after Reset
	}
	copy(p.pending, p.npred)
	p.ready = p.ready[:0]
	p.left = p.tail
	p.left0.Store(false)
	p.err, p.errPC = nil, -1
	for pc := 0; pc < p.tail; pc++ {
		if p.npred[pc] == 0 {
			p.ready = append(p.ready, int32(pc))
		}
	}
	heap.Init(&p.ready)
	p.nready.Store(int32(len(p.ready)))
	if p.left > 0 {
		m.runParallelOps()
	}
	if p.err != nil {
		return m.parFailed(p.errPC, p.err)
	}
	for m.pc = p.tail; m.pc < len(instrs); m.pc++ {
		if err := instrs[m.pc].exec(m); err != nil {
			return m.parFailed(m.pc, err)
		}
		if m.free != nil {
			m.afterInstr(m.pc)
		}
	}
	return nil
}

// parFailed ends a run whose instruction at pc failed with err, and returns the error as the sequential
// machine words it.
func (m *tapeMachine) parFailed(pc int, err error) error {
	instrs := m.p.instructions
	m.pc = len(instrs)
	return vmContextualError{
		error: errors.Wrapf(err, "PC %d. Failed to execute instruction %v", pc, instrs[pc]),
		instr: pc,
		node:  m.nodeFromInstr(instrs[pc]),
	}
}

// runParallelOps runs the instructions before p.tail with p.workers goroutines, the caller being one of them.
func (m *tapeMachine) runParallelOps() {
	p := m.par
	var wg sync.WaitGroup
	for w := 1; w < p.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.parWorker()
		}()
	}
	// A new goroutine waits in this P's "next" slot, which the other Ps take
	// only when they have nothing else to run (a polling goroutine keeps them
	// busy); yielding once lets it start here while this goroutine moves to
	// the global queue, which every P reads.
	runtime.Gosched()
	m.parWorker()
	wg.Wait()
}

// lock takes p.mu, polling instead of parking: a goroutine parked on a
// mutex is woken into the P of the goroutine that unlocks it, where it may
// wait for a whole op.
func (p *parPlan) lock() {
	for i := 0; !p.mu.TryLock(); i++ {
		if i >= 64 {
			runtime.Gosched()
		}
	}
}

func (m *tapeMachine) parWorker() {
	p := m.par
	instrs := m.p.instructions
	p.lock()
	mine := int32(-1) // an instruction this worker made ready and runs next, without the heap
	for {
		if mine < 0 && len(p.ready) == 0 && p.left > 0 {
			p.mu.Unlock()
			m.parPoll()
			p.lock()
			for len(p.ready) == 0 && p.left > 0 {
				p.sleepers++
				p.cond.Wait()
				p.sleepers--
			}
		}
		if p.left == 0 {
			p.mu.Unlock()
			return
		}
		var pc int
		if mine >= 0 {
			pc, mine = int(mine), -1
		} else {
			pc = int(heap.Pop(&p.ready).(int32))
			p.nready.Add(-1)
		}
		failed := p.err != nil
		p.mu.Unlock()

		if !failed {
			if err := instrs[pc].exec(m); err != nil {
				p.lock()
				if p.err == nil {
					p.err, p.errPC = err, pc
				}
				p.mu.Unlock()
			} else if m.free != nil {
				m.afterInstr(pc)
			}
		}

		p.lock()
		p.left--
		woke := 0
		for _, s := range p.succ[pc] {
			if p.pending[s]--; p.pending[s] == 0 {
				if p.err == nil && (mine < 0 || s < mine) {
					if mine >= 0 {
						heap.Push(&p.ready, mine)
						woke++
					}
					mine = s
					continue
				}
				heap.Push(&p.ready, s)
				woke++
			}
		}
		p.nready.Add(int32(woke))
		p.left0.Store(p.left == 0)
		if p.sleepers > 0 {
			switch {
			case p.left == 0:
				p.cond.Broadcast()
			case woke > 1:
				p.cond.Broadcast()
			case woke == 1:
				p.cond.Signal()
			}
		}
	}
}

// parPoll returns when an instruction is ready, the program is done, or
// the polling budget (see ParallelPoll) passed without either.
func (m *tapeMachine) parPoll() {
	p := m.par
	spin := int(parDefaultPoll / parRound)
	if m.parSpinSet {
		spin = m.parSpin
	}
	if spin <= 0 {
		return
	}
	for i := 1; p.nready.Load() == 0 && !p.left0.Load(); i++ {
		if m.parIdle != nil && m.parIdle() {
			i = 0
			continue
		}
		if i%parYield == 0 {
			runtime.Gosched()
			if i >= spin*parYield {
				return
			}
		}
	}
}

// pcHeap is a min-heap of instruction indices.
type pcHeap []int32

func (h pcHeap) Len() int            { return len(h) }
func (h pcHeap) Less(i, j int) bool  { return h[i] < h[j] }
func (h pcHeap) Swap(i, j int)       { h[i], h[j] = h[j], h[i] }
func (h *pcHeap) Push(x interface{}) { *h = append(*h, x.(int32)) }
func (h *pcHeap) Pop() interface{} {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
