package bench

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	databench "github.com/nasx/nasx/data/bench"
	"github.com/nasx/nasx/internal/cli"
)

// BestOptions are the options of `nasx bench best`.
type BestOptions struct {
	Env     *Env
	Kind    string
	Dataset string // "" means every dataset of the benchmark
	Metric  string
	K       int
	JSON    bool
}

// NewCmdBest returns `nasx bench best`. If runF is nil, bestRun runs.
func NewCmdBest(env *Env, runF func(*BestOptions) error) *cobra.Command {
	opts := &BestOptions{Env: env}
	cmd := &cobra.Command{
		Use:   "best {nasbench201 | nasbench101} [--dataset <name>] [--metric {val | test}] [-k <n>] [--json]",
		Short: "List the best architectures by validation or test accuracy",
		Long: `List the k best architectures, best first, for one dataset or (without
--dataset) for each dataset of the benchmark. Equal accuracies share a rank
and are listed by index; "ties" counts every record with that accuracy, so a
tie cut by -k is visible.`,
		Example: `  nasx bench best nasbench201 --metric test --bench nb201.json.gz
  nasx bench best nasbench201 --dataset cifar100 -k 10 --json`,
		Args: cli.OneOfArgs(kinds, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Kind = args[0]
			if opts.K < 1 {
				return cli.FlagErrorf("-k must be >= 1, got %d", opts.K)
			}
			if runF != nil {
				return runF(opts)
			}
			return bestRun(opts)
		},
	}
	cli.StringEnumFlag(cmd, &opts.Dataset, "dataset", "d", "", databench.DatasetNames, "Dataset (default: every dataset)")
	cli.StringEnumFlag(cmd, &opts.Metric, "metric", "m", "val", []string{"val", "test"}, "Rank by")
	cmd.Flags().IntVarP(&opts.K, "k", "k", 1, "How many architectures per dataset")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "Print a JSON array, best first")
	return cmd
}

func bestRun(opts *BestOptions) error {
	t, _, err := opts.Env.load(opts.Kind)
	if err != nil {
		return err
	}
	dss, err := datasetsFor(t, opts.Dataset)
	if err != nil {
		return err
	}
	m, err := databench.ParseMetric(opts.Metric)
	if err != nil {
		return err
	}
	var items []BestItem
	for _, ds := range dss {
		best, err := databench.Best(t, ds, m, opts.K)
		if err != nil {
			return err
		}
		for _, b := range best {
			items = append(items, BestItem{Dataset: ds.String(), Metric: m.String(), Ranked: b})
		}
		if last := best[len(best)-1]; last.Rank+last.Ties-1 > len(best) {
			fmt.Fprintf(opts.Env.IO.ErrOut, "note: %s: %d more record(s) tie with the last one listed; raise -k to see them\n", ds, last.Rank+last.Ties-1-len(best))
		}
	}
	out := opts.Env.IO.Out
	if opts.JSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(items)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "DATASET\tRANK\t%s_ACC\tTIES\tINDEX\tARCH\n", strings.ToUpper(m.String()))
	for _, b := range items {
		acc := b.ValAcc
		if m == databench.Test {
			acc = b.TestAcc
		}
		fmt.Fprintf(tw, "%s\t%d\t%.4f\t%d\t%d\t%s\n", b.Dataset, b.Rank, acc, b.Ties, b.Index, b.Arch)
	}
	return tw.Flush()
}
