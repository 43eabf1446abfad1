package root

import (
	"github.com/spf13/cobra"

	"github.com/nasx/nasx/internal/build"
	"github.com/nasx/nasx/internal/cli"
	benchcmd "github.com/nasx/nasx/internal/cmd/bench"
	datacmd "github.com/nasx/nasx/internal/cmd/data"
	evalcmd "github.com/nasx/nasx/internal/cmd/eval"
	"github.com/nasx/nasx/internal/cmd/genotype"
	"github.com/nasx/nasx/internal/cmd/perf"
	"github.com/nasx/nasx/internal/cmd/rank"
	"github.com/nasx/nasx/internal/cmd/search"
	"github.com/nasx/nasx/internal/cmd/space"
	"github.com/nasx/nasx/internal/cmd/version"
)

// NewCmdRoot builds the nasx command tree.
func NewCmdRoot(f *cli.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "nasx <command> [flags]",
		Short: "Neural architecture search: α-DARTS, the Neural Architecture Ranker, benchmarks",
		Long: `nasx searches, ranks and trains neural architectures.

It implements α-DARTS (DARTS with masked image modeling, arXiv:2211.10105),
plain first- and second-order DARTS, and the Neural Architecture Ranker
(NAR, arXiv:2201.12725), and reads NAS-Bench-101/201 and CIFAR files.

Results go to stdout (--json for scripts); progress and logs go to stderr.
Exit codes: 0 success, 1 error, 2 usage error, 130 interrupted.`,
		Version:       build.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetVersionTemplate("nasx {{.Version}}\n")
	root.PersistentFlags().BoolVarP(&f.IOStreams.Quiet, "quiet", "q", false, "Hide progress bars")
	root.AddCommand(
		version.NewCmdVersion(f, nil),
		benchcmd.NewCmdBench(f),
		space.NewCmdSpace(f),
		genotype.NewCmdGenotype(f),
		datacmd.NewCmdData(f),
		evalcmd.NewCmdEval(f, nil),
		rank.NewCmdRank(f),
		search.NewCmdSearch(f),
		perf.NewCmdPerf(f),
	)
	// Every command, not only the root, reports bad flags as usage errors.
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cli.FlagErrorWrap(err) })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return root
}
