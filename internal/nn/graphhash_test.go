package nn

import (
	"errors"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// collidingNames name two float64 input nodes of shape (2) whose gorgonia hashes are equal (0x0f682091), found by
// hashing the names "x0", "x1", ... until two collided (the first pair came at x1429192).
var collidingNames = [2]string{"x1232789", "x1429192"}

// diffGraph builds out = a − b on two (2)-vectors named names, with a = (1, 2) and b = (10, 20), and a Read of out.
func diffGraph(names [2]string) (*G.ExprGraph, *G.Value) {
	g := G.NewGraph()
	a := G.NewTensor(g, tensor.Float64, 1, G.WithShape(2), G.WithName(names[0]),
		G.WithValue(tensor.New(tensor.WithBacking([]float64{1, 2}))))
	b := G.NewTensor(g, tensor.Float64, 1, G.WithShape(2), G.WithName(names[1]),
		G.WithValue(tensor.New(tensor.WithBacking([]float64{10, 20}))))
	out := new(G.Value)
	G.Read(G.Must(G.Sub(a, b)), out)
	return g, out
}

// TestCheckHashesDetectsCollision builds a graph with two distinct inputs whose hashes collide, shows that
// gorgonia's compiler merges them (a − b comes out 0), and checks that CheckHashes reports the pair while a graph
// with other names passes.
func TestCheckHashesDetectsCollision(t *testing.T) {
	g, out := diffGraph(collidingNames)
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	if got := (*out).Data().([]float64); got[0] != 0 || got[1] != 0 {
		t.Fatalf("a − b = %v: the colliding inputs were not merged, so this test no longer shows the hazard", got)
	}

	err := CheckHashes(g)
	var hc *HashCollisionError
	if !errors.As(err, &hc) {
		t.Fatalf("CheckHashes = %v, want a *HashCollisionError", err)
	}
	if hc.A != collidingNames[0] || hc.B != collidingNames[1] || hc.Hash != 0x0f682091 {
		t.Errorf("CheckHashes = %+v, want nodes %v with hash 0x0f682091", *hc, collidingNames)
	}

	g2, _ := diffGraph([2]string{"a", "b"})
	if err := CheckHashes(g2); err != nil {
		t.Errorf("CheckHashes of a graph without collision = %v, want nil", err)
	}
}

// TestFirstCollisionFakeHash injects a hash function: only a repeated hash of distinct nodes is a collision.
func TestFirstCollisionFakeHash(t *testing.T) {
	g := G.NewGraph()
	var ns G.Nodes
	for _, name := range []string{"p", "q", "r"} {
		ns = append(ns, G.NewScalar(g, tensor.Float64, G.WithName(name)))
	}
	fake := map[string]uint32{"p": 1, "q": 2, "r": 1}
	hash := func(n *G.Node) uint32 { return fake[n.Name()] }
	var hc *HashCollisionError
	if err := firstCollision(ns, hash); !errors.As(err, &hc) || hc.A != "p" || hc.B != "r" || hc.Hash != 1 {
		t.Errorf("firstCollision(p:1 q:2 r:1) = %v, want p and r with hash 0x1", err)
	}
	if err := firstCollision(G.Nodes{ns[0], ns[1], ns[0]}, hash); err != nil {
		t.Errorf("firstCollision with a node listed twice = %v, want nil (same node, no collision)", err)
	}
}

// TestBuildDistinct checks that BuildDistinct rebuilds under the salted name until the hashes are distinct,
// discards the rejected build, and that the kept graph computes a − b correctly.
func TestBuildDistinct(t *testing.T) {
	type built struct {
		g   *G.ExprGraph
		out *G.Value
	}
	var discarded []int
	salts := 0
	res, err := BuildDistinct(4, func(salt int) (built, *G.ExprGraph, error) {
		salts++
		g, out := diffGraph([2]string{collidingNames[0], SaltName(collidingNames[1], salt)})
		return built{g, out}, g, nil
	}, func(b built) { discarded = append(discarded, salts) })
	if err != nil {
		t.Fatal(err)
	}
	if salts != 2 || len(discarded) != 1 {
		t.Fatalf("%d builds, %d discarded; want 2 builds (salt 0 collides, salt 1 does not) and 1 discarded", salts, len(discarded))
	}
	vm := G.NewTapeMachine(res.g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	if got := (*res.out).Data().([]float64); got[0] != -9 || got[1] != -18 {
		t.Errorf("a − b = %v, want [-9 -18]", got)
	}

	// A collision that the salt does not touch: every try fails and the error says so.
	_, err = BuildDistinct(3, func(int) (struct{}, *G.ExprGraph, error) {
		g, _ := diffGraph(collidingNames)
		return struct{}{}, g, nil
	}, nil)
	var hc *HashCollisionError
	if !errors.As(err, &hc) {
		t.Errorf("BuildDistinct with an unsalted collision = %v, want a wrapped *HashCollisionError", err)
	}
	if _, err := BuildDistinct(0, func(int) (struct{}, *G.ExprGraph, error) { return struct{}{}, nil, nil }, nil); err == nil {
		t.Error("BuildDistinct(0 tries) = nil error, want an error")
	}
}

func TestSaltName(t *testing.T) {
	for _, tt := range []struct {
		salt int
		want string
	}{{0, "input"}, {3, "input.3"}} {
		if got := SaltName("input", tt.salt); got != tt.want {
			t.Errorf("SaltName(%q, %d) = %q, want %q", "input", tt.salt, got, tt.want)
		}
	}
}
