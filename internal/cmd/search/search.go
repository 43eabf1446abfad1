// Package search implements `nasx search`, the group of architecture search
// commands.
package search

import (
	"github.com/spf13/cobra"

	"github.com/nasx/nasx/internal/cli"
	dartscmd "github.com/nasx/nasx/internal/cmd/search/darts"
)

// NewCmdSearch returns `nasx search` with its subcommands.
func NewCmdSearch(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "search <command>",
		Short:   "Search architectures (DARTS, α-DARTS)",
		Example: "  nasx search darts --config configs/search_smoke.json --out runs/smoke",
		Args:    cli.NoArgs,
	}
	cmd.AddCommand(dartscmd.NewCmdDarts(f, nil))
	return cmd
}
