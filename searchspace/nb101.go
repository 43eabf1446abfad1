package searchspace

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// NB101Ops are the interior ops of the NAS-Bench-101 cell, in the order of
// NAS-Bench-101's canonical op list (google-research/nasbench
// nasbench/lib/config.py available_ops): the hash label of an interior
// vertex is its op's index here.
var NB101Ops = []string{"conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"}

// NAS-Bench-101 input and output vertex labels and limits
// (google-research/nasbench nasbench/api.py and lib/config.py).
const (
	// NB101Input is the op of vertex 0.
	NB101Input = "input"
	// NB101Output is the op of the last vertex.
	NB101Output = "output"
	// NB101MaxVertices is the most vertices a cell may have (module_vertices).
	NB101MaxVertices = 7
	// NB101MaxEdges is the most edges a pruned cell may have (max_edges).
	NB101MaxEdges = 9
)

// NB101Spec is a NAS-Bench-101 cell: an upper-triangular 0/1 adjacency
// matrix (Matrix[src][dst] = 1 for an edge src→dst) and one op per vertex,
// "input" first and "output" last. The JSON form is that of NAS-Bench-101
// records and NAR's files.
type NB101Spec struct {
	Matrix [][]int  `json:"module_adjacency"`
	Ops    []string `json:"module_operations"`
}

// checkShape checks the rules that pruning needs: a square matrix with as
// many rows as ops, at most NB101MaxVertices vertices, 0/1 entries, and
// nothing on or below the diagonal.
func (s NB101Spec) checkShape() error {
	n := len(s.Matrix)
	if n < 2 {
		return fmt.Errorf("searchspace: nb101 spec: matrix has %d row(s), want 2 to %d: %w", n, NB101MaxVertices, ErrInvalidSpec)
	}
	if n > NB101MaxVertices {
		return fmt.Errorf("searchspace: nb101 spec: matrix has %d rows, want at most %d vertices: %w", n, NB101MaxVertices, ErrInvalidSpec)
	}
	if len(s.Ops) != n {
		return fmt.Errorf("searchspace: nb101 spec: %d ops for a %d-vertex matrix, want one op per vertex: %w", len(s.Ops), n, ErrInvalidSpec)
	}
	for i, row := range s.Matrix {
		if len(row) != n {
			return fmt.Errorf("searchspace: nb101 spec: matrix row %d has %d entries, want %d (the matrix must be square): %w", i, len(row), n, ErrInvalidSpec)
		}
		for j, v := range row {
			if v != 0 && v != 1 {
				return fmt.Errorf("searchspace: nb101 spec: matrix[%d][%d] = %d, want 0 or 1: %w", i, j, v, ErrInvalidSpec)
			}
			if v == 1 && j <= i {
				return fmt.Errorf("searchspace: nb101 spec: matrix[%d][%d] = 1 is on or below the diagonal, want an upper-triangular matrix (edges go from a lower to a higher vertex): %w", i, j, ErrInvalidSpec)
			}
		}
	}
	return nil
}

// checkOps checks that the first op is "input", the last "output" and every
// interior op is one of NB101Ops.
func (s NB101Spec) checkOps() error {
	n := len(s.Ops)
	if s.Ops[0] != NB101Input {
		return fmt.Errorf("searchspace: nb101 spec: vertex 0: op %q, want %q: %w", s.Ops[0], NB101Input, ErrInvalidSpec)
	}
	if s.Ops[n-1] != NB101Output {
		return fmt.Errorf("searchspace: nb101 spec: vertex %d (last): op %q, want %q: %w", n-1, s.Ops[n-1], NB101Output, ErrInvalidSpec)
	}
	for v := 1; v < n-1; v++ {
		if !slices.Contains(NB101Ops, s.Ops[v]) {
			return fmt.Errorf("searchspace: nb101 spec: vertex %d: %w %q (valid: %s): %w", v, ErrUnknownOp, s.Ops[v], strings.Join(NB101Ops, ", "), ErrInvalidSpec)
		}
	}
	return nil
}

// Prune removes the vertices that are not on a path from the input to the
// output, with their rows, columns and ops, exactly as NAS-Bench-101's
// ModelSpec._prune (google-research/nasbench nasbench/lib/model_spec.py): a
// vertex is kept when it is reachable forward from vertex 0 and reaches the
// last vertex backward. It fails when the matrix is malformed (see Validate)
// or when the input is not connected to the output. Ops are not checked.
// s is not modified.
func (s NB101Spec) Prune() (NB101Spec, error) {
	if err := s.checkShape(); err != nil {
		return NB101Spec{}, err
	}
	n := len(s.Matrix)
	fromIn := make([]bool, n)
	fromIn[0] = true
	for stack := []int{0}; len(stack) > 0; {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for v := top + 1; v < n; v++ {
			if s.Matrix[top][v] != 0 && !fromIn[v] {
				fromIn[v] = true
				stack = append(stack, v)
			}
		}
	}
	toOut := make([]bool, n)
	toOut[n-1] = true
	for stack := []int{n - 1}; len(stack) > 0; {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for v := 0; v < top; v++ {
			if s.Matrix[v][top] != 0 && !toOut[v] {
				toOut[v] = true
				stack = append(stack, v)
			}
		}
	}
	var keep []int
	for v := range n {
		if fromIn[v] && toOut[v] {
			keep = append(keep, v)
		}
	}
	if len(keep) < 2 {
		return NB101Spec{}, fmt.Errorf("searchspace: nb101 spec: no path from the input (vertex 0) to the output (vertex %d): %w", n-1, ErrInvalidSpec)
	}
	out := NB101Spec{Matrix: make([][]int, len(keep)), Ops: make([]string, len(keep))}
	for i, vi := range keep {
		out.Ops[i] = s.Ops[vi]
		out.Matrix[i] = make([]int, len(keep))
		for j, vj := range keep {
			out.Matrix[i][j] = s.Matrix[vi][vj]
		}
	}
	return out, nil
}

// NumEdges returns the number of nonzero entries of the matrix.
func (s NB101Spec) NumEdges() int {
	e := 0
	for _, row := range s.Matrix {
		for _, v := range row {
			if v != 0 {
				e++
			}
		}
	}
	return e
}

// Validate checks s against the NAS-Bench-101 rules: a square 0/1 matrix of
// at most 7 vertices with one op per vertex, upper-triangular (no self
// loops), ops[0] "input", the last op "output", interior ops among NB101Ops,
// a path from the input to the output, and at most 9 edges. As in
// NAS-Bench-101 (api.py _check_spec, which runs on the pruned spec), the edge
// limit applies after pruning. Errors wrap ErrInvalidSpec and name the row,
// column or vertex and the rule broken.
func (s NB101Spec) Validate() error {
	_, err := s.validPruned()
	return err
}

// validPruned validates s and returns its pruned form.
func (s NB101Spec) validPruned() (NB101Spec, error) {
	if err := s.checkShape(); err != nil {
		return NB101Spec{}, err
	}
	if err := s.checkOps(); err != nil {
		return NB101Spec{}, err
	}
	p, err := s.Prune()
	if err != nil {
		return NB101Spec{}, err
	}
	if e := p.NumEdges(); e > NB101MaxEdges {
		return NB101Spec{}, fmt.Errorf("searchspace: nb101 spec: %d edges after pruning, want at most %d: %w", e, NB101MaxEdges, ErrInvalidSpec)
	}
	return p, nil
}

// Hash returns the official NAS-Bench-101 unique_hash of s: the
// graph_util.hash_module fingerprint (google-research/nasbench
// nasbench/lib/graph_util.py) of the pruned spec, with labels -1 for the
// input, the NB101Ops index for interior vertices and -2 for the output.
// Isomorphic specs hash the same. s must be valid.
func (s NB101Spec) Hash() (string, error) {
	p, err := s.validPruned()
	if err != nil {
		return "", err
	}
	n := len(p.Matrix)
	labels := make([]int, n)
	labels[0], labels[n-1] = -1, -2
	for v := 1; v < n-1; v++ {
		labels[v] = slices.Index(NB101Ops, p.Ops[v])
	}
	hashes := make([]string, n)
	for v := range n {
		in, out := 0, 0
		for w := range n {
			in += p.Matrix[w][v]
			out += p.Matrix[v][w]
		}
		// Python's str() of the tuple (out_degree, in_degree, label).
		hashes[v] = md5Hex(fmt.Sprintf("(%d, %d, %d)", out, in, labels[v]))
	}
	next := make([]string, n)
	var ins, outs []string
	for range n {
		for v := range n {
			ins, outs = ins[:0], outs[:0]
			for w := range n {
				if p.Matrix[w][v] != 0 {
					ins = append(ins, hashes[w])
				}
				if p.Matrix[v][w] != 0 {
					outs = append(outs, hashes[w])
				}
			}
			slices.Sort(ins)
			slices.Sort(outs)
			next[v] = md5Hex(strings.Join(ins, "") + "|" + strings.Join(outs, "") + "|" + hashes[v])
		}
		hashes, next = next, hashes
	}
	sorted := slices.Clone(hashes)
	slices.Sort(sorted)
	// Python's str() of a list of str: ['a', 'b'].
	return md5Hex("['" + strings.Join(sorted, "', '") + "']"), nil
}

func md5Hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// SampleNB101 draws n valid NAS-Bench-101 cells with NAS-Bench-101's random
// spec procedure (google-research/nasbench, the random search example):
// every entry above the diagonal of a 7×7 matrix is 0 or 1 with equal
// probability, each of the 5 interior ops is drawn uniformly from NB101Ops,
// and a draw is rejected unless Validate accepts it. The returned specs are
// pruned. The distribution is uniform over such draws, not over distinct
// cells; duplicates can occur. The sequence is deterministic for a given rng
// state. n <= 0 gives an empty slice.
func SampleNB101(rng *rand.Rand, n int) []NB101Spec {
	out := make([]NB101Spec, 0, max(n, 0))
	for len(out) < n {
		s := NB101Spec{Matrix: make([][]int, NB101MaxVertices), Ops: make([]string, NB101MaxVertices)}
		for i := range s.Matrix {
			s.Matrix[i] = make([]int, NB101MaxVertices)
			for j := i + 1; j < NB101MaxVertices; j++ {
				s.Matrix[i][j] = rng.IntN(2)
			}
		}
		s.Ops[0], s.Ops[NB101MaxVertices-1] = NB101Input, NB101Output
		for v := 1; v < NB101MaxVertices-1; v++ {
			s.Ops[v] = NB101Ops[rng.IntN(len(NB101Ops))]
		}
		if p, err := s.validPruned(); err == nil {
			out = append(out, p)
		}
	}
	return out
}
