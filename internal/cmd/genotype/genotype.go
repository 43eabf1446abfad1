package genotype

import (
	"github.com/spf13/cobra"

	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/cmd/genotype/list"
	"github.com/nasx/nasx/internal/cmd/genotype/show"
	"github.com/nasx/nasx/internal/cmd/genotype/validate"
)

// NewCmdGenotype returns `nasx genotype` and its subcommands.
func NewCmdGenotype(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "genotype <command>",
		Short: "Show, validate and list DARTS CNN genotypes",
		Long: `Work with DARTS CNN genotypes (Liu et al., arXiv:1806.09055).

A genotype is read from a built-in name (nasx genotype list), a JSON file
({"normal": [["sep_conv_3x3", 0], ...], "normal_concat": [2, 3, 4, 5], ...}),
or a Python file holding the literal of DARTS' genotypes.py
(DARTS_V2 = Genotype(normal=[('sep_conv_3x3', 0), ...], ...)); "-" reads stdin.`,
		Example: "  nasx genotype show DARTS_V2 --format dot | dot -Tpng -o darts_v2.png\n  nasx genotype validate my_genotype.json",
		// A non-runnable cobra command ignores Args; make it runnable so that an
		// unknown subcommand is a usage error (exit 2), not the help (exit 0).
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cli.FlagErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		show.NewCmdShow(f, nil),
		validate.NewCmdValidate(f, nil),
		list.NewCmdList(f, nil),
	)
	return cmd
}
