package searchspace

import (
	"fmt"
	"strings"
	"testing"
)

// dartsV2Text is the text form of DARTS_V2, written by hand from
// genotypes.py: node i reads states (input) through op; states 0 and 1 are
// c_{k-2} and c_{k-1}, state 2+i is node i.
const dartsV2Text = `DARTS_V2

normal cell
  node  input    op
  0     c_{k-2}  sep_conv_3x3
  0     c_{k-1}  sep_conv_3x3
  1     c_{k-2}  sep_conv_3x3
  1     c_{k-1}  sep_conv_3x3
  2     c_{k-1}  sep_conv_3x3
  2     c_{k-2}  skip_connect
  3     c_{k-2}  skip_connect
  3     node 0   dil_conv_3x3
  output c_{k} = concat(node 0, node 1, node 2, node 3)

reduce cell
  node  input    op
  0     c_{k-2}  max_pool_3x3
  0     c_{k-1}  max_pool_3x3
  1     node 0   skip_connect
  1     c_{k-1}  max_pool_3x3
  2     c_{k-2}  max_pool_3x3
  2     node 0   skip_connect
  3     node 0   skip_connect
  3     c_{k-1}  max_pool_3x3
  output c_{k} = concat(node 0, node 1, node 2, node 3)
`

func TestGenotypeText(t *testing.T) {
	got, err := FormatGenotype(mustBuiltin(t, "DARTS_V2"), "text", "DARTS_V2")
	if err != nil {
		t.Fatal(err)
	}
	if got != dartsV2Text {
		t.Errorf("text of DARTS_V2 =\n%s\nwant\n%s", got, dartsV2Text)
	}
}

func TestGenotypeDOT(t *testing.T) {
	g := mustBuiltin(t, "DARTS_V2")
	dot, err := FormatGenotype(g, "dot", "DARTS_V2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(dot, "digraph \"DARTS_V2\" {\n  rankdir=LR;\n") || !strings.HasSuffix(dot, "  }\n}\n") {
		t.Errorf("dot header/footer wrong:\n%s", dot)
	}
	// Balanced braces, two clusters.
	if o, c := strings.Count(dot, "{"), strings.Count(dot, "}"); o-strings.Count(dot, "_{") != c-strings.Count(dot, "_{") {
		t.Errorf("dot braces unbalanced: %d open, %d close", o, c)
	}
	for _, cell := range []struct {
		name   string
		edges  []GenotypeEdge
		concat []int
	}{{"normal", g.Normal, g.NormalConcat}, {"reduce", g.Reduce, g.ReduceConcat}} {
		if !strings.Contains(dot, fmt.Sprintf("  subgraph \"cluster_%s\" {\n    label=\"%s cell\";\n", cell.name, cell.name)) {
			t.Errorf("dot has no cluster for the %s cell", cell.name)
		}
		// One labelled edge per genotype edge, as visualize.py draws them.
		for i, e := range cell.edges {
			line := fmt.Sprintf("    \"%s_%s\" -> \"%s_%d\" [label=\"%s\", fillcolor=gray];\n", cell.name, stateLabel(e.Input), cell.name, i/2, e.Op)
			if !strings.Contains(dot, line) {
				t.Errorf("dot misses %q", line)
			}
		}
		for _, c := range cell.concat {
			line := fmt.Sprintf("    \"%s_%d\" -> \"%s_c_{k}\" [fillcolor=gray];\n", cell.name, c-2, cell.name)
			if !strings.Contains(dot, line) {
				t.Errorf("dot misses %q", line)
			}
		}
	}
	if n := strings.Count(dot, " -> "); n != 2*(8+4) {
		t.Errorf("dot has %d edges, want 24 (8 op edges + 4 output edges per cell)", n)
	}
	if got := dotQuote(`a"b\c`); got != `"a\"b\\c"` {
		t.Errorf("dotQuote = %s", got)
	}
}

func TestFormatGenotypeUnknown(t *testing.T) {
	_, err := FormatGenotype(mustBuiltin(t, "DARTS"), "yaml", "")
	if err == nil || err.Error() != `unknown genotype format "yaml" (valid: text, json, python, dot)` {
		t.Errorf("FormatGenotype(yaml) error = %v", err)
	}
	for _, f := range GenotypeFormats {
		out, err := FormatGenotype(mustBuiltin(t, "DARTS"), f, "")
		if err != nil || !strings.HasSuffix(out, "\n") {
			t.Errorf("FormatGenotype(%s) = %q, %v; want output ending in a newline", f, out, err)
		}
	}
}

func ExampleDerive() {
	// α for a 14-edge, 8-op DARTS cell in which every edge prefers
	// sep_conv_3x3, edges from c_{k-1} most of all, and none is largest.
	alpha := make([][]float64, DARTSNumEdges)
	for r, e := range DARTSEdges() {
		alpha[r] = []float64{9, 0, 0, 0, 1, 0, 0, 0}
		if e[0] == 1 {
			alpha[r][4] = 2
		}
	}
	g, err := Derive(alpha, alpha)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(g.Normal[:4])
	fmt.Println(g.Validate())
	// Output:
	// [{sep_conv_3x3 1} {sep_conv_3x3 0} {sep_conv_3x3 1} {sep_conv_3x3 0}]
	// <nil>
}

func ExampleParseGenotypePython() {
	g, err := ParseGenotypePython([]byte(`
DARTS_V2 = Genotype(
    normal=[("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
            ("sep_conv_3x3", 1), ("skip_connect", 0), ("skip_connect", 0), ("dil_conv_3x3", 2)],
    normal_concat=range(2, 6),
    reduce=[("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
            ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1)],
    reduce_concat=range(2, 6),
)`), "DARTS_V2")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(g.Validate())
	fmt.Println(g.NormalConcat, g.Reduce[7])
	// Output:
	// <nil>
	// [2 3 4 5] {max_pool_3x3 1}
}
