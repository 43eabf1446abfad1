package searchspace

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
)

// GenotypeFormats are the output formats of FormatGenotype.
var GenotypeFormats = []string{"text", "json", "python", "dot"}

// FormatGenotype renders g in one of GenotypeFormats: "json" (Genotype.JSON),
// "python" (Genotype.Python, prefixed with "name = " when name is not empty),
// "text" (Genotype.Text) or "dot" (Genotype.DOT). The result ends with a
// newline. An unknown format is an error.
func FormatGenotype(g Genotype, format, name string) (string, error) {
	switch format {
	case "json":
		return string(g.JSON()), nil
	case "python":
		if name != "" {
			return name + " = " + g.Python() + "\n", nil
		}
		return g.Python() + "\n", nil
	case "text":
		return g.Text(name), nil
	case "dot":
		return g.DOT(name), nil
	}
	return "", fmt.Errorf("unknown genotype format %q (valid: %s)", format, strings.Join(GenotypeFormats, ", "))
}

// stateLabel names state j as DARTS' visualize.py draws it: c_{k-2} and
// c_{k-1} for the cell inputs, the node number i for state 2+i.
func stateLabel(j int) string {
	switch j {
	case 0:
		return "c_{k-2}"
	case 1:
		return "c_{k-1}"
	}
	return strconv.Itoa(j - 2)
}

// Text renders g as one readable table per cell: for each kept edge the
// node it feeds, the state it reads (c_{k-2}, c_{k-1} or "node i") and its
// op, then the states concatenated into the cell output. name, when not
// empty, is printed as a title line.
func (g Genotype) Text(name string) string {
	var b strings.Builder
	if name != "" {
		fmt.Fprintf(&b, "%s\n\n", name)
	}
	cell := func(title string, edges []GenotypeEdge, concat []int) {
		fmt.Fprintf(&b, "%s cell\n", title)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  node\tinput\top")
		for i, e := range edges {
			in := stateLabel(e.Input)
			if e.Input >= 2 || e.Input < 0 {
				in = "node " + in
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\n", i/DARTSEdgesPerNode, in, e.Op)
		}
		_ = tw.Flush() // writes to a strings.Builder cannot fail
		out := make([]string, len(concat))
		for i, c := range concat {
			out[i] = stateLabel(c)
			if c >= 2 || c < 0 {
				out[i] = "node " + out[i]
			}
		}
		fmt.Fprintf(&b, "  output c_{k} = concat(%s)\n", strings.Join(out, ", "))
	}
	cell("normal", g.Normal, g.NormalConcat)
	b.WriteString("\n")
	cell("reduce", g.Reduce, g.ReduceConcat)
	return b.String()
}

// DOT renders g for graphviz: one digraph with the normal and the reduction
// cell as two clusters, drawn as quark0/darts cnn/visualize.py draws a cell
// (rankdir=LR; inputs c_{k-2} and c_{k-1} in darkseagreen2, nodes 0..3 in
// lightblue, the output c_{k} in palegoldenrod; each kept edge labelled with
// its op, and an edge from each concatenated node to c_{k}). Node ids are
// prefixed with the cell name so the two clusters stay apart. name, when not
// empty, names the graph.
func (g Genotype) DOT(name string) string {
	if name == "" {
		name = "genotype"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", dotQuote(name))
	b.WriteString("  rankdir=LR;\n")
	b.WriteString("  node [style=filled, shape=rect, align=center, fontsize=20, height=0.5, width=0.5, penwidth=2, fontname=\"times\"];\n")
	b.WriteString("  edge [fontsize=20, fontname=\"times\"];\n")
	cell := func(title string, edges []GenotypeEdge, concat []int) {
		id := func(label string) string { return dotQuote(title + "_" + label) }
		fmt.Fprintf(&b, "  subgraph %s {\n", dotQuote("cluster_"+title))
		fmt.Fprintf(&b, "    label=%s;\n", dotQuote(title+" cell"))
		for _, in := range []string{"c_{k-2}", "c_{k-1}"} {
			fmt.Fprintf(&b, "    %s [label=%s, fillcolor=darkseagreen2];\n", id(in), dotQuote(in))
		}
		steps := (len(edges) + DARTSEdgesPerNode - 1) / DARTSEdgesPerNode
		for i := 0; i < steps; i++ {
			fmt.Fprintf(&b, "    %s [label=%s, fillcolor=lightblue];\n", id(strconv.Itoa(i)), dotQuote(strconv.Itoa(i)))
		}
		for i, e := range edges {
			fmt.Fprintf(&b, "    %s -> %s [label=%s, fillcolor=gray];\n",
				id(stateLabel(e.Input)), id(strconv.Itoa(i/DARTSEdgesPerNode)), dotQuote(e.Op))
		}
		fmt.Fprintf(&b, "    %s [label=%s, fillcolor=palegoldenrod];\n", id("c_{k}"), dotQuote("c_{k}"))
		for _, c := range concat {
			fmt.Fprintf(&b, "    %s -> %s [fillcolor=gray];\n", id(stateLabel(c)), id("c_{k}"))
		}
		b.WriteString("  }\n")
	}
	cell("normal", g.Normal, g.NormalConcat)
	cell("reduce", g.Reduce, g.ReduceConcat)
	b.WriteString("}\n")
	return b.String()
}

// dotQuote quotes s as a graphviz ID string.
func dotQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
