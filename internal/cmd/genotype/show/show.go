package show

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/cmd/genotype/shared"
	"github.com/nasx/nasx/internal/iostreams"
	"github.com/nasx/nasx/searchspace"
)

// Options are the options of `nasx genotype show`.
type Options struct {
	IO *iostreams.IOStreams
	// Genotype is a built-in name, a file path, or "-" for stdin.
	Genotype string
	// Name picks an assignment in a Python file with several.
	Name string
	// Format is one of searchspace.GenotypeFormats; the default is "text".
	Format string
}

// NewCmdShow returns `nasx genotype show`. If runF is nil, showRun runs.
func NewCmdShow(f *cli.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "show {<file> | <name> | -} [--format {text|json|python|dot}] [--name <name>]",
		Short: "Print a DARTS genotype as a table, JSON, Python or graphviz DOT",
		Long: `Print a DARTS CNN genotype after checking it against the DARTS space.

--format text   a table per cell: node, input state, op, and the output concat
--format json   {"normal": [["sep_conv_3x3", 0], ...], "normal_concat": [...], ...}
--format python the literal of DARTS' genotypes.py (NAME = Genotype(...))
--format dot    graphviz, both cells as clusters, drawn as DARTS' visualize.py`,
		Example: "  nasx genotype show DARTS_V2\n" +
			"  nasx genotype show genotypes.py --name PC_DARTS --format json > pc_darts.json\n" +
			"  nasx genotype show DARTS_V1 --format dot | dot -Tpdf -o darts_v1.pdf",
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Genotype = args[0]
			if runF != nil {
				return runF(opts)
			}
			return showRun(opts)
		},
	}
	cli.StringEnumFlag(cmd, &opts.Format, "format", "f", "text", searchspace.GenotypeFormats, "Output format")
	cmd.Flags().StringVar(&opts.Name, "name", "", "Pick the genotype assigned to `NAME` in a Python file with several")
	return cmd
}

func showRun(opts *Options) error {
	ng, label, err := shared.Load(opts.IO.In, opts.Genotype, opts.Name)
	if err != nil {
		return err
	}
	if err := ng.Genotype.Validate(); err != nil {
		return shared.PrefixLines(label, err)
	}
	out, err := searchspace.FormatGenotype(ng.Genotype, opts.Format, ng.Name)
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(opts.IO.Out, out)
	return err
}
