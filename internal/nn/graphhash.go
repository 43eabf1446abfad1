package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// HashCollisionError reports two distinct nodes of a graph with the same
// gorgonia hash.
//
// gorgonia's compiler numbers values by their 32-bit hash alone (value
// numbering in gorgonia v0.9.18 analysis.go: df.uniques[n.Hashcode()], with
// no equality check), so it silently merges two distinct nodes whose hashes
// collide: wrong values, or a shape panic at run time. A graph of n nodes
// has such a pair with a probability of about n²/2³³ (≈1% for a search
// supernet's 10⁴ nodes).
type HashCollisionError struct {
	// A and B are the two nodes' names (gorgonia's String for unnamed nodes).
	A, B string
	// Hash is their shared hash.
	Hash uint32
}

// Error names the two nodes and the hash.
func (e *HashCollisionError) Error() string {
	return fmt.Sprintf("nn: graph nodes %q and %q share the gorgonia hash %#x (gorgonia would merge them)", e.A, e.B, e.Hash)
}

// CheckHashes returns a *HashCollisionError when two distinct nodes of g
// share a hash, and nil otherwise. Call it after the last node (gradients
// and Read nodes included) is added and before the graph is compiled
// (G.NewTapeMachine): the compiler merges colliding nodes without a word.
func CheckHashes(g *G.ExprGraph) error {
	return firstCollision(g.AllNodes(), (*G.Node).Hashcode)
}

// firstCollision returns the first pair of distinct nodes with equal hash(n).
func firstCollision(nodes G.Nodes, hash func(*G.Node) uint32) error {
	seen := make(map[uint32]*G.Node, len(nodes))
	for _, n := range nodes {
		h := hash(n)
		if o, ok := seen[h]; ok && o != n {
			return &HashCollisionError{A: o.Name(), B: n.Name(), Hash: h}
		}
		seen[h] = n
	}
	return nil
}

// SaltName returns name for salt 0 and "name.salt" otherwise: the name of an
// input node that BuildDistinct's build function varies. An input node's
// name enters its hash and, through it, the hash of every node computed from
// it, so a new name gives every downstream node a new hash.
func SaltName(name string, salt int) string {
	if salt == 0 {
		return name
	}
	return fmt.Sprintf("%s.%d", name, salt)
}

// BuildDistinct calls build(salt) for salt = 0, 1, ..., tries−1 until the
// graph it returns passes CheckHashes, and returns that result. A rejected
// result is handed to discard (if not nil). The build function should name
// its data input SaltName(name, salt) and leave compiling (G.NewTapeMachine)
// to the caller, after BuildDistinct returns. After tries collisions the
// error wraps the last *HashCollisionError; that happens only when the
// colliding nodes do not depend on the salted input (two parameters, for
// instance), and the fix is to rename one of them.
func BuildDistinct[T any](tries int, build func(salt int) (T, *G.ExprGraph, error), discard func(T)) (T, error) {
	var zero T
	if tries < 1 {
		return zero, fmt.Errorf("nn: BuildDistinct: tries %d, want >= 1", tries)
	}
	var last error
	for salt := range tries {
		v, g, err := build(salt)
		if err != nil {
			return zero, err
		}
		if last = CheckHashes(g); last == nil {
			return v, nil
		}
		if discard != nil {
			discard(v)
		}
	}
	return zero, fmt.Errorf("nn: %d graph builds with differently named inputs: %w", tries, last)
}
