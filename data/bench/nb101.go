package bench

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/nasx/nasx/searchspace"
)

// NB101Cells is the number of modules (cells) of the NAS-Bench-101 network:
// 3 stacks of 3, keyed "stack{s}/module{m}" in NAR's file.
const NB101Cells = 9

const (
	nb101V      = searchspace.NB101MaxVertices // 7
	nb101Stride = NB101Cells * nb101V          // per-record vertex cost values
	opInput     = 3                            // op codes: 0..2 index searchspace.NB101Ops
	opOutput    = 4
)

// NB101 is NAS-Bench-101 in NAR's schema (one record per unique cell, the 3
// runs at 108 epochs averaged), kept as flat arrays: 423,624 records take
// about 250 MB.
type NB101 struct {
	n       int
	hash    []byte    // n*16: md5 digest of unique_hash
	nodes   []uint8   // vertices of the pruned spec
	adj     []uint64  // bit r*7+c set for an edge r→c
	ops     []uint8   // n*7 op codes (0..2 searchspace.NB101Ops, 3 input, 4 output)
	params  []int64   // trainable_parameters
	stats   []float64 // n*4: avg_training_time, avg_train/validation/test_accuracy (fractions)
	flops   []int64   // NAR's network flops
	vflops  []uint32  // n*63: [i*63 + cell*7 + v]
	vparams []uint32  // n*63
	byHash  []int32   // indices sorted by hash
}

var _ Table = (*NB101)(nil)

// Kind returns KindNB101.
func (t *NB101) Kind() Kind { return KindNB101 }

// Len returns the number of cells.
func (t *NB101) Len() int { return t.n }

// Datasets returns CIFAR10, the only NAS-Bench-101 dataset.
func (t *NB101) Datasets() []Dataset { return []Dataset{CIFAR10} }

// Acc returns the mean 108-epoch accuracy of cell i, in percent.
func (t *NB101) Acc(i int, ds Dataset, m Metric) float64 {
	if ds != CIFAR10 {
		panic(fmt.Sprintf("bench: nasbench101 has no dataset %s", ds))
	}
	return t.stats[i*4+2+int(m)] * 100
}

// Hash returns the unique_hash of cell i as 32 hex digits.
func (t *NB101) Hash(i int) string { return hex.EncodeToString(t.hash[i*16 : i*16+16]) }

// Spec returns the (pruned) spec of cell i.
func (t *NB101) Spec(i int) searchspace.NB101Spec {
	n := int(t.nodes[i])
	s := searchspace.NB101Spec{Matrix: make([][]int, n), Ops: make([]string, n)}
	for r := 0; r < n; r++ {
		s.Matrix[r] = make([]int, n)
		for c := 0; c < n; c++ {
			if t.adj[i]&(1<<(r*nb101V+c)) != 0 {
				s.Matrix[r][c] = 1
			}
		}
		switch op := t.ops[i*nb101V+r]; op {
		case opInput:
			s.Ops[r] = searchspace.NB101Input
		case opOutput:
			s.Ops[r] = searchspace.NB101Output
		default:
			s.Ops[r] = searchspace.NB101Ops[op]
		}
	}
	return s
}

// TrainStats returns avg_training_time (seconds) and avg_train_accuracy (a
// fraction) of cell i.
func (t *NB101) TrainStats(i int) (seconds, trainAcc float64) {
	return t.stats[i*4], t.stats[i*4+1]
}

// Params returns trainable_parameters of cell i.
func (t *NB101) Params(i int) int64 { return t.params[i] }

// Flops returns NAR's network flops of cell i.
func (t *NB101) Flops(i int) int64 { return t.flops[i] }

// VertexCosts returns NAR's vertex_flops and vertex_params of cell i: for
// each of the 9 modules (stack-major), one value per vertex of the pruned
// spec (input and output are 0).
func (t *NB101) VertexCosts(i int) (flops, params [NB101Cells][]uint32) {
	n := int(t.nodes[i])
	for c := 0; c < NB101Cells; c++ {
		b := i*nb101Stride + c*nb101V
		flops[c] = slices.Clone(t.vflops[b : b+n])
		params[c] = slices.Clone(t.vparams[b : b+n])
	}
	return flops, params
}

// Record returns the summary of cell i; ds must be CIFAR10.
func (t *NB101) Record(i int, ds Dataset) (Record, error) {
	if err := checkQuery(t, i, ds); err != nil {
		return Record{}, err
	}
	return Record{Index: i, Arch: t.Hash(i), ValAcc: t.Acc(i, ds, Val), TestAcc: t.Acc(i, ds, Test), Flops: t.flops[i], Params: t.params[i]}, nil
}

// IndexOfHash returns the index of the cell with unique_hash h (32 hex
// digits).
func (t *NB101) IndexOfHash(h string) (int, error) {
	var d [16]byte
	if len(h) != 32 {
		return 0, fmt.Errorf("bench: nasbench101: hash %q has %d characters, want 32 hex digits", h, len(h))
	}
	if _, err := hex.Decode(d[:], []byte(h)); err != nil {
		return 0, fmt.Errorf("bench: nasbench101: hash %q: %v (want 32 hex digits)", h, err)
	}
	j, ok := slices.BinarySearchFunc(t.byHash, d[:], func(i int32, key []byte) int {
		return bytes.Compare(t.hash[int(i)*16:int(i)*16+16], key)
	})
	if !ok {
		return 0, fmt.Errorf("bench: nasbench101: hash %s: %w", h, ErrNotFound)
	}
	return int(t.byHash[j]), nil
}

// IndexOfSpec returns the index of the cell s is isomorphic to, through its
// NAS-Bench-101 hash.
func (t *NB101) IndexOfSpec(s searchspace.NB101Spec) (int, error) {
	h, err := s.Hash()
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	return t.IndexOfHash(h)
}

// Lookup finds a cell by decimal index or unique_hash.
func (t *NB101) Lookup(key string) (int, error) {
	if len(key) != 32 {
		if i, err := strconv.Atoi(key); err == nil {
			if i < 0 || i >= t.n {
				return 0, fmt.Errorf("bench: nasbench101: index %d out of range [0, %d): %w", i, t.n, ErrNotFound)
			}
			return i, nil
		}
	}
	return t.IndexOfHash(key)
}

// reserve sets the capacity of t's arrays to n records.
func (t *NB101) reserve(n int) {
	t.hash = make([]byte, 0, n*16)
	t.nodes = make([]uint8, 0, n)
	t.adj = make([]uint64, 0, n)
	t.ops = make([]uint8, 0, n*nb101V)
	t.params = make([]int64, 0, n)
	t.stats = make([]float64, 0, n*4)
	t.flops = make([]int64, 0, n)
	t.vflops = make([]uint32, 0, n*nb101Stride)
	t.vparams = make([]uint32, 0, n*nb101Stride)
}

// grow extends t by one zeroed record.
func (t *NB101) grow() {
	t.n++
	t.hash = append(t.hash, make([]byte, 16)...)
	t.nodes = append(t.nodes, 0)
	t.adj = append(t.adj, 0)
	t.ops = append(t.ops, make([]byte, nb101V)...)
	t.params = append(t.params, 0)
	t.stats = append(t.stats, 0, 0, 0, 0)
	t.flops = append(t.flops, 0)
	t.vflops = append(t.vflops, make([]uint32, nb101Stride)...)
	t.vparams = append(t.vparams, make([]uint32, nb101Stride)...)
}

func newNB101(n int) *NB101 {
	return &NB101{
		n:       n,
		hash:    make([]byte, n*16),
		nodes:   make([]uint8, n),
		adj:     make([]uint64, n),
		ops:     make([]uint8, n*nb101V),
		params:  make([]int64, n),
		stats:   make([]float64, n*4),
		flops:   make([]int64, n),
		vflops:  make([]uint32, n*nb101Stride),
		vparams: make([]uint32, n*nb101Stride),
		byHash:  make([]int32, n),
	}
}

// index sorts the hash permutation and rejects duplicate hashes.
func (t *NB101) index() error {
	t.byHash = make([]int32, t.n)
	for i := range t.byHash {
		t.byHash[i] = int32(i)
	}
	h := t.hash
	slices.SortFunc(t.byHash, func(a, b int32) int {
		return bytes.Compare(h[int(a)*16:int(a)*16+16], h[int(b)*16:int(b)*16+16])
	})
	return t.checkIndex()
}

// checkIndex verifies that byHash is a sorted permutation without
// duplicate hashes.
func (t *NB101) checkIndex() error {
	if len(t.byHash) != t.n {
		return fmt.Errorf("hash index has %d entries, want %d", len(t.byHash), t.n)
	}
	seen := make([]bool, t.n)
	for j, i := range t.byHash {
		if i < 0 || int(i) >= t.n || seen[i] {
			return fmt.Errorf("hash index entry %d (%d) is not a permutation", j, i)
		}
		seen[i] = true
		if j > 0 {
			p := t.byHash[j-1]
			c := bytes.Compare(t.hash[int(p)*16:int(p)*16+16], t.hash[int(i)*16:int(i)*16+16])
			if c == 0 {
				return fmt.Errorf("records %d and %d have the same unique_hash %s: %w", min(p, i), max(p, i), t.Hash(int(i)), ErrFormat)
			}
			if c > 0 {
				return fmt.Errorf("hash index is not sorted at entry %d", j)
			}
		}
	}
	return nil
}

// nb101 field bits.
const (
	f101Adj = 1 << iota
	f101Ops
	f101Params
	f101Time
	f101Train
	f101Val
	f101Test
	f101Hash
	f101VFlops
	f101VParams
	f101Flops
	f101All = 1<<iota - 1
)

var nb101FieldNames = []string{"module_adjacency", "module_operations", "trainable_parameters", "avg_training_time",
	"avg_train_accuracy", "avg_validation_accuracy", "avg_test_accuracy", "unique_hash", "vertex_flops", "vertex_params", "flops"}

// decodeNB101 reads NAR's NB101 JSON list from r, record by record. Errors
// name the record number (0-based) and the byte offset.
// hint is the expected number of records (0 if unknown), for reserving
// memory.
func decodeNB101(r io.Reader, hint int) (*NB101, error) {
	s := newScanner(r)
	t := &NB101{}
	t.reserve(min(max(hint, 1), NB101Size))
	if err := s.expect('['); err != nil {
		return nil, fmt.Errorf("want a JSON list of records (NAR's nasbench101 file): %w", err)
	}
	for first := true; ; first = false {
		more, err := s.next(first, ']')
		if err != nil {
			return nil, fmt.Errorf("after record %d: %w", t.n-1, err)
		}
		if !more {
			break
		}
		start := s.offset()
		t.grow()
		if err := t.decodeRecord(s, t.n-1); err != nil {
			return nil, fmt.Errorf("record %d (starts at byte offset %d): %w", t.n-1, start, err)
		}
	}
	if eof, err := s.atEOF(); err != nil {
		return nil, err
	} else if !eof {
		return nil, s.errorf("data after the closing ']'")
	}
	if err := t.index(); err != nil {
		return nil, err
	}
	return t, nil
}

// decodeRecord decodes one NAR NB101 record into slot i.
func (t *NB101) decodeRecord(s *scanner, i int) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	have := 0
	var adj [nb101V * nb101V]int
	n := -1 // vertices, from the adjacency
	nOps := -1
	var costN [2][NB101Cells]int // values per cell, for the check against n
	var buf []uint64
	for first := true; ; first = false {
		more, err := s.next(first, '}')
		if err != nil {
			return err
		}
		if !more {
			break
		}
		k, err := s.key()
		if err != nil {
			return err
		}
		field := intern(k, nb101Known)
		if err := func() error {
			switch field {
			case "module_adjacency":
				have |= f101Adj
				rows, err := s.squareMatrix(adj[:])
				n = rows
				return err
			case "module_operations":
				have |= f101Ops
				if err := s.expect('['); err != nil {
					return err
				}
				nOps = 0
				for first := true; ; first = false {
					more, err := s.next(first, ']')
					if err != nil {
						return err
					}
					if !more {
						return nil
					}
					if nOps >= nb101V {
						return fmt.Errorf("more than %d ops: %w", nb101V, ErrFormat)
					}
					b, err := s.stringBytes()
					if err != nil {
						return err
					}
					code := opCode(b)
					if code < 0 {
						return fmt.Errorf("op %d: unknown op %q (valid: input, output, conv3x3-bn-relu, conv1x1-bn-relu, maxpool3x3): %w", nOps, b, ErrFormat)
					}
					t.ops[i*nb101V+nOps] = uint8(code)
					nOps++
				}
			case "trainable_parameters", "flops":
				bit, dst := f101Params, &t.params[i]
				if field == "flops" {
					bit, dst = f101Flops, &t.flops[i]
				}
				have |= bit
				v, err := s.uint(math.MaxInt64)
				*dst = int64(v)
				return err
			case "avg_training_time", "avg_train_accuracy", "avg_validation_accuracy", "avg_test_accuracy":
				j := slices.Index(nb101FieldNames, field) - 3
				have |= f101Time << j
				v, err := s.float()
				if err != nil {
					return err
				}
				if v < 0 || (j > 0 && v > 1) {
					return fmt.Errorf("value %v out of range (want an accuracy fraction in [0, 1], or seconds >= 0): %w", v, ErrFormat)
				}
				t.stats[i*4+j] = v
				return nil
			case "unique_hash":
				have |= f101Hash
				b, err := s.stringBytes()
				if err != nil {
					return err
				}
				if len(b) != 32 {
					return fmt.Errorf("%q has %d characters, want 32 hex digits: %w", b, len(b), ErrFormat)
				}
				if _, err := hex.Decode(t.hash[i*16:i*16+16], b); err != nil {
					return fmt.Errorf("%q: %v (want 32 hex digits): %w", b, err, ErrFormat)
				}
				return nil
			case "vertex_flops", "vertex_params":
				which, dst := 0, t.vflops
				if field == "vertex_params" {
					which, dst = 1, t.vparams
				}
				have |= f101VFlops << which
				buf, err = s.vertexCosts(dst[i*nb101Stride:(i+1)*nb101Stride], costN[which][:], buf)
				return err
			}
			return s.skip(0)
		}(); err != nil {
			return fmt.Errorf("field %q: %w", field, err)
		}
	}
	if have != f101All {
		for b := range nb101FieldNames {
			if have&(1<<b) == 0 {
				return fmt.Errorf("required field %q is missing: %w", nb101FieldNames[b], ErrFormat)
			}
		}
	}
	if nOps != n {
		return fmt.Errorf("field \"module_operations\": %d ops for a %d-vertex module_adjacency: %w", nOps, n, ErrFormat)
	}
	for w := range costN {
		for c, got := range costN[w] {
			if got != n {
				return fmt.Errorf("field %q: \"stack%d/module%d\" has %d values, want %d (one per vertex): %w", nb101FieldNames[8+w], c/3, c%3, got, n, ErrFormat)
			}
		}
	}
	return t.setSpec(i, adj[:n*n], n)
}

// setSpec checks and stores the adjacency (n×n, row-major) of record i,
// whose ops are already stored. It checks the cheap rules (0/1,
// upper-triangular, input first, output last, no input/output inside);
// loaders do not prune or hash.
func (t *NB101) setSpec(i int, adj []int, n int) error {
	if n < 2 || n > nb101V {
		return fmt.Errorf("module_adjacency has %d vertices, want 2 to %d: %w", n, nb101V, ErrFormat)
	}
	var bits uint64
	for r := 0; r < n; r++ {
		for c := 0; c < n; c++ {
			switch v := adj[r*n+c]; {
			case v != 0 && v != 1:
				return fmt.Errorf("module_adjacency[%d][%d] = %d, want 0 or 1: %w", r, c, v, ErrFormat)
			case v == 1 && c <= r:
				return fmt.Errorf("module_adjacency[%d][%d] = 1 on or below the diagonal (want an upper-triangular matrix): %w", r, c, ErrFormat)
			case v == 1:
				bits |= 1 << (r*nb101V + c)
			}
		}
	}
	ops := t.ops[i*nb101V : i*nb101V+n]
	if ops[0] != opInput || ops[n-1] != opOutput {
		return fmt.Errorf("module_operations must start with \"input\" and end with \"output\": %w", ErrFormat)
	}
	for v := 1; v < n-1; v++ {
		if ops[v] > 2 {
			return fmt.Errorf("module_operations[%d]: input/output inside the cell: %w", v, ErrFormat)
		}
	}
	t.nodes[i] = uint8(n)
	t.adj[i] = bits
	return nil
}

// opCode maps an NB101 op name to its code, or -1.
func opCode(b []byte) int {
	switch string(b) {
	case searchspace.NB101Input:
		return opInput
	case searchspace.NB101Output:
		return opOutput
	}
	for j, op := range searchspace.NB101Ops {
		if string(b) == op {
			return j
		}
	}
	return -1
}

// squareMatrix reads a square matrix of at most 7×7 small integers into dst
// (row-major, n×n) and returns n.
func (s *scanner) squareMatrix(dst []int) (int, error) {
	if err := s.expect('['); err != nil {
		return 0, err
	}
	var buf [64]uint64
	r, n := 0, -1
	for first := true; ; first = false {
		more, err := s.next(first, ']')
		if err != nil {
			return 0, err
		}
		if !more {
			break
		}
		if r >= nb101V {
			return 0, fmt.Errorf("more than %d rows: %w", nb101V, ErrFormat)
		}
		row, err := s.uintArray(buf[:0], 255)
		if err != nil {
			return 0, fmt.Errorf("row %d: %w", r, err)
		}
		if n < 0 {
			n = len(row)
			if n > nb101V {
				return 0, fmt.Errorf("row 0 has %d entries, want at most %d: %w", n, nb101V, ErrFormat)
			}
		}
		if len(row) != n {
			return 0, fmt.Errorf("row %d has %d entries, row 0 has %d (want a square matrix): %w", r, len(row), n, ErrFormat)
		}
		for c, v := range row {
			dst[r*n+c] = int(v)
		}
		r++
	}
	if r != n {
		return 0, fmt.Errorf("%d rows of %d entries (want a square matrix): %w", r, n, ErrFormat)
	}
	return n, nil
}

// vertexCosts reads {"stack0/module0": [ints], ...} (9 keys) into dst
// (9×7), recording the number of values per cell in counts.
func (s *scanner) vertexCosts(dst []uint32, counts []int, buf []uint64) ([]uint64, error) {
	return s.costObject(costKeys{
		slot:  moduleSlot,
		names: nb101ModuleNames,
		n:     NB101Cells,
		want:  "stack0/module0 .. stack2/module2",
		slotName: func(c int) string {
			return fmt.Sprintf("stack%d/module%d", c/3, c%3)
		},
	}, buf, func(c int, name string, vals []uint64) error {
		if len(vals) > nb101V {
			return fmt.Errorf("%q has %d values, want at most %d: %w", name, len(vals), nb101V, ErrFormat)
		}
		counts[c] = len(vals)
		for v, x := range vals {
			dst[c*nb101V+v] = uint32(x)
		}
		return nil
	})
}

// moduleSlot maps "stack{s}/module{m}" (s, m in 0..2) to 3s+m, else -1.
func moduleSlot(k []byte) int {
	const p1, p2 = "stack", "/module"
	if len(k) != len(p1)+1+len(p2)+1 || string(k[:5]) != p1 || string(k[6:13]) != p2 {
		return -1
	}
	s, m := int(k[5])-'0', int(k[13])-'0'
	if s < 0 || s > 2 || m < 0 || m > 2 {
		return -1
	}
	return s*3 + m
}

// payloadLen is the size of NB101's cache payload.
func (t *NB101) payloadLen() int64 { return nb101PayloadLen(t.n) }

func nb101PayloadLen(n int) int64 {
	return 8 + int64(n)*(16+1+8+nb101V+8+4*8+8+2*nb101Stride*4+4)
}

func (t *NB101) writePayload(w *binWriter) {
	w.u64(uint64(t.n))
	w.bytes(t.hash)
	w.bytes(t.nodes)
	w.u64s(t.adj)
	w.bytes(t.ops)
	w.i64s(t.params)
	w.f64s(t.stats)
	w.i64s(t.flops)
	w.u32s(t.vflops)
	w.u32s(t.vparams)
	idx := make([]uint32, t.n)
	for j, i := range t.byHash {
		idx[j] = uint32(i)
	}
	w.u32s(idx)
}

func readNB101Payload(r *binReader) (*NB101, error) {
	n := r.u64()
	if r.err != nil {
		return nil, r.err
	}
	if n > 1<<26 || nb101PayloadLen(int(n)) != r.limit {
		return nil, fmt.Errorf("record count %d does not match the payload length %d", n, r.limit)
	}
	t := newNB101(int(n))
	r.bytes(t.hash)
	r.bytes(t.nodes)
	r.u64s(t.adj)
	r.bytes(t.ops)
	r.i64s(t.params)
	r.f64s(t.stats)
	r.i64s(t.flops)
	r.u32s(t.vflops)
	r.u32s(t.vparams)
	idx := make([]uint32, t.n)
	r.u32s(idx)
	if r.err != nil {
		return nil, r.err
	}
	for j, i := range idx {
		t.byHash[j] = int32(i)
	}
	// The payload CRC is checked by the caller; checkIndex guards lookups
	// against a payload that is internally inconsistent.
	if err := t.checkIndex(); err != nil {
		return nil, err
	}
	for i := 0; i < t.n; i++ {
		if nv := t.nodes[i]; nv < 2 || nv > nb101V {
			return nil, fmt.Errorf("record %d has %d vertices", i, nv)
		}
		for _, op := range t.ops[i*nb101V : (i+1)*nb101V] {
			if op > opOutput {
				return nil, fmt.Errorf("record %d has op code %d", i, op)
			}
		}
	}
	return t, nil
}

// nb101Known and nb101ModuleNames are the strings of NAR's NB101 schema.
var (
	nb101Known       = internSet(nb101FieldNames)
	nb101ModuleNames = func() map[string]string {
		m := map[string]string{}
		for c := 0; c < NB101Cells; c++ {
			k := fmt.Sprintf("stack%d/module%d", c/3, c%3)
			m[k] = k
		}
		return m
	}()
)
