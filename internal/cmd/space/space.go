package space

import (
	"github.com/spf13/cobra"

	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/cmd/space/cost"
	"github.com/nasx/nasx/internal/cmd/space/hash"
	"github.com/nasx/nasx/internal/cmd/space/list"
	"github.com/nasx/nasx/internal/cmd/space/sample"
	"github.com/nasx/nasx/internal/cmd/space/show"
)

// NewCmdSpace returns `nasx space` with its subcommands.
func NewCmdSpace(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "space <command>",
		Short: "Inspect the DARTS, NAS-Bench-201 and NAS-Bench-101 search spaces",
		Long: `Inspect the search spaces: list them, show their ops and constraints,
sample architectures, compute NAS-Bench-201 FLOPs and parameters, and compute
NAS-Bench-101 unique hashes and parameter counts.`,
		Example: "  nasx space list\n  nasx space show nasbench201\n  nasx space sample nasbench201 -n 5 --seed 1\n" +
			"  nasx space cost nasbench201 '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|'\n" +
			"  nasx space hash nasbench101 --jsonl cells.jsonl",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cli.FlagErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return nil
		},
		// Without a subcommand, print the help.
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		list.NewCmdList(f, nil),
		show.NewCmdShow(f, nil),
		sample.NewCmdSample(f, nil),
		cost.NewCmdCost(f, nil),
		hash.NewCmdHash(f, nil),
	)
	return cmd
}
