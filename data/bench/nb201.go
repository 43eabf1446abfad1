package bench

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/nasx/nasx/searchspace"
)

// NB201Cells is the number of searched cells of the NAS-Bench-201 network
// whose per-edge costs NAR records: cells 0-4, 6-10 and 12-16 (cells 5 and
// 11 are the fixed residual reduction blocks).
const NB201Cells = 15

// nb201CostKeys are the dataset prefixes of the cost fields of NAR's file,
// indexed by Dataset. CIFAR-10 costs are those of the cifar10-valid network.
var nb201CostKeys = [3]string{"cifar10-valid", "cifar100", "ImageNet16-120"}

// NB201 is NAS-Bench-201 in NAR's schema, kept as flat arrays (one slice per
// field, indexed by architecture) so that 15,625 records take about 40 MB.
type NB201 struct {
	n       int
	arch    []uint8   // n*6 op codes, searchspace.NB201Arch order
	acc     []float64 // n*6: [i*6 + ds*2 + metric], percent
	latency []float64 // n*3 seconds; NaN when the file has none
	total   []int64   // n*6: [i*6 + ds*2 + 0] flops, [... + 1] params
	// Per-edge costs are dictionary-coded: a cell's 6 edge costs form a row,
	// and the file has only about 10^4 distinct rows among 1.4 million, so
	// edgeIdx holds one row index per (arch, dataset, flops|params, cell)
	// and rows the distinct rows (6 values each). This takes 5.6 MB instead
	// of 34 MB, and keeps the cache small enough to load in milliseconds.
	edgeIdx []uint32 // n*90: [((i*3+ds)*2+kind)*15+cell]; kind 0 flops, 1 params
	rows    []uint32 // 6 values per distinct row
	rowMap  map[[6]uint32]uint32
	byArch  []int32 // searchspace arch code (base 5) -> index, -1 when absent
}

var _ Table = (*NB201)(nil)

// nb201RowStride is the number of edge-cost rows per architecture.
const nb201RowStride = 3 * 2 * NB201Cells

// Kind returns KindNB201.
func (t *NB201) Kind() Kind { return KindNB201 }

// Len returns the number of architectures.
func (t *NB201) Len() int { return t.n }

// Datasets returns CIFAR10, CIFAR100 and ImageNet16.
func (t *NB201) Datasets() []Dataset { return []Dataset{CIFAR10, CIFAR100, ImageNet16} }

// Arch returns the cell of architecture i.
func (t *NB201) Arch(i int) searchspace.NB201Arch {
	var a searchspace.NB201Arch
	for e := range a {
		a[e] = int(t.arch[i*6+e])
	}
	return a
}

// CellAdjacency returns NAR's cell_adjacency of architecture i: the op code
// on each edge src→dst (validated against arch_str at load).
func (t *NB201) CellAdjacency(i int) [4][4]int { return t.Arch(i).Adjacency() }

// Acc returns the 200-epoch accuracy (percent) of architecture i.
func (t *NB201) Acc(i int, ds Dataset, m Metric) float64 { return t.acc[i*6+int(ds)*2+int(m)] }

// Latency returns NAR's *_latency of architecture i in seconds, and false
// when the file has none.
func (t *NB201) Latency(i int, ds Dataset) (float64, bool) {
	v := t.latency[i*3+int(ds)]
	return v, !math.IsNaN(v)
}

// Total returns the network FLOPs and parameters of architecture i on ds
// (NAR's X_total_flops and X_total_params).
func (t *NB201) Total(i int, ds Dataset) (flops, params int64) {
	return t.total[i*6+int(ds)*2], t.total[i*6+int(ds)*2+1]
}

// EdgeCosts returns NAR's X_opt_flops and X_opt_params of architecture i on
// ds: for each of the 15 searched cells (cells0-4, 6-10, 12-16 in order),
// the cost of each edge in arch-string order.
func (t *NB201) EdgeCosts(i int, ds Dataset) (flops, params [NB201Cells][searchspace.NB201NumEdges]uint32) {
	base := (i*3 + int(ds)) * 2 * NB201Cells
	for c := 0; c < NB201Cells; c++ {
		f, p := t.edgeIdx[base+c]*6, t.edgeIdx[base+NB201Cells+c]*6
		copy(flops[c][:], t.rows[f:f+6])
		copy(params[c][:], t.rows[p:p+6])
	}
	return flops, params
}

// Record returns the summary of architecture i on ds.
func (t *NB201) Record(i int, ds Dataset) (Record, error) {
	if err := checkQuery(t, i, ds); err != nil {
		return Record{}, err
	}
	f, p := t.Total(i, ds)
	return Record{Index: i, Arch: t.Arch(i).String(), ValAcc: t.Acc(i, ds, Val), TestAcc: t.Acc(i, ds, Test), Flops: f, Params: p}, nil
}

// Index returns the benchmark index of a.
func (t *NB201) Index(a searchspace.NB201Arch) (int, error) {
	if err := a.Validate(); err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	if i := t.byArch[archCode(a)]; i >= 0 {
		return int(i), nil
	}
	return 0, fmt.Errorf("bench: nasbench201: arch %s: %w", a, ErrNotFound)
}

// Lookup finds an architecture by decimal index or arch string.
func (t *NB201) Lookup(key string) (int, error) {
	if i, err := strconv.Atoi(key); err == nil {
		if i < 0 || i >= t.n {
			return 0, fmt.Errorf("bench: nasbench201: index %d out of range [0, %d): %w", i, t.n, ErrNotFound)
		}
		return i, nil
	}
	a, err := searchspace.ParseNB201(key)
	if err != nil {
		return 0, fmt.Errorf("bench: nasbench201: %w (want an index in [0, %d) or an arch string)", err, t.n)
	}
	return t.Index(a)
}

// archCode numbers a valid NB201 cell in base 5, edge 0 most significant.
func archCode(a searchspace.NB201Arch) int {
	c := 0
	for _, op := range a {
		c = c*len(searchspace.NB201Ops) + op
	}
	return c
}

// newNB201 allocates a table for n architectures.
func newNB201(n int) *NB201 {
	t := &NB201{
		n:       n,
		arch:    make([]uint8, n*6),
		acc:     make([]float64, n*6),
		latency: make([]float64, n*3),
		total:   make([]int64, n*6),
		edgeIdx: make([]uint32, n*nb201RowStride),
	}
	return t
}

// internRow returns the index of row in t.rows, adding it if new.
func (t *NB201) internRow(row [6]uint32) uint32 {
	if j, ok := t.rowMap[row]; ok {
		return j
	}
	j := uint32(len(t.rows) / 6)
	t.rows = append(t.rows, row[:]...)
	t.rowMap[row] = j
	return j
}

// reserve sets the capacity of t's arrays to n records.
func (t *NB201) reserve(n int) {
	t.arch = make([]uint8, 0, n*6)
	t.acc = make([]float64, 0, n*6)
	t.latency = make([]float64, 0, n*3)
	t.total = make([]int64, 0, n*6)
	t.edgeIdx = make([]uint32, 0, n*nb201RowStride)
	t.rowMap = map[[6]uint32]uint32{}
}

// grow extends t by one zeroed record.
func (t *NB201) grow() {
	t.n++
	t.arch = append(t.arch, make([]uint8, 6)...)
	t.acc = append(t.acc, make([]float64, 6)...)
	t.latency = append(t.latency, math.NaN(), math.NaN(), math.NaN())
	t.total = append(t.total, make([]int64, 6)...)
	t.edgeIdx = append(t.edgeIdx, make([]uint32, nb201RowStride)...)
}

// index builds byArch and checks that every arch appears once.
func (t *NB201) index() error {
	t.byArch = make([]int32, searchspace.NB201SpaceSize)
	for i := range t.byArch {
		t.byArch[i] = -1
	}
	for i := 0; i < t.n; i++ {
		a := t.Arch(i)
		if err := a.Validate(); err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
		c := archCode(a)
		if j := t.byArch[c]; j >= 0 {
			return fmt.Errorf("records %d and %d have the same arch %s: %w", j, i, a, ErrFormat)
		}
		t.byArch[c] = int32(i)
	}
	return nil
}

// ErrFormat marks a benchmark file whose content breaks its schema.
var ErrFormat = errors.New("bad benchmark file")

// nb201 field bits, for the check that every required field is present.
const (
	f201Adj = 1 << iota
	f201Arch
	f201Acc0 // 6 bits: ds*2+metric
	_
	_
	_
	_
	_
	f201Cost0 // 12 bits: ds*4 + {total_flops, total_params, opt_flops, opt_params}
)

const f201All = 1<<(8+12) - 1

var nb201AccKeys = map[string]int{
	"cifar10_val_acc": 0, "cifar10_test_acc": 1,
	"cifar100_val_acc": 2, "cifar100_test_acc": 3,
	"imagenet16_val_acc": 4, "imagenet16_test_acc": 5,
}

var nb201LatencyKeys = map[string]int{"cifar10_latency": 0, "cifar100_latency": 1, "imagenet16_latency": 2}

// nb201CostFields maps "X_total_flops" etc. to ds*4+which.
var nb201CostFields = func() map[string]int {
	m := map[string]int{}
	for ds, p := range nb201CostKeys {
		for w, s := range []string{"_total_flops", "_total_params", "_opt_flops", "_opt_params"} {
			m[p+s] = ds*4 + w
		}
	}
	return m
}()

// nb201FieldName returns the JSON name of field bit b.
func nb201FieldName(b int) string {
	switch {
	case b == 0:
		return "cell_adjacency"
	case b == 1:
		return "arch_str"
	case b < 8:
		for k, v := range nb201AccKeys {
			if v == b-2 {
				return k
			}
		}
	default:
		for k, v := range nb201CostFields {
			if v == b-8 {
				return k
			}
		}
	}
	return "?"
}

// maxCost bounds every cost value: they are stored as uint32.
const maxCost = math.MaxUint32

// decodeNB201 reads NAR's NB201 JSON object from r. Errors name the record
// key and the byte offset in the (decompressed) JSON text.
// hint is the expected number of records (0 if unknown): room for them is
// reserved up front, since growing record by record would copy the 17 MB
// edge array about 20 times.
func decodeNB201(r io.Reader, hint int) (*NB201, error) {
	s := newScanner(r)
	t := &NB201{}
	t.reserve(min(max(hint, 1), searchspace.NB201SpaceSize))
	if err := s.expect('{'); err != nil {
		return nil, fmt.Errorf("want a JSON object keyed by index (NAR's nasbench201 file): %w", err)
	}
	seen := map[uint64]bool{}
	var order []int // file position -> key
	for first := true; ; first = false {
		more, err := s.next(first, '}')
		if err != nil {
			return nil, fmt.Errorf("after record %d: %w", len(order), err)
		}
		if !more {
			break
		}
		start := s.offset()
		kb, err := s.key()
		if err != nil {
			return nil, fmt.Errorf("after record %d: %w", len(order), err)
		}
		k := string(kb) // kb is overwritten by the next string read
		key, err := strconv.ParseUint(k, 10, 31)
		if err != nil {
			return nil, fmt.Errorf("byte offset %d: record key %q is not an index (want \"0\"..\"15624\"): %w", start, k, ErrFormat)
		}
		if seen[key] {
			return nil, fmt.Errorf("byte offset %d: record key %q appears twice: %w", start, k, ErrFormat)
		}
		seen[key] = true
		t.grow()
		if err := t.decodeRecord(s, t.n-1); err != nil {
			return nil, fmt.Errorf("record %q (starts at byte offset %d): %w", k, start, err)
		}
		order = append(order, int(key))
	}
	if eof, err := s.atEOF(); err != nil {
		return nil, err
	} else if !eof {
		return nil, s.errorf("data after the closing '}'")
	}
	for k := range order {
		if !seen[uint64(k)] {
			return nil, fmt.Errorf("record keys must be 0..%d, but %q is missing: %w", len(order)-1, strconv.Itoa(k), ErrFormat)
		}
	}
	t.reorder(order)
	t.rowMap = nil
	if err := t.index(); err != nil {
		return nil, err
	}
	return t, nil
}

// reorder moves the record at file position p to index order[p].
func (t *NB201) reorder(order []int) {
	sorted := true
	for p, k := range order {
		if p != k {
			sorted = false
			break
		}
	}
	if sorted {
		return
	}
	u := newNB201(t.n)
	for p, k := range order {
		copy(u.arch[k*6:k*6+6], t.arch[p*6:p*6+6])
		copy(u.acc[k*6:k*6+6], t.acc[p*6:p*6+6])
		copy(u.latency[k*3:k*3+3], t.latency[p*3:p*3+3])
		copy(u.total[k*6:k*6+6], t.total[p*6:p*6+6])
		copy(u.edgeIdx[k*nb201RowStride:(k+1)*nb201RowStride], t.edgeIdx[p*nb201RowStride:(p+1)*nb201RowStride])
	}
	u.rows = t.rows
	*t = *u
}

// decodeRecord decodes one record object into slot i.
func (t *NB201) decodeRecord(s *scanner, i int) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	have := 0
	var adj [16]int
	var archStr string
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
		field := intern(k, nb201Known)
		if err := func() error {
			switch {
			case field == "cell_adjacency":
				have |= f201Adj
				return s.adjacency(adj[:], 4, 4)
			case field == "arch_str":
				have |= f201Arch
				b, err := s.stringBytes()
				if err != nil {
					return err
				}
				archStr = string(b)
				return nil
			}
			if j, ok := nb201AccKeys[field]; ok {
				have |= f201Acc0 << j
				v, err := s.float()
				if err != nil {
					return err
				}
				if v < 0 || v > 100 {
					return fmt.Errorf("accuracy %v out of range [0, 100] (percent): %w", v, ErrFormat)
				}
				t.acc[i*6+j] = v
				return nil
			}
			if j, ok := nb201LatencyKeys[field]; ok {
				v, err := s.float()
				if err != nil {
					return err
				}
				if v < 0 {
					return fmt.Errorf("latency %v is negative: %w", v, ErrFormat)
				}
				t.latency[i*3+j] = v
				return nil
			}
			if j, ok := nb201CostFields[field]; ok {
				have |= f201Cost0 << j
				ds, which := j/4, j%4
				switch which {
				case 0, 1:
					v, err := s.uint(math.MaxInt64)
					if err != nil {
						return err
					}
					t.total[i*6+ds*2+which] = int64(v)
					return nil
				default:
					var vals [NB201Cells * 6]uint32
					buf, err = s.cellCosts(vals[:], buf)
					if err != nil {
						return err
					}
					base := ((i*3+ds)*2 + which - 2) * NB201Cells
					for c := 0; c < NB201Cells; c++ {
						t.edgeIdx[base+c] = t.internRow([6]uint32(vals[c*6 : c*6+6]))
					}
					return nil
				}
			}
			// Unknown fields are skipped: newer files may add some.
			return s.skip(0)
		}(); err != nil {
			return fmt.Errorf("field %q: %w", field, err)
		}
	}
	if have != f201All {
		for b := 0; b < 20; b++ {
			if have&(1<<b) == 0 {
				return fmt.Errorf("required field %q is missing: %w", nb201FieldName(b), ErrFormat)
			}
		}
	}
	a, err := searchspace.ParseNB201(archStr)
	if err != nil {
		return fmt.Errorf("field \"arch_str\": %w", err)
	}
	want := a.Adjacency()
	for r := 0; r < 4; r++ {
		for c := 0; c < 4; c++ {
			if adj[r*4+c] != want[r][c] {
				return fmt.Errorf("field \"cell_adjacency\": entry [%d][%d] = %d, but arch_str %s has op code %d there: %w", r, c, adj[r*4+c], archStr, want[r][c], ErrFormat)
			}
		}
	}
	for e, op := range a {
		t.arch[i*6+e] = uint8(op)
	}
	return nil
}

// adjacency reads a rows×cols matrix of small integers into dst.
func (s *scanner) adjacency(dst []int, rows, cols int) error {
	if err := s.expect('['); err != nil {
		return err
	}
	var buf [64]uint64
	r := 0
	for first := true; ; first = false {
		more, err := s.next(first, ']')
		if err != nil {
			return err
		}
		if !more {
			break
		}
		if r >= rows {
			return fmt.Errorf("byte offset %d: more than %d rows: %w", s.offset(), rows, ErrFormat)
		}
		row, err := s.uintArray(buf[:0], 255)
		if err != nil {
			return fmt.Errorf("row %d: %w", r, err)
		}
		if len(row) != cols {
			return fmt.Errorf("row %d has %d entries, want %d: %w", r, len(row), cols, ErrFormat)
		}
		for c, v := range row {
			dst[r*cols+c] = int(v)
		}
		r++
	}
	if r != rows {
		return fmt.Errorf("got %d rows, want %d: %w", r, rows, ErrFormat)
	}
	return nil
}

// cellCosts reads {"cells0": [6 ints], ...} for the 15 searched cells into
// dst (15×6).
func (s *scanner) cellCosts(dst []uint32, buf []uint64) ([]uint64, error) {
	return s.costObject(costKeys{
		label:    "cell ",
		slot:     cellSlot,
		names:    nb201CellNames,
		n:        NB201Cells,
		want:     "cells0-4, cells6-10, cells12-16",
		slotName: func(c int) string { return fmt.Sprintf("cells%d", c+c/5) },
	}, buf, func(slot int, name string, vals []uint64) error {
		if len(vals) != searchspace.NB201NumEdges {
			return fmt.Errorf("cell %q has %d values, want %d (one per edge): %w", name, len(vals), searchspace.NB201NumEdges, ErrFormat)
		}
		for e, v := range vals {
			dst[slot*6+e] = uint32(v)
		}
		return nil
	})
}

// cellSlot maps "cells0".."cells16" (without 5 and 11) to 0..14, else -1.
func cellSlot(k []byte) int {
	if len(k) < 6 || len(k) > 7 || string(k[:5]) != "cells" {
		return -1
	}
	n := 0
	for _, c := range k[5:] {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	if len(k) == 7 && k[5] == '0' {
		return -1
	}
	if n > 16 || n == 5 || n == 11 {
		return -1
	}
	return n - n/6
}

// nb201Known and nb201CellNames are the strings of NAR's NB201 schema.
var (
	nb201Known = func() map[string]string {
		m := internSet([]string{"cell_adjacency", "arch_str"})
		for _, mm := range []map[string]int{nb201AccKeys, nb201LatencyKeys, nb201CostFields} {
			for k := range mm {
				m[k] = k
			}
		}
		return m
	}()
	nb201CellNames = func() map[string]string {
		m := map[string]string{}
		for c := 0; c < NB201Cells; c++ {
			k := "cells" + strconv.Itoa(c+c/5)
			m[k] = k
		}
		return m
	}()
)
