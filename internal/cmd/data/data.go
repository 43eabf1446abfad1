// Package data implements `nasx data`: `info` prints the size, class
// histogram and pixel statistics of an image dataset, and `download`
// fetches the CIFAR archives.
package data

import (
	"github.com/spf13/cobra"

	"github.com/nasx/nasx/internal/cli"
)

// NewCmdData returns the `nasx data` command group.
func NewCmdData(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "data <command>",
		Short: "Inspect and download image datasets",
		Long: `Inspect and download the image datasets nasx trains on.

The folder of a dataset is --data-dir, else $NASX_DATA/<dataset>, else
~/.cache/nasx/data/<dataset>. CIFAR-10/100 are read from the official binary
archive (cifar-10-binary.tar.gz, without extracting) or its extracted folder,
and are downloaded there when absent unless --no-download is given.`,
		Example: "  nasx data info cifar10 --json\n  nasx data download cifar100 --data-dir ~/datasets/cifar100",
		Args:    cli.NoArgs,
	}
	cmd.AddCommand(NewCmdInfo(f, nil), NewCmdDownload(f, nil))
	return cmd
}
