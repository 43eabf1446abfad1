package searchspace

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// opIndex returns the column of op in DARTSPrimitives.
func opIndex(t testing.TB, op string) int {
	t.Helper()
	i := slices.Index(DARTSPrimitives, op)
	if i < 0 {
		t.Fatalf("op %q not in DARTSPrimitives", op)
	}
	return i
}

// alphaFor builds a 14×8 α table in which each kept edge of g (edge
// (input, node)) has its op at strength, strongest first within a node,
// and every other entry is 0.
func alphaFor(t testing.TB, edges []GenotypeEdge) [][]float64 {
	t.Helper()
	a := zeros()
	rowOf := map[[2]int]int{}
	for r, e := range DARTSEdges() {
		rowOf[e] = r
	}
	for i, e := range edges {
		node := i / 2
		strength := 5.0 - float64(i%2) // the first edge of a node is the stronger one
		a[rowOf[[2]int{e.Input, 2 + node}]][opIndex(t, e.Op)] = strength
	}
	return a
}

func zeros() [][]float64 {
	a := make([][]float64, DARTSNumEdges)
	for i := range a {
		a[i] = make([]float64, len(DARTSPrimitives))
	}
	return a
}

func TestDeriveRecoversGenotype(t *testing.T) {
	// A hand-made α that puts DARTS_V2's ops on its edges gives DARTS_V2 back,
	// edge order included (the stronger edge of each node first).
	for _, name := range []string{"DARTS_V1", "DARTS_V2"} {
		want := mustBuiltin(t, name)
		// V1's normal node 1 lists (skip, 0) before (sep3, 1); alphaFor makes
		// the listed-first edge the stronger, as Derive would have listed it.
		got, err := Derive(alphaFor(t, want.Normal), alphaFor(t, want.Reduce))
		if err != nil {
			t.Fatalf("Derive(α of %s) error: %v", name, err)
		}
		if !got.Equal(want) {
			t.Errorf("Derive(α of %s) =\n %v\nwant\n %v", name, got, want)
		}
	}
}

func TestDeriveNeverPicksNone(t *testing.T) {
	// none has by far the largest α everywhere; it must be ignored both for
	// ranking edges and for picking ops.
	an, ar := zeros(), zeros()
	for r := range an {
		an[r][0], ar[r][0] = 100, 100
	}
	// Node 0 (rows 0, 1): only row 1 has a non-none op above the others.
	an[1][opIndex(t, "dil_conv_5x5")] = 1
	// Row 4 is edge 2->3 (node 1): make it the strongest of node 1.
	an[4][opIndex(t, "avg_pool_3x3")] = 2
	g, err := Derive(an, ar)
	if err != nil {
		t.Fatal(err)
	}
	for _, cell := range [][]GenotypeEdge{g.Normal, g.Reduce} {
		for i, e := range cell {
			if e.Op == "none" {
				t.Errorf("edge %d = %v: Derive picked none", i, e)
			}
		}
	}
	if got, want := g.Normal[0], (GenotypeEdge{"dil_conv_5x5", 1}); got != want {
		t.Errorf("normal[0] = %v, want %v (the only non-none preference of node 0)", got, want)
	}
	if got, want := g.Normal[2], (GenotypeEdge{"avg_pool_3x3", 2}); got != want {
		t.Errorf("normal[2] = %v, want %v", got, want)
	}
	if err := g.Validate(); err != nil {
		t.Errorf("Derive result does not validate: %v", err)
	}
}

func TestDeriveTies(t *testing.T) {
	// All α equal: every edge and every op ties. The reference keeps the
	// lowest input states (stable sort) and the first non-none op,
	// max_pool_3x3 (DARTSPrimitives[1]).
	g, err := Derive(zeros(), zeros())
	if err != nil {
		t.Fatal(err)
	}
	want := []GenotypeEdge{{"max_pool_3x3", 0}, {"max_pool_3x3", 1}, {"max_pool_3x3", 0}, {"max_pool_3x3", 1},
		{"max_pool_3x3", 0}, {"max_pool_3x3", 1}, {"max_pool_3x3", 0}, {"max_pool_3x3", 1}}
	if !slices.Equal(g.Normal, want) || !slices.Equal(g.Reduce, want) {
		t.Errorf("Derive(0, 0) = %v, want normal = reduce = %v", g, want)
	}
	// Ties between two ops of one edge: the lower index wins; between edges
	// of one node with equal strength: the lower input wins, whatever the
	// row order of the ties.
	an := zeros()
	// Node 3 (rows 9..13, inputs 0..4): rows 13 and 11 are the same row
	// (sep_conv_5x5 and dil_conv_5x5 at 3, the rest 0), so inputs 4 and 2 tie
	// exactly at the top (softmax max e³/(2e³+6) ≈ 0.435) and within each the
	// two ops tie; input 3 is weaker (e/(e+7) ≈ 0.280). (Rows holding the
	// same values in other columns need not tie exactly: the softmax sums in
	// column order, and so does the reference.)
	for _, r := range []int{11, 13} {
		an[r][opIndex(t, "sep_conv_5x5")] = 3
		an[r][opIndex(t, "dil_conv_5x5")] = 3
	}
	an[12][opIndex(t, "skip_connect")] = 1
	g, err = Derive(an, zeros())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := g.Normal[6:8], []GenotypeEdge{{"sep_conv_5x5", 2}, {"sep_conv_5x5", 4}}; !slices.Equal(got, want) {
		t.Errorf("node 3 = %v, want %v", got, want)
	}
}

func TestDeriveShapeErrors(t *testing.T) {
	short := zeros()[:13]
	narrow := zeros()
	narrow[5] = narrow[5][:7]
	nan := zeros()
	nan[3][2] = math.NaN()
	inf := zeros()
	inf[13][7] = math.Inf(1)
	tests := []struct {
		name   string
		an, ar [][]float64
		want   string
	}{
		{"rows", short, zeros(), "searchspace: alpha_normal: got 13 rows, want 14 (one per DARTS edge, order of DARTSEdges)"},
		{"nil", zeros(), nil, "searchspace: alpha_reduce: got 0 rows, want 14 (one per DARTS edge, order of DARTSEdges)"},
		{"width", zeros(), narrow, "searchspace: alpha_reduce: row 5 (edge 0->4): got 7 columns, want 8 (one per op of DARTSPrimitives)"},
		{"nan", nan, zeros(), "searchspace: alpha_normal[3][2] (edge 1->3, op avg_pool_3x3): got NaN, want a finite number"},
		{"inf", zeros(), inf, "searchspace: alpha_reduce[13][7] (edge 4->5, op dil_conv_5x5): got +Inf, want a finite number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Derive(tt.an, tt.ar)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Derive error = %v, want %s", err, tt.want)
			}
		})
	}
}

// TestDeriveReference compares Derive with a numpy/torch port of quark0's
// Network.genotype() on random and tied α tables (testdata/gen_derive.py).
func TestDeriveReference(t *testing.T) {
	src, err := os.ReadFile("testdata/derive_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Source string
		Cases  []struct {
			Name        string
			AlphaNormal [][]float64 `json:"alpha_normal"`
			AlphaReduce [][]float64 `json:"alpha_reduce"`
			Genotype    Genotype
		}
	}
	if err := json.Unmarshal(src, &ref); err != nil {
		t.Fatalf("testdata/derive_ref.json: %v", err)
	}
	if len(ref.Cases) < 9 {
		t.Fatalf("testdata/derive_ref.json has %d cases, want 9 (re-run gen_derive.py)", len(ref.Cases))
	}
	for _, c := range ref.Cases {
		got, err := Derive(c.AlphaNormal, c.AlphaReduce)
		if err != nil {
			t.Errorf("%s: Derive error: %v", c.Name, err)
			continue
		}
		if !got.Equal(c.Genotype) {
			t.Errorf("%s: Derive =\n %v\nwant (reference)\n %v", c.Name, got, c.Genotype)
		}
	}
}

// TestDeriveProperties checks, over random α, what the rule guarantees:
// the result validates, never holds none, keeps 2 distinct inputs per node
// listed strongest first, picks the best non-none op of each kept edge, and
// no dropped edge of a node is stronger than a kept one.
func TestDeriveProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	edges := DARTSEdges()
	for trial := 0; trial < 500; trial++ {
		scale := []float64{1e-3, 1, 10}[trial%3]
		an, ar := zeros(), zeros()
		for r := range an {
			for c := range an[r] {
				an[r][c] = scale * rng.NormFloat64()
				ar[r][c] = scale * rng.NormFloat64()
			}
		}
		g, err := Derive(an, ar)
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Validate(); err != nil {
			t.Fatalf("trial %d: Derive result invalid: %v", trial, err)
		}
		for _, cell := range []struct {
			alpha [][]float64
			gene  []GenotypeEdge
		}{{an, g.Normal}, {ar, g.Reduce}} {
			strength := map[[2]int]float64{}
			bestOp := map[[2]int]string{}
			for r, e := range edges {
				w := dartsSoftmax(cell.alpha[r])
				var sum float64
				for _, v := range w {
					sum += v
				}
				if math.Abs(sum-1) > 1e-12 { // float64 rounding of 8 terms
					t.Fatalf("softmax row %d sums to %v, want 1", r, sum)
				}
				k := 1 + slices.Index(w[1:], slices.Max(w[1:]))
				strength[e], bestOp[e] = w[k], DARTSPrimitives[k]
			}
			for node := 0; node < DARTSNodes; node++ {
				a, b := cell.gene[2*node], cell.gene[2*node+1]
				ea, eb := [2]int{a.Input, 2 + node}, [2]int{b.Input, 2 + node}
				if a.Input == b.Input {
					t.Fatalf("trial %d node %d: both edges from input %d", trial, node, a.Input)
				}
				if strength[ea] < strength[eb] {
					t.Errorf("trial %d node %d: edges not strongest first", trial, node)
				}
				if a.Op != bestOp[ea] || b.Op != bestOp[eb] {
					t.Errorf("trial %d node %d: ops %s,%s, want %s,%s", trial, node, a.Op, b.Op, bestOp[ea], bestOp[eb])
				}
				for j := 0; j < 2+node; j++ {
					if j != a.Input && j != b.Input && strength[[2]int{j, 2 + node}] > strength[eb] {
						t.Errorf("trial %d node %d: dropped input %d is stronger than kept input %d", trial, node, j, b.Input)
					}
				}
			}
		}
	}
}

func TestDeriveDoesNotModifyInput(t *testing.T) {
	an := alphaFor(t, mustBuiltin(t, "DARTS_V2").Normal)
	before := fmtTable(an)
	if _, err := Derive(an, zeros()); err != nil {
		t.Fatal(err)
	}
	if after := fmtTable(an); after != before {
		t.Errorf("Derive modified alpha_normal")
	}
}

func fmtTable(a [][]float64) string {
	b, _ := json.Marshal(a)
	return string(b)
}
