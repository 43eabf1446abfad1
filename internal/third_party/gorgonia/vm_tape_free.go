package gorgonia

import (
	"sync"
	"sync/atomic"
)

// nasx: this file is nasx's addition to the fork (see NASX_FORK.md).
//
// Upstream, a TapeMachine keeps every value of a run alive until the end of
// the run: each execOp binds its result to its node, and the CPU `free`
// instruction does nothing. A training step therefore holds every forward
// activation and every backward temporary at once. FreeIntermediates makes
// the machine drop each value after the last instruction that reads it, and
// hand memory that no live value shares back to a Recycler, so the next op
// can reuse it within the same run.

// Recycler takes back the memory of values that a TapeMachine built with
// FreeIntermediates no longer needs. Implementations must be safe for
// concurrent use when several machines run at once.
type Recycler interface {
	// Owner reports whether the data of v lies in a buffer that the
	// recycler handed out, and returns a key naming that buffer. Views and
	// reshapes of one buffer must report the same key.
	Owner(v Value) (key uintptr, ok bool)
	// Recycle is called once no register, no kept node and no live value
	// refers to the buffer key any more.
	Recycle(key uintptr)
}

// FreeIntermediates is a TapeMachine option: the value each op writes is
// dropped after the last instruction of the run that reads it (its register
// is cleared and its node unbound), and its buffer goes back to r (which may
// be nil) once no other live value shares it. The values of the nodes in
// keep stay bound after the run, so that Node.Value reads them; gradients
// read through Read or accumulated by BindDualValues are unaffected, since
// those copy. Without this option the machine behaves as upstream.
func FreeIntermediates(r Recycler, keep ...*Node) VMOpt {
	return func(m VM) {
		tm, ok := m.(*tapeMachine)
		if !ok {
			panic(nyi("FreeIntermediates", m))
		}
		f := &freePlan{rec: r, keep: make(map[*Node]struct{}, len(keep))}
		for _, n := range keep {
			f.keep[n] = struct{}{}
		}
		tm.free = f
	}
}

// freePlan is the liveness plan of one program and the run-time state of
// its current run.
type freePlan struct {
	rec  Recycler
	keep map[*Node]struct{}

	// valuesRead[pc] lists the pcs of the execOps whose values instruction
	// pc reads; nReaders[w] counts the instructions that read the value of
	// the execOp at w. A value dies when its last reader has run (at once
	// if it has none). Counting, rather than "after the last reader in
	// program order", also holds when ParallelOps runs readers out of order.
	valuesRead [][]int
	nReaders   []int32

	mu        sync.Mutex // guards refs and the Recycler calls under ParallelOps
	remaining []int32    // run state: readers still to run, by writer pc

	freeable []bool // by pc: an execOp whose value may be dropped

	// Run state, indexed by the pc of the writing execOp, and by CPU
	// register (regWriter: the pc of the execOp whose value it holds, or -1;
	// an in-place op may write the very value it read into the same
	// register, so the value alone does not tell whose it is).
	regWriter []int
	written   []Value
	keys      []uintptr
	owned     []bool
	refs      map[uintptr]int
}

// planFree finds, for every instruction, the droppable execOp values it
// reads (a value is read from its register until the register is written
// again), and counts each value's readers.
func (m *tapeMachine) planFree() {
	f := m.free
	instrs := m.p.instructions
	f.valuesRead = make([][]int, len(instrs))
	f.nReaders = make([]int32, len(instrs))
	f.remaining = make([]int32, len(instrs))
	f.freeable = make([]bool, len(instrs))
	f.written = make([]Value, len(instrs))
	f.keys = make([]uintptr, len(instrs))
	f.owned = make([]bool, len(instrs))
	f.refs = make(map[uintptr]int)
	f.regWriter = make([]int, len(m.cpumem))
	for i := range f.regWriter {
		f.regWriter[i] = -1
	}

	holder := make(map[int]int) // CPU register id -> pc of the execOp whose value it holds
	for pc, instr := range instrs {
		if op, ok := instr.(*execOp); ok {
			op.pc = pc
		}
		if _, ok := instr.(free); ok {
			continue
		}
		for _, r := range instr.reads() {
			if r.device != CPU || r.id < 0 {
				continue
			}
			w, ok := holder[r.id]
			if !ok || containsInt(f.valuesRead[pc], w) {
				continue
			}
			f.valuesRead[pc] = append(f.valuesRead[pc], w)
			f.nReaders[w]++
		}
		w := instr.writes()
		if w.device != CPU || w.id < 0 {
			continue
		}
		delete(holder, w.id)
		if op, ok := instr.(*execOp); ok && m.mayFree(op) {
			holder[w.id] = pc
			f.freeable[pc] = true
		}
	}
	copy(f.remaining, f.nReaders)
}

func containsInt(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// mayFree reports whether the value of op may be dropped after its last read.
func (m *tapeMachine) mayFree(op *execOp) bool {
	n, ok := m.p.g.Node(op.id).(*Node)
	if !ok {
		return false
	}
	if _, kept := m.free.keep[n]; kept {
		return false
	}
	// The gradient of an Iop node is added into its source's dual value by a
	// closure that runs after the whole program: the value must outlive it.
	if m.bindDV() && n.derivOf != nil && n.op == (Iop{}) {
		return false
	}
	return true
}

// noteWrite records the value the execOp at pc wrote.
func (m *tapeMachine) noteWrite(pc int, v Value) {
	f := m.free
	if f == nil || v == nil {
		return
	}
	f.written[pc] = v
	f.owned[pc] = false
	if r := m.p.instructions[pc].writes(); r.device == CPU && r.id >= 0 && r.id < len(f.regWriter) {
		f.regWriter[r.id] = pc
	}
	if f.rec != nil {
		if key, ok := f.rec.Owner(v); ok {
			f.keys[pc], f.owned[pc] = key, true
			f.mu.Lock()
			f.refs[key]++
			f.mu.Unlock()
		}
	}
}

// afterInstr does the freeing work due once the instruction at pc has run:
// it drops the values whose last reader pc was, and pc's own value if
// nothing reads it.
func (m *tapeMachine) afterInstr(pc int) {
	f := m.free
	if _, ok := m.p.instructions[pc].(*execOp); !ok {
		// Another kind of instruction (loadArg, alloc, ...) replaced the
		// value of its register: no execOp owns that register now.
		if r := m.p.instructions[pc].writes(); r.device == CPU && r.id >= 0 && r.id < len(f.regWriter) {
			f.regWriter[r.id] = -1
		}
	} else if f.freeable[pc] && f.nReaders[pc] == 0 {
		m.release(pc)
	}
	for _, w := range f.valuesRead[pc] {
		if atomic.AddInt32(&f.remaining[w], -1) == 0 && f.freeable[w] {
			m.release(w)
		}
	}
}

// release drops the value the execOp at w wrote.
func (m *tapeMachine) release(w int) {
	f := m.free
	v := f.written[w]
	if v == nil {
		return
	}
	f.written[w] = nil
	instr := m.p.instructions[w]
	if r := instr.writes(); f.regWriter[r.id] == w {
		m.cpumem[r.id] = nil
		f.regWriter[r.id] = -1
	}
	if n, ok := m.p.g.Node(instr.ID()).(*Node); ok && n.boundTo == v {
		n.boundTo = nil
	}
	if !f.owned[w] {
		return
	}
	key := f.keys[w]
	f.owned[w] = false
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refs[key]--; f.refs[key] <= 0 {
		delete(f.refs, key)
		f.rec.Recycle(key)
	}
}

// resetFree forgets the run state. Values written but never released (kept
// nodes) are left to the garbage collector.
func (m *tapeMachine) resetFree() {
	f := m.free
	if f == nil {
		return
	}
	for i := range f.written {
		f.written[i] = nil
		f.owned[i] = false
	}
	copy(f.remaining, f.nReaders)
	for k := range f.refs {
		delete(f.refs, k)
	}
	for i := range f.regWriter {
		f.regWriter[i] = -1
	}
}
