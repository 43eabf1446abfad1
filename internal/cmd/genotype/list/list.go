package list

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
	"github.com/nasx/nasx/searchspace"
)

// Options are the options of `nasx genotype list`.
type Options struct {
	IO   *iostreams.IOStreams
	JSON bool
}

// Entry is one built-in genotype in the --json output.
type Entry struct {
	Name        string               `json:"name"`
	Description string               `json:"description"`
	Genotype    searchspace.Genotype `json:"genotype"`
}

// NewCmdList returns `nasx genotype list`. If runF is nil, listRun runs.
func NewCmdList(f *cli.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:     "list [--json]",
		Short:   "List the built-in genotypes",
		Example: "  nasx genotype list\n  nasx genotype list --json",
		Args:    cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return listRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "Print names, descriptions and genotypes as JSON")
	return cmd
}

func listRun(opts *Options) error {
	names := searchspace.BuiltinGenotypeNames()
	if opts.JSON {
		entries := make([]Entry, len(names))
		for i, n := range names {
			g, _ := searchspace.BuiltinGenotype(n)
			entries[i] = Entry{Name: n, Description: searchspace.BuiltinGenotypeDescription(n), Genotype: g}
		}
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 0, 2, ' ', 0)
	for _, n := range names {
		fmt.Fprintf(tw, "%s\t%s\n", n, searchspace.BuiltinGenotypeDescription(n))
	}
	return tw.Flush()
}
