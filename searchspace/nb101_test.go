package searchspace

import (
	"bufio"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/nasx/nasx/internal/sharedtest"
)

// nb101Record is one line of ../shared/data/nasbench101/nb101_1k_hashes.jsonl.
type nb101Record struct {
	NB101Spec
	UniqueHash          string `json:"unique_hash"`
	TrainableParameters int64  `json:"trainable_parameters"`
}

func loadNB101Records(t *testing.T) []nb101Record {
	t.Helper()
	p := sharedtest.Path(t, "nasbench101/nb101_1k_hashes.jsonl")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []nb101Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r nb101Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s line %d: %v", p, len(recs)+1, err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	// The README of the shared data says the file holds 1,000 cells.
	if len(recs) != 1000 {
		t.Fatalf("%s: %d records, want 1000", p, len(recs))
	}
	return recs
}

func TestNB101HashShared1k(t *testing.T) {
	for i, r := range loadNB101Records(t) {
		got, err := r.Hash()
		if err != nil {
			t.Fatalf("record %d: %v", i+1, err)
		}
		if got != r.UniqueHash {
			t.Errorf("record %d: Hash() = %s, want %s", i+1, got, r.UniqueHash)
		}
	}
}

// permuteSpec relabels vertex v as perm[v].
func permuteSpec(s NB101Spec, perm []int) NB101Spec {
	n := len(s.Matrix)
	out := NB101Spec{Matrix: make([][]int, n), Ops: make([]string, n)}
	for i := range out.Matrix {
		out.Matrix[i] = make([]int, n)
	}
	for i := range n {
		out.Ops[perm[i]] = s.Ops[i]
		for j := range n {
			out.Matrix[perm[i]][perm[j]] = s.Matrix[i][j]
		}
	}
	return out
}

func permutations(xs []int) [][]int {
	if len(xs) <= 1 {
		return [][]int{append([]int(nil), xs...)}
	}
	var out [][]int
	for i := range xs {
		rest := append(append([]int(nil), xs[:i]...), xs[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]int{xs[i]}, p...))
		}
	}
	return out
}

// TestNB101HashIsomorphic checks nasbench's test_hash_module invariant:
// relabelling interior vertices (keeping the matrix upper-triangular) does
// not change the hash, while changing one op does.
func TestNB101HashIsomorphic(t *testing.T) {
	recs := loadNB101Records(t)
	checked := 0
	for _, r := range recs[:100] {
		n := len(r.Matrix)
		interior := make([]int, 0, n-2)
		for v := 1; v < n-1; v++ {
			interior = append(interior, v)
		}
		for _, p := range permutations(interior) {
			perm := append(append([]int{0}, p...), n-1)
			q := permuteSpec(r.NB101Spec, perm)
			if q.checkShape() != nil { // not upper-triangular under this relabelling
				continue
			}
			got, err := q.Hash()
			if err != nil {
				t.Fatal(err)
			}
			if got != r.UniqueHash {
				t.Fatalf("permutation %v of %+v: hash %s, want %s", perm, r.NB101Spec, got, r.UniqueHash)
			}
			if !reflect.DeepEqual(perm, append(append([]int{0}, interior...), n-1)) {
				checked++
			}
		}
		// Changing one interior op gives a different cell.
		if n > 2 {
			q := permuteSpec(r.NB101Spec, identity(n))
			q.Ops[1] = NB101Ops[(indexOf(NB101Ops, q.Ops[1])+1)%3]
			if h, _ := q.Hash(); h == r.UniqueHash {
				t.Errorf("changing op 1 of %+v kept hash %s", r.NB101Spec, h)
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d non-identity relabellings were checked, want ≥ 100", checked)
	}
}

func identity(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return p
}

func indexOf(xs []string, x string) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return -1
}

func TestNB101Prune(t *testing.T) {
	c3, c1, mp := NB101Ops[0], NB101Ops[1], NB101Ops[2]
	// Vertex 2 has no input (dead end from the input side) and vertex 3 does
	// not reach the output: both go, as in NAS-Bench-101 model_spec_test.py.
	s := NB101Spec{
		Matrix: [][]int{
			{0, 1, 0, 0, 0},
			{0, 0, 0, 1, 1},
			{0, 0, 0, 0, 1},
			{0, 0, 0, 0, 0},
			{0, 0, 0, 0, 0},
		},
		Ops: []string{"input", c3, c1, mp, "output"},
	}
	got, err := s.Prune()
	if err != nil {
		t.Fatal(err)
	}
	want := NB101Spec{Matrix: [][]int{{0, 1, 0}, {0, 0, 1}, {0, 0, 0}}, Ops: []string{"input", c3, "output"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Prune() = %+v, want %+v", got, want)
	}
	// The pruned and unpruned specs hash the same.
	h1, err1 := s.Hash()
	h2, err2 := want.Hash()
	if err1 != nil || err2 != nil || h1 != h2 {
		t.Errorf("Hash(unpruned) = %s, %v; Hash(pruned) = %s, %v; want equal", h1, err1, h2, err2)
	}
	// A 2-vertex cell input→output is valid.
	io := NB101Spec{Matrix: [][]int{{0, 1}, {0, 0}}, Ops: []string{"input", "output"}}
	if err := io.Validate(); err != nil {
		t.Errorf("Validate(input→output) = %v", err)
	}
}

func TestNB101ValidateErrors(t *testing.T) {
	c3 := NB101Ops[0]
	line := func(n int) [][]int { // 0→1→…→n-1
		m := make([][]int, n)
		for i := range m {
			m[i] = make([]int, n)
			if i+1 < n {
				m[i][i+1] = 1
			}
		}
		return m
	}
	ops := func(n int) []string {
		o := []string{"input"}
		for range n - 2 {
			o = append(o, c3)
		}
		return append(o, "output")
	}
	dense7 := line(7)
	for i := range 7 {
		for j := i + 1; j < 7; j++ {
			dense7[i][j] = 1
		}
	}
	lower := line(3)
	lower[2][0] = 1
	diag := line(3)
	diag[1][1] = 1
	two := line(3)
	two[0][2] = 2
	ragged := line(3)
	ragged[1] = []int{0, 0}
	tests := []struct {
		name string
		s    NB101Spec
		msg  []string
	}{
		{"empty", NB101Spec{}, []string{"0 row(s)"}},
		{"too many vertices", NB101Spec{line(8), ops(8)}, []string{"8 rows", "at most 7"}},
		{"ops mismatch", NB101Spec{line(3), ops(4)}, []string{"4 ops for a 3-vertex"}},
		{"ragged", NB101Spec{ragged, ops(3)}, []string{"row 1 has 2 entries, want 3"}},
		{"not 0/1", NB101Spec{two, ops(3)}, []string{"matrix[0][2] = 2"}},
		{"lower triangular", NB101Spec{lower, ops(3)}, []string{"matrix[2][0]", "upper-triangular"}},
		{"self loop", NB101Spec{diag, ops(3)}, []string{"matrix[1][1]", "upper-triangular"}},
		{"input op", NB101Spec{line(3), []string{c3, c3, "output"}}, []string{"vertex 0", `want "input"`}},
		{"output op", NB101Spec{line(3), []string{"input", c3, c3}}, []string{"vertex 2 (last)", `want "output"`}},
		{"unknown op", NB101Spec{line(3), []string{"input", "conv5x5", "output"}}, []string{"vertex 1", `"conv5x5"`, "valid: conv3x3-bn-relu"}},
		{"disconnected", NB101Spec{[][]int{{0, 1, 0}, {0, 0, 0}, {0, 0, 0}}, ops(3)}, []string{"no path from the input"}},
		{"too many edges", NB101Spec{dense7, ops(7)}, []string{"21 edges after pruning", "at most 9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			if err == nil {
				t.Fatalf("Validate(%+v) = nil, want an error", tt.s)
			}
			if !errors.Is(err, ErrInvalidSpec) {
				t.Errorf("error %v does not wrap ErrInvalidSpec", err)
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("Validate error %q does not mention %q", err, m)
				}
			}
			if _, err := tt.s.Hash(); err == nil {
				t.Errorf("Hash accepted an invalid spec")
			}
		})
	}
	if err := (NB101Spec{line(3), []string{"input", "conv5x5", "output"}}).Validate(); !errors.Is(err, ErrUnknownOp) {
		t.Errorf("unknown op error %v does not wrap ErrUnknownOp", err)
	}
}

func TestSampleNB101(t *testing.T) {
	a := SampleNB101(rand.New(rand.NewPCG(7, 7)), 4000)
	b := SampleNB101(rand.New(rand.NewPCG(7, 7)), 4000)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("SampleNB101 differs between equal seeds")
	}
	var sizes [8]int
	for i, s := range a {
		if err := s.Validate(); err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
		p, _ := s.Prune()
		if !reflect.DeepEqual(p, s) {
			t.Fatalf("sample %d is not pruned: %+v", i, s)
		}
		sizes[len(s.Matrix)]++
	}
	// Fraction of pruned cells with v vertices under NAS-Bench-101's
	// random-spec procedure, from testdata/gen_nb101_sample_sizes.py (pure
	// Python, seed 0, 200,000 draws). The procedure favours small cells.
	want := map[int]float64{2: 0.0975, 3: 0.2026, 4: 0.2738, 5: 0.3026, 6: 0.1203, 7: 0.0032}
	for v, p := range want {
		got := float64(sizes[v]) / float64(len(a))
		// 0.035 is > 4.5 binomial sd for 4,000 draws at p ≤ 0.31 (sd ≤ 0.0073).
		if d := got - p; d > 0.035 || d < -0.035 {
			t.Errorf("fraction of %d-vertex samples = %.4f, want %.4f ± 0.035", v, got, p)
		}
	}
}

func FuzzNB101SpecJSON(f *testing.F) {
	f.Add([]byte(`{"module_adjacency":[[0,1,0],[0,0,1],[0,0,0]],"module_operations":["input","conv3x3-bn-relu","output"]}`))
	f.Add([]byte(`{"module_adjacency":[[0,1],[1,0]],"module_operations":["input","output"]}`))
	f.Add([]byte(`{"module_adjacency":[[0,1,1],[0,0],[]],"module_operations":["input"]}`))
	f.Add([]byte(`{"module_adjacency":[],"module_operations":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s NB101Spec
		if json.Unmarshal(data, &s) != nil {
			return
		}
		verr := s.Validate()
		p, perr := s.Prune()
		h, herr := s.Hash()
		if (verr == nil) != (herr == nil) {
			t.Fatalf("Validate = %v but Hash = %v", verr, herr)
		}
		if verr == nil {
			if perr != nil {
				t.Fatalf("valid spec fails Prune: %v", perr)
			}
			if h2, err := p.Hash(); err != nil || h2 != h {
				t.Fatalf("pruned spec hash %s (%v), want %s", h2, err, h)
			}
			c, err := NB101Cost(s)
			if err != nil {
				t.Fatalf("valid spec fails NB101Cost: %v", err)
			}
			for _, cell := range c.Cells {
				for v, ch := range cell.VertexChannels {
					if ch <= 0 {
						t.Fatalf("%s vertex %d has %d channels", cell.Key, v, ch)
					}
				}
			}
		}
	})
}
