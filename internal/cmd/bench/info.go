package bench

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	databench "github.com/nasx/nasx/data/bench"
	"github.com/nasx/nasx/internal/cli"
)

// InfoOptions are the options of `nasx bench info`.
type InfoOptions struct {
	Env  *Env
	Kind string // optional benchmark name
	JSON bool
}

// NewCmdInfo returns `nasx bench info`. If runF is nil, infoRun runs.
func NewCmdInfo(env *Env, runF func(*InfoOptions) error) *cobra.Command {
	opts := &InfoOptions{Env: env}
	cmd := &cobra.Command{
		Use:   "info [{nasbench201 | nasbench101}] [--bench <file>] [--json]",
		Short: "Print the kind, the record count and the best architecture per dataset and metric",
		Example: `  nasx bench info --bench nasbench201_with_edge_flops_and_params.json.gz
  nasx bench info nasbench101 --json`,
		Args: cli.RangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if err := cli.OneOfArgs(kinds, 0)(cmd, args); err != nil {
					return err
				}
				opts.Kind = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return infoRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "Print JSON")
	return cmd
}

// Info is the report of `nasx bench info --json`.
type Info struct {
	File  string     `json:"file"`
	Kind  string     `json:"kind"`
	Count int        `json:"count"`
	Best  []BestItem `json:"best"`
}

// BestItem is one best-first entry, with its dataset and metric.
type BestItem struct {
	Dataset string `json:"dataset"`
	Metric  string `json:"metric"`
	databench.Ranked
}

func infoRun(opts *InfoOptions) error {
	t, path, err := opts.Env.load(opts.Kind)
	if err != nil {
		return err
	}
	info := Info{File: path, Kind: string(t.Kind()), Count: t.Len()}
	for _, ds := range t.Datasets() {
		for _, m := range []databench.Metric{databench.Val, databench.Test} {
			best, err := databench.Best(t, ds, m, 1)
			if err != nil {
				return err
			}
			info.Best = append(info.Best, BestItem{Dataset: ds.String(), Metric: m.String(), Ranked: best[0]})
		}
	}
	out := opts.Env.IO.Out
	if opts.JSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	fmt.Fprintf(out, "file:  %s\nkind:  %s\ncount: %d\n\n", info.File, info.Kind, info.Count)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DATASET\tMETRIC\tACC\tTIES\tINDEX\tARCH")
	for _, b := range info.Best {
		acc := b.ValAcc
		if b.Metric == "test" {
			acc = b.TestAcc
		}
		fmt.Fprintf(tw, "%s\t%s\t%.4f\t%d\t%d\t%s\n", b.Dataset, b.Metric, acc, b.Ties, b.Index, b.Arch)
	}
	return tw.Flush()
}
