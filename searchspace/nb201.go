package searchspace

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// NB201Ops are the candidate ops of the NAS-Bench-201 cell. The op code of an
// op is its index here; it is the code NAR's cell_adjacency uses
// (AlbertiPot/nar architecture/arch_encode_201.py): none 0, skip_connect 1,
// nor_conv_1x1 2, nor_conv_3x3 3, avg_pool_3x3 4.
var NB201Ops = []string{"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"}

// NB201NumEdges is the number of edges of a NAS-Bench-201 cell (4 nodes,
// every node fed by all earlier ones).
const NB201NumEdges = 6

// NB201SpaceSize is the number of NAS-Bench-201 cells, len(NB201Ops)^6.
const NB201SpaceSize = 15625

// NB201Edges are the edges of a NAS-Bench-201 cell as (src, dst) node pairs,
// in the order of the arch string and of NB201Arch:
// (0→1), (0→2), (1→2), (0→3), (1→3), (2→3).
var NB201Edges = [NB201NumEdges][2]int{{0, 1}, {0, 2}, {1, 2}, {0, 3}, {1, 3}, {2, 3}}

// NB201Arch is a NAS-Bench-201 cell: the op code (index into NB201Ops) of
// each edge, in NB201Edges order. The zero value is the all-"none" cell.
//
// An NB201Arch carries no benchmark index: the index of a cell comes from the
// benchmark file, never from enumeration order.
type NB201Arch [NB201NumEdges]int

// ParseNB201 parses the canonical NAS-Bench-201 arch string
// "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|", where the k-th group lists the
// inputs of node k (k = 1, 2, 3) in source order. The format is strict: no
// spaces, every source listed once and in order. Errors wrap ErrSyntax or
// ErrUnknownOp and name the node, the edge and the byte position.
func ParseNB201(s string) (NB201Arch, error) {
	var a NB201Arch
	groups := strings.Split(s, "+")
	if len(groups) != 3 {
		return a, fmt.Errorf("searchspace: nb201 arch %q: got %d node groups separated by '+', want 3 (format |op~0|+|op~0|op~1|+|op~0|op~1|op~2|): %w", s, len(groups), ErrSyntax)
	}
	pos := 0 // byte offset of the current group in s
	e := 0
	for g, grp := range groups {
		node := g + 1
		if len(grp) < 2 || grp[0] != '|' || grp[len(grp)-1] != '|' {
			return a, fmt.Errorf("searchspace: nb201 arch %q: node %d (offset %d): group %q must start and end with '|': %w", s, node, pos, grp, ErrSyntax)
		}
		tokens := strings.Split(grp[1:len(grp)-1], "|")
		if len(tokens) != node {
			return a, fmt.Errorf("searchspace: nb201 arch %q: node %d (offset %d): got %d input(s), want %d: %w", s, node, pos, len(tokens), node, ErrSyntax)
		}
		tpos := pos + 1
		for src, tok := range tokens {
			name, from, ok := strings.Cut(tok, "~")
			if !ok {
				return a, fmt.Errorf("searchspace: nb201 arch %q: edge %d<-%d (offset %d): token %q lacks '~' (want op~%d): %w", s, node, src, tpos, tok, src, ErrSyntax)
			}
			if want := fmt.Sprint(src); from != want {
				return a, fmt.Errorf("searchspace: nb201 arch %q: edge %d<-%d (offset %d): got source %q, want %s (sources are listed in order 0..%d): %w", s, node, src, tpos, from, want, node-1, ErrSyntax)
			}
			code := nb201OpCode(name)
			if code < 0 {
				return a, fmt.Errorf("searchspace: nb201 arch %q: edge %d<-%d (offset %d): %w %q (valid: %s)", s, node, src, tpos, ErrUnknownOp, name, strings.Join(NB201Ops, ", "))
			}
			a[e] = code
			e++
			tpos += len(tok) + 1
		}
		pos += len(grp) + 1
	}
	return a, nil
}

func nb201OpCode(name string) int {
	for i, op := range NB201Ops {
		if op == name {
			return i
		}
	}
	return -1
}

// Validate reports whether every op code of a is in [0, len(NB201Ops)).
func (a NB201Arch) Validate() error {
	for e, c := range a {
		if c < 0 || c >= len(NB201Ops) {
			return fmt.Errorf("searchspace: nb201 edge %d<-%d: op code %d out of range [0, %d): %w", NB201Edges[e][1], NB201Edges[e][0], c, len(NB201Ops), ErrUnknownOp)
		}
	}
	return nil
}

// String formats a as the canonical arch string. An op code out of range is
// written as "op(N)", which ParseNB201 rejects.
func (a NB201Arch) String() string {
	var b strings.Builder
	for e, c := range a {
		src, dst := NB201Edges[e][0], NB201Edges[e][1]
		if src == 0 {
			if dst > 1 {
				b.WriteByte('+')
			}
			b.WriteByte('|')
		}
		if c >= 0 && c < len(NB201Ops) {
			b.WriteString(NB201Ops[c])
		} else {
			fmt.Fprintf(&b, "op(%d)", c)
		}
		fmt.Fprintf(&b, "~%d|", src)
	}
	return b.String()
}

// Adjacency returns the 4×4 op-coded adjacency matrix of NAR's
// cell_adjacency: entry [src][dst] is the op code on edge src→dst, and every
// entry that is not an edge (dst <= src) is 0.
func (a NB201Arch) Adjacency() [4][4]int {
	var m [4][4]int
	for e, c := range a {
		m[NB201Edges[e][0]][NB201Edges[e][1]] = c
	}
	return m
}

// OpCounts returns how many edges carry each op, indexed by op code (NAR's
// edges_type_counts). Out-of-range codes are not counted.
func (a NB201Arch) OpCounts() [5]int {
	var n [5]int
	for _, c := range a {
		if c >= 0 && c < len(n) {
			n[c]++
		}
	}
	return n
}

// nb201FromIndex decodes i in [0, NB201SpaceSize) as a base-5 number whose
// most significant digit is edge 0.
func nb201FromIndex(i int) NB201Arch {
	var a NB201Arch
	for e := NB201NumEdges - 1; e >= 0; e-- {
		a[e] = i % len(NB201Ops)
		i /= len(NB201Ops)
	}
	return a
}

// EnumerateNB201 returns all 15,625 NAS-Bench-201 cells in lexicographic
// order of their op codes (edge 0 most significant). This order is NOT the
// benchmark's index order: the index of a cell comes from the benchmark file.
func EnumerateNB201() []NB201Arch {
	out := make([]NB201Arch, NB201SpaceSize)
	for i := range out {
		out[i] = nb201FromIndex(i)
	}
	return out
}

// SampleNB201 draws n cells uniformly at random, with replacement, from the
// 15,625 cells: each edge's op is drawn independently and uniformly. The
// sequence is deterministic for a given rng state (use a seeded
// rand.NewPCG). There is no default for n; n <= 0 gives an empty slice.
func SampleNB201(rng *rand.Rand, n int) []NB201Arch {
	if n <= 0 {
		return []NB201Arch{}
	}
	out := make([]NB201Arch, n)
	for i := range out {
		out[i] = nb201FromIndex(rng.IntN(NB201SpaceSize))
	}
	return out
}
