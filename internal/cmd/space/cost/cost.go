package cost

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
	"github.com/nasx/nasx/searchspace"
)

// Options are the options of `nasx space cost`.
type Options struct {
	IO      *iostreams.IOStreams
	Space   string
	Arch    string
	Dataset string
	Detail  bool
	JSON    bool
}

// Spaces are the names `nasx space cost` accepts.
var Spaces = []string{"nasbench201"}

// NewCmdCost returns `nasx space cost`. If runF is nil, costRun runs.
func NewCmdCost(f *cli.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "cost nasbench201 <arch> [--dataset {cifar10 | cifar100 | imagenet16}] [--detail] [--json]",
		Short: "Compute the FLOPs and parameters of a NAS-Bench-201 network",
		Long: `Compute the FLOPs and parameters of the NAS-Bench-201 network built on a
cell, in the convention of NAR's nasbench201_with_edge_flops_and_params.json:
a nor_conv_kxk edge in a cell of C channels at HxW costs C*C*k*k*H*W + 2*C*H*W
FLOPs and C*C*k*k + 2*C parameters; the network outside the cells is added.
cifar10 means the cifar10-valid entry of the benchmark (same network).
With --detail, per-cell and per-edge values are printed too.`,
		Example: "  nasx space cost nasbench201 '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|'\n" +
			"  nasx space cost nasbench201 '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|' --dataset imagenet16 --json",
		Args:      cli.OneOfArgs(Spaces, 1),
		ValidArgs: Spaces,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return cli.FlagErrorf("%q: want nasbench201 <arch>, got %d argument(s)", cmd.CommandPath(), len(args))
			}
			opts.Space, opts.Arch = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return costRun(opts)
		},
	}
	cli.StringEnumFlag(cmd, &opts.Dataset, "dataset", "d", "cifar10", searchspace.NB201DatasetShortNames, "Dataset")
	cmd.Flags().BoolVar(&opts.Detail, "detail", false, "Also print per-cell, per-edge FLOPs and params")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "Print a JSON object (flops, params, dataset, arch; cells with --detail)")
	return cmd
}

// Result is the JSON output of `nasx space cost`.
type Result struct {
	Arch           string                      `json:"arch"`
	Dataset        string                      `json:"dataset"`
	Flops          int64                       `json:"flops"`
	Params         int64                       `json:"params"`
	SkeletonFlops  int64                       `json:"skeleton_flops"`
	SkeletonParams int64                       `json:"skeleton_params"`
	Cells          []searchspace.NB201CellCost `json:"cells,omitempty"`
}

func costRun(opts *Options) error {
	a, err := searchspace.ParseNB201(opts.Arch)
	if err != nil {
		return err
	}
	c, err := searchspace.NB201Cost(a, opts.Dataset)
	if err != nil {
		return err
	}
	r := Result{
		Arch: a.String(), Dataset: c.Dataset,
		Flops: c.TotalFlops, Params: c.TotalParams,
		SkeletonFlops: c.SkeletonFlops, SkeletonParams: c.SkeletonParams,
	}
	if opts.Detail {
		r.Cells = c.Cells
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	out := opts.IO.Out
	fmt.Fprintf(out, "arch     %s\n", r.Arch)
	fmt.Fprintf(out, "dataset  %s\n", r.Dataset)
	fmt.Fprintf(out, "flops    %d (%.2f M)\n", r.Flops, float64(r.Flops)/1e6)
	fmt.Fprintf(out, "params   %d (%.4f M)\n", r.Params, float64(r.Params)/1e6)
	if !opts.Detail {
		return nil
	}
	fmt.Fprintf(out, "skeleton %d flops, %d params (stem, residual blocks, last BN, pooling, classifier)\n\n", r.SkeletonFlops, r.SkeletonParams)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "cell\tC\tHxW\t")
	for _, e := range searchspace.NB201Edges {
		fmt.Fprintf(tw, "%d<-%d flops\t", e[1], e[0])
	}
	for _, e := range searchspace.NB201Edges {
		fmt.Fprintf(tw, "%d<-%d params\t", e[1], e[0])
	}
	fmt.Fprintln(tw)
	for _, cell := range r.Cells {
		fmt.Fprintf(tw, "%s\t%d\t%dx%d\t", cell.Key, cell.Channels, cell.H, cell.W)
		for _, v := range cell.Flops {
			fmt.Fprintf(tw, "%d\t", v)
		}
		for _, v := range cell.Params {
			fmt.Fprintf(tw, "%d\t", v)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
