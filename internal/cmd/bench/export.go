package bench

import (
	"io"

	"github.com/spf13/cobra"

	databench "github.com/nasx/nasx/data/bench"
	"github.com/nasx/nasx/internal/atomicio"
	"github.com/nasx/nasx/internal/cli"
)

// ExportOptions are the options of `nasx bench export`.
type ExportOptions struct {
	Env     *Env
	Kind    string
	Format  string
	Dataset string
	Output  string // "" or "-" means stdout
}

// NewCmdExport returns `nasx bench export`. If runF is nil, exportRun runs.
func NewCmdExport(env *Env, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{Env: env}
	cmd := &cobra.Command{
		Use:   "export {nasbench201 | nasbench101} --format {csv | jsonl} [--dataset <name>] [-o <file>]",
		Short: "Write the whole table as CSV or JSON lines (for pandas or R)",
		Long: `Write one row per architecture: index, arch, val_acc, test_acc, flops,
params (the same fields as "query --json") for one dataset.`,
		Example: `  nasx bench export nasbench201 --format csv --dataset cifar100 -o nb201_c100.csv
  nasx bench export nasbench101 --format jsonl | head`,
		Args: cli.OneOfArgs(kinds, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Kind = args[0]
			if opts.Format == "" {
				return cli.FlagErrorf("--format is required: csv or jsonl")
			}
			if runF != nil {
				return runF(opts)
			}
			return exportRun(opts)
		},
	}
	cli.StringEnumFlag(cmd, &opts.Format, "format", "f", "", []string{"csv", "jsonl"}, "Output format")
	cli.StringEnumFlag(cmd, &opts.Dataset, "dataset", "d", "cifar10", databench.DatasetNames, "Dataset")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "Output `file` (default: stdout), written atomically")
	return cmd
}

func exportRun(opts *ExportOptions) error {
	t, _, err := opts.Env.load(opts.Kind)
	if err != nil {
		return err
	}
	dss, err := datasetsFor(t, opts.Dataset)
	if err != nil {
		return err
	}
	write := func(w io.Writer) error {
		if opts.Format == "csv" {
			return databench.WriteCSV(w, t, dss[0])
		}
		return databench.WriteJSONL(w, t, dss[0])
	}
	if opts.Output == "" || opts.Output == "-" {
		return write(opts.Env.IO.Out)
	}
	return atomicio.Write(opts.Output, 0o644, write)
}
