package searchspace

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// arch0 is NAS-Bench-201 index 0, as given in ../shared/data/README.md and
// NAR's nar_example_arch0.json.
const arch0 = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"

func TestParseNB201Arch0(t *testing.T) {
	got, err := ParseNB201(arch0)
	if err != nil {
		t.Fatal(err)
	}
	want := NB201Arch{4, 2, 1, 2, 1, 1}
	if got != want {
		t.Fatalf("ParseNB201(%q) = %v, want %v", arch0, got, want)
	}
	// NAR's example record's cell_adjacency for architecture 0
	// (../shared/data/nasbench201/nar_example_arch0.json).
	wantAdj := [4][4]int{{0, 4, 2, 2}, {0, 0, 1, 1}, {0, 0, 0, 1}, {0, 0, 0, 0}}
	if adj := got.Adjacency(); adj != wantAdj {
		t.Errorf("Adjacency() = %v, want %v", adj, wantAdj)
	}
	// none 0, skip 3, conv1x1 2, conv3x3 0, pool 1 (counted by hand from arch0).
	if c := got.OpCounts(); c != [5]int{0, 3, 2, 0, 1} {
		t.Errorf("OpCounts() = %v, want [0 3 2 0 1]", c)
	}
}

func TestNB201RoundTripAll(t *testing.T) {
	all := EnumerateNB201()
	if len(all) != 15625 {
		t.Fatalf("len(EnumerateNB201()) = %d, want 15625 (5^6)", len(all))
	}
	seen := make(map[NB201Arch]bool, len(all))
	for _, a := range all {
		if seen[a] {
			t.Fatalf("EnumerateNB201 repeats %v", a)
		}
		seen[a] = true
		s := a.String()
		got, err := ParseNB201(s)
		if err != nil {
			t.Fatalf("ParseNB201(%q): %v", s, err)
		}
		if got != a {
			t.Fatalf("ParseNB201(%q) = %v, want %v", s, got, a)
		}
		if err := a.Validate(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestParseNB201Errors(t *testing.T) {
	tests := []struct {
		name, in string
		sentinel error
		msg      []string
	}{
		{"empty", "", ErrSyntax, []string{"got 1 node groups"}},
		{"two groups", "|none~0|+|none~0|none~1|", ErrSyntax, []string{"want 3"}},
		{"unknown op", "|none~0|+|none~0|conv~1|+|none~0|none~1|none~2|", ErrUnknownOp, []string{"edge 2<-1", "offset 17", `"conv"`, "valid: none, skip_connect"}},
		{"missing tilde", "|none~0|+|none0|none~1|+|none~0|none~1|none~2|", ErrSyntax, []string{"edge 2<-0", "lacks '~'"}},
		{"wrong source", "|none~0|+|none~1|none~0|+|none~0|none~1|none~2|", ErrSyntax, []string{"edge 2<-0", `got source "1"`}},
		{"too few inputs", "|none~0|+|none~0|+|none~0|none~1|none~2|", ErrSyntax, []string{"node 2", "got 1 input(s), want 2"}},
		{"no bars", "none~0+|none~0|none~1|+|none~0|none~1|none~2|", ErrSyntax, []string{"node 1", "must start and end with '|'"}},
		{"space", "|none~0| +|none~0|none~1|+|none~0|none~1|none~2|", ErrSyntax, []string{"node 1"}},
		{"trailing", arch0 + "+", ErrSyntax, []string{"got 4 node groups"}},
		{"padded source", "|none~00|+|none~0|none~1|+|none~0|none~1|none~2|", ErrSyntax, []string{"edge 1<-0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseNB201(tt.in)
			if err == nil {
				t.Fatalf("ParseNB201(%q) = nil error, want %v", tt.in, tt.sentinel)
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("ParseNB201(%q) error %v does not wrap %v", tt.in, err, tt.sentinel)
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("ParseNB201(%q) error %q does not mention %q", tt.in, err, m)
				}
			}
		})
	}
}

func TestNB201ValidateOutOfRange(t *testing.T) {
	a := NB201Arch{0, 0, 5, 0, 0, 0}
	if err := a.Validate(); !errors.Is(err, ErrUnknownOp) || !strings.Contains(err.Error(), "edge 2<-1") {
		t.Errorf("Validate(%v) = %v, want ErrUnknownOp naming edge 2<-1", a, err)
	}
	if _, err := ParseNB201(a.String()); err == nil {
		t.Errorf("ParseNB201(%q) accepted an out-of-range op", a.String())
	}
}

func TestSampleNB201(t *testing.T) {
	s1 := SampleNB201(rand.New(rand.NewPCG(1, 2)), 1000)
	s2 := SampleNB201(rand.New(rand.NewPCG(1, 2)), 1000)
	if len(s1) != 1000 {
		t.Fatalf("len = %d, want 1000", len(s1))
	}
	var counts [6][5]int
	for i := range s1 {
		if s1[i] != s2[i] {
			t.Fatalf("sample %d differs between equal seeds: %v vs %v", i, s1[i], s2[i])
		}
		for e, c := range s1[i] {
			counts[e][c]++
		}
	}
	// Uniform per edge: each of 30 cells of counts has mean 200 and
	// sd sqrt(1000·0.2·0.8) ≈ 12.6; 6 sd (±76) is a bound a correct
	// sampler practically never crosses, and a sampler stuck on one op does.
	for e := range counts {
		for c, n := range counts[e] {
			if n < 200-76 || n > 200+76 {
				t.Errorf("edge %d op %d drawn %d times in 1000, want 200 ± 76", e, c, n)
			}
		}
	}
	if got := SampleNB201(rand.New(rand.NewPCG(1, 2)), 0); len(got) != 0 {
		t.Errorf("SampleNB201(n=0) has %d elements", len(got))
	}
}

func FuzzParseNB201(f *testing.F) {
	f.Add(arch0)
	f.Add("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
	f.Add("|~0|+||+|")
	f.Add("+++")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseNB201(s)
		if err != nil {
			return
		}
		if a.String() != s {
			t.Fatalf("ParseNB201(%q) = %v, which formats as %q", s, a, a.String())
		}
		if err := a.Validate(); err != nil {
			t.Fatal(err)
		}
	})
}
