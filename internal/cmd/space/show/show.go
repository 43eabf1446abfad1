package show

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
	"github.com/nasx/nasx/searchspace"
)

// Options are the options of `nasx space show`.
type Options struct {
	IO    *iostreams.IOStreams
	Space string
	JSON  bool
}

// Info describes a search space.
type Info struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Ops         []string `json:"ops"`
	// Nodes is the number of nodes of a cell (NB201: 4 including input and
	// output; DARTS: 4 intermediate nodes after the 2 cell inputs).
	Nodes int `json:"nodes,omitempty"`
	// Edges are the candidate edges of a cell, "dst<-src", in the space's
	// stable order.
	Edges       []string `json:"edges,omitempty"`
	MaxVertices int      `json:"max_vertices,omitempty"`
	MaxEdges    int      `json:"max_edges,omitempty"`
	// Size is the number of distinct architectures; SizeNote says how it
	// is counted.
	Size        uint64   `json:"size"`
	SizeNote    string   `json:"size_note"`
	Constraints []string `json:"constraints"`
}

// Spaces are the names `nasx space show` accepts.
var Spaces = []string{"darts", "nasbench201", "nasbench101"}

// NewCmdShow returns `nasx space show`. If runF is nil, showRun runs.
func NewCmdShow(f *cli.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:       "show {darts | nasbench201 | nasbench101}",
		Short:     "Show a search space's ops, edges, size and constraints",
		Example:   "  nasx space show nasbench201\n  nasx space show darts --json",
		Args:      cli.OneOfArgs(Spaces, 0),
		ValidArgs: Spaces,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Space = args[0]
			if runF != nil {
				return runF(opts)
			}
			return showRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "Print the description as JSON")
	return cmd
}

// Describe returns the description of the space named name (one of Spaces).
func Describe(name string) (Info, error) {
	switch name {
	case "darts":
		return dartsInfo(), nil
	case "nasbench201":
		edges := make([]string, len(searchspace.NB201Edges))
		for i, e := range searchspace.NB201Edges {
			edges[i] = fmt.Sprintf("%d<-%d", e[1], e[0])
		}
		return Info{
			Name:        "nasbench201",
			Description: "NAS-Bench-201 cell (Dong & Yang, arXiv:2001.00326), stacked 3×5 times with 2 residual reduction blocks",
			Ops:         searchspace.NB201Ops,
			Nodes:       4,
			Edges:       edges,
			Size:        searchspace.NB201SpaceSize,
			SizeNote:    "5 ops on each of 6 edges, 5^6 cells (isomorphic cells counted separately, as the benchmark does)",
			Constraints: []string{
				"every edge carries exactly one op; none removes the edge",
				"node j sums its inputs from all nodes i < j; node 3 is the cell output",
				"arch string: |op~0|+|op~0|op~1|+|op~0|op~1|op~2|",
			},
		}, nil
	case "nasbench101":
		return Info{
			Name:        "nasbench101",
			Description: "NAS-Bench-101 cell (Ying et al., arXiv:1902.09635), stacked 3×3 times with 128-channel stem",
			Ops:         searchspace.NB101Ops,
			MaxVertices: searchspace.NB101MaxVertices,
			MaxEdges:    searchspace.NB101MaxEdges,
			Size:        423624,
			SizeNote:    "unique cells up to isomorphism in the NAS-Bench-101 dataset (Ying et al., 2019: \"423k unique\"; NAR's file of it holds 423,624 records)",
			Constraints: []string{
				"adjacency matrix square, 0/1 and upper-triangular (a DAG in vertex order)",
				fmt.Sprintf("at most %d vertices and, after pruning, at most %d edges", searchspace.NB101MaxVertices, searchspace.NB101MaxEdges),
				"first op \"input\", last op \"output\", interior ops among " + strings.Join(searchspace.NB101Ops, ", "),
				"a path from the input to the output; vertices off every such path are pruned",
			},
		}, nil
	}
	return Info{}, fmt.Errorf("unknown space %q (valid: %s)", name, strings.Join(Spaces, ", "))
}

// dartsInfo describes the DARTS CNN cell: nodes 0 and 1 are the cell inputs
// (outputs of the two previous cells), nodes 2..5 each have an edge from
// every earlier node, 2+3+4+5 = 14 edges.
func dartsInfo() Info {
	var edges []string
	for node := 2; node < 6; node++ {
		for src := 0; src < node; src++ {
			edges = append(edges, fmt.Sprintf("%d<-%d", node, src))
		}
	}
	// A derived cell keeps 2 of the node's incoming edges, each with one of
	// the 7 ops other than none: C(2+i, 2)·7² choices for intermediate node
	// i = 0..3, i.e. 1·3·6·10·7^8 = 1,037,664,180 per cell, squared for the
	// independent normal and reduction cells.
	nonNone := uint64(len(searchspace.DARTSPrimitives) - 1)
	perCell := uint64(1)
	for i := uint64(0); i < 4; i++ {
		in := 2 + i
		perCell *= in * (in - 1) / 2 * nonNone * nonNone
	}
	return Info{
		Name:        "darts",
		Description: "DARTS CNN cell (Liu et al., arXiv:1806.09055): normal and reduction cells, 4 intermediate nodes",
		Ops:         searchspace.DARTSPrimitives,
		Nodes:       4,
		Edges:       edges,
		Size:        perCell * perCell,
		SizeNote:    "derived genotypes: each node keeps 2 distinct inputs with a non-none op each, (1·3·6·10·7^8)^2 for a normal and a reduction cell",
		Constraints: []string{
			"nodes 0 and 1 are the outputs of the two previous cells; node i (2..5) has an edge from every node < i",
			"a genotype keeps 2 incoming edges per node, each with one op other than none",
			"the cell output concatenates nodes 2..5",
			"in a reduction cell the edges from nodes 0 and 1 have stride 2",
		},
	}
}

func showRun(opts *Options) error {
	info, err := Describe(opts.Space)
	if err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "name\t%s\n", info.Name)
	fmt.Fprintf(tw, "description\t%s\n", info.Description)
	fmt.Fprintf(tw, "ops (%d)\t%s\n", len(info.Ops), strings.Join(info.Ops, ", "))
	if info.Nodes > 0 {
		fmt.Fprintf(tw, "nodes\t%d\n", info.Nodes)
	}
	if len(info.Edges) > 0 {
		fmt.Fprintf(tw, "edges (%d)\t%s\n", len(info.Edges), strings.Join(info.Edges, " "))
	}
	if info.MaxVertices > 0 {
		fmt.Fprintf(tw, "max vertices\t%d\n", info.MaxVertices)
		fmt.Fprintf(tw, "max edges\t%d\n", info.MaxEdges)
	}
	fmt.Fprintf(tw, "size\t%d (%s)\n", info.Size, info.SizeNote)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.Out, "constraints:")
	for _, c := range info.Constraints {
		fmt.Fprintf(opts.IO.Out, "  - %s\n", c)
	}
	return nil
}
