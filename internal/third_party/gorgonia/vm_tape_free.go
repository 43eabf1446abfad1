package gorgonia

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

	// releaseAfter[pc] lists the pcs of the execOps whose values die once
	// instruction pc has run.
	releaseAfter [][]int

	// Run state, indexed by the pc of the writing execOp, and by CPU
	// register (regWriter: the pc of the execOp whose value it holds, or -1;
	// an in-place op may write the very value it read into the same
	// register, so the value alone does not tell whose it is).
	regWriter []int
	written   []Value
	keys    []uintptr
	owned   []bool
	refs    map[uintptr]int
}

// planFree computes, for every CPU value an execOp writes, the last
// instruction that reads it before its register is written again.
func (m *tapeMachine) planFree() {
	f := m.free
	instrs := m.p.instructions
	f.releaseAfter = make([][]int, len(instrs))
	f.written = make([]Value, len(instrs))
	f.keys = make([]uintptr, len(instrs))
	f.owned = make([]bool, len(instrs))
	f.refs = make(map[uintptr]int)
	f.regWriter = make([]int, len(m.cpumem))
	for i := range f.regWriter {
		f.regWriter[i] = -1
	}

	holder := make(map[int]int) // CPU register id -> pc of the execOp whose value it holds
	last := make(map[int]int)   // writer pc -> pc of its last reader (itself if none)
	for pc, instr := range instrs {
		if _, ok := instr.(free); ok {
			continue
		}
		for _, r := range instr.reads() {
			if r.device != CPU || r.id < 0 {
				continue
			}
			if w, ok := holder[r.id]; ok {
				last[w] = pc
			}
		}
		w := instr.writes()
		if w.device != CPU || w.id < 0 {
			continue
		}
		delete(holder, w.id)
		if op, ok := instr.(*execOp); ok && m.mayFree(op) {
			holder[w.id] = pc
			last[pc] = pc
		}
	}
	for w, r := range last {
		f.releaseAfter[r] = append(f.releaseAfter[r], w)
	}
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
			f.refs[key]++
		}
	}
}

// releaseAfterPC drops the values whose last reader is the instruction at pc.
func (m *tapeMachine) releaseAfterPC(pc int) {
	f := m.free
	if _, ok := m.p.instructions[pc].(*execOp); !ok {
		// Another kind of instruction (loadArg, alloc, ...) replaced the
		// value of its register: no execOp owns that register now.
		if r := m.p.instructions[pc].writes(); r.device == CPU && r.id >= 0 && r.id < len(f.regWriter) {
			f.regWriter[r.id] = -1
		}
	}
	for _, w := range f.releaseAfter[pc] {
		v := f.written[w]
		if v == nil {
			continue
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
			continue
		}
		key := f.keys[w]
		f.owned[w] = false
		if f.refs[key]--; f.refs[key] <= 0 {
			delete(f.refs, key)
			f.rec.Recycle(key)
		}
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
	for k := range f.refs {
		delete(f.refs, k)
	}
	for i := range f.regWriter {
		f.regWriter[i] = -1
	}
}
