package perf

import (
	"github.com/spf13/cobra"

	"github.com/nasx/nasx/internal/cli"
)

// NewCmdPerf returns `nasx perf` with its subcommands.
func NewCmdPerf(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "perf <command>",
		Short:   "Measure the cost of a search on this machine",
		Example: "  nasx perf step --steps 2",
		Args:    cli.NoArgs,
	}
	cmd.AddCommand(NewCmdStep(f, nil))
	return cmd
}
