package bench

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	databench "github.com/nasx/nasx/data/bench"
	"github.com/nasx/nasx/internal/cli"
)

// QueryOptions are the options of `nasx bench query`.
type QueryOptions struct {
	Env     *Env
	Kind    string
	Key     string // index, NB201 arch string or NB101 hash
	Dataset string
	JSON    bool
}

// NewCmdQuery returns `nasx bench query`. If runF is nil, queryRun runs.
func NewCmdQuery(env *Env, runF func(*QueryOptions) error) *cobra.Command {
	opts := &QueryOptions{Env: env}
	cmd := &cobra.Command{
		Use:   "query {nasbench201 | nasbench101} {<index> | <arch-string> | <hash>} [--dataset <name>] [--json]",
		Short: "Look an architecture up by index, NB201 arch string or NB101 hash",
		Example: `  nasx bench query nasbench201 0 --bench nb201.json.gz
  nasx bench query nasbench201 '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|' --dataset cifar100 --json
  nasx bench query nasbench101 00005c142e6f48ac74fdcf73e3439874 --json`,
		Args: cli.OneOfArgs(kinds, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return cli.FlagErrorf("%q needs a benchmark and an index, arch string or hash", cmd.CommandPath())
			}
			opts.Kind, opts.Key = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return queryRun(opts)
		},
	}
	cli.StringEnumFlag(cmd, &opts.Dataset, "dataset", "d", "cifar10", databench.DatasetNames, "Dataset")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "Print JSON: index, arch, val_acc, test_acc, flops, params")
	return cmd
}

// QueryResult is the output of `nasx bench query --json`.
type QueryResult struct {
	Dataset string `json:"dataset"`
	databench.Record
}

func queryRun(opts *QueryOptions) error {
	t, _, err := opts.Env.load(opts.Kind)
	if err != nil {
		return err
	}
	dss, err := datasetsFor(t, opts.Dataset)
	if err != nil {
		return err
	}
	i, err := t.Lookup(opts.Key)
	if err != nil {
		return err
	}
	r, err := t.Record(i, dss[0])
	if err != nil {
		return err
	}
	out := opts.Env.IO.Out
	if opts.JSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(QueryResult{Dataset: dss[0].String(), Record: r})
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "index\t%d\narch\t%s\ndataset\t%s\nval_acc\t%.4f\ntest_acc\t%.4f\nflops\t%d\nparams\t%d\n",
		r.Index, r.Arch, dss[0], r.ValAcc, r.TestAcc, r.Flops, r.Params)
	return tw.Flush()
}
