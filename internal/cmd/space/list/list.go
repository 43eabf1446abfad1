package list

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
)

// Options are the options of `nasx space list`.
type Options struct {
	IO   *iostreams.IOStreams
	JSON bool
}

// Entry describes one search space.
type Entry struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Spaces are the search spaces nasx knows, in the order they are listed.
var Spaces = []Entry{
	{"darts", "DARTS CNN cell space (Liu et al., arXiv:1806.09055): 8 ops, 4 nodes, 14 edges per cell, normal + reduction cell"},
	{"nasbench201", "NAS-Bench-201 cell space (Dong & Yang, arXiv:2001.00326): 5 ops on the 6 edges of a 4-node cell, 15,625 cells"},
	{"nasbench101", "NAS-Bench-101 cell space (Ying et al., arXiv:1902.09635): DAGs of up to 7 vertices and 9 edges, 3 ops, 423,624 cells"},
}

// NewCmdList returns `nasx space list`. If runF is nil, listRun runs.
func NewCmdList(f *cli.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the search spaces",
		Example: "  nasx space list\n  nasx space list --json",
		Args:    cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return listRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "Print the spaces as a JSON array")
	return cmd
}

func listRun(opts *Options) error {
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(Spaces)
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDESCRIPTION")
	for _, s := range Spaces {
		fmt.Fprintf(tw, "%s\t%s\n", s.Name, s.Description)
	}
	return tw.Flush()
}
