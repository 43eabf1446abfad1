package data

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	dataset "github.com/nasx/nasx/data"
	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
)

// InfoOptions are the options of `nasx data info`.
type InfoOptions struct {
	IO      *iostreams.IOStreams
	Getenv  func(string) string
	Dataset string
	DataDir string
	// NoDownload forbids fetching a missing CIFAR archive.
	NoDownload bool
	JSON       bool
	Coarse     bool
	// Classes is the ImageNet16 class count (labels ≤ Classes are kept).
	Classes int
	Workers int
	Mirror  string
}

// NewCmdInfo returns `nasx data info`. If runF is nil, infoRun runs.
func NewCmdInfo(f *cli.Factory, runF func(context.Context, *InfoOptions) error) *cobra.Command {
	opts := &InfoOptions{IO: f.IOStreams, Getenv: f.Getenv}
	cmd := &cobra.Command{
		Use:   "info {cifar10 | cifar100 | imagenet16 | imagenet | imagefolder | synthetic}",
		Short: "Print split sizes, class histogram and per-channel mean/std",
		Long: `Print the train and test sizes, the class histogram of the train split and
the per-channel mean and standard deviation of the train split's pixels on
[0, 1] (exact, over every pixel).`,
		Example: "  nasx data info cifar10 --data-dir ../shared/data/cifar10 --json\n" +
			"  nasx data info imagenet16 --data-dir ~/data/ImageNet16 --classes 120\n  nasx data info synthetic",
		Args: cli.OneOfArgs(dataset.Names, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dataset = args[0]
			if opts.Coarse && opts.Dataset != "cifar100" {
				return cli.FlagErrorf("--coarse applies to cifar100 only, not %s", opts.Dataset)
			}
			if cmd.Flags().Changed("classes") && opts.Dataset != "imagenet16" {
				return cli.FlagErrorf("--classes applies to imagenet16 only, not %s", opts.Dataset)
			}
			if opts.Classes < 1 || opts.Classes > 1000 {
				return cli.FlagErrorf("--classes: got %d, want in [1, 1000]", opts.Classes)
			}
			if opts.Workers < 0 {
				return cli.FlagErrorf("--workers: got %d, want ≥ 0", opts.Workers)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return infoRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.DataDir, "data-dir", "", "Dataset `folder` (default $NASX_DATA/<dataset> or ~/.cache/nasx/data/<dataset>)")
	cmd.Flags().BoolVar(&opts.NoDownload, "no-download", false, "Fail instead of downloading a missing CIFAR archive")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "Print train, test, classes, mean, std and histogram as JSON")
	cmd.Flags().BoolVar(&opts.Coarse, "coarse", false, "CIFAR-100: use the 20 coarse labels")
	cmd.Flags().IntVar(&opts.Classes, "classes", dataset.ImageNet16Classes, "ImageNet16: keep labels ≤ N (120: ImageNet16-120)")
	cmd.Flags().IntVar(&opts.Workers, "workers", 0, "Goroutines reading images for the statistics (0: all CPUs)")
	cmd.Flags().StringVar(&opts.Mirror, "mirror", "", "Download from `URL`/<archive> instead of the canonical address")
	return cmd
}

// Info is the report of `nasx data info`.
type Info struct {
	Dataset    string     `json:"dataset"`
	Dir        string     `json:"dir,omitempty"`
	Train      int        `json:"train"`
	Test       int        `json:"test"`
	Classes    int        `json:"classes"`
	ClassNames []string   `json:"class_names,omitempty"`
	Histogram  []int      `json:"histogram"`
	Mean       [3]float64 `json:"mean"`
	Std        [3]float64 `json:"std"`
}

func infoRun(ctx context.Context, opts *InfoOptions) error {
	dir, err := resolveDir(opts.Dataset, opts.DataDir, opts.Getenv)
	if err != nil {
		return err
	}
	ds, err := dataset.Open(ctx, opts.Dataset, dataset.OpenOptions{
		Dir: dir, Download: !opts.NoDownload, Downloader: newDownloader(opts.IO, opts.Mirror, opts.Dataset),
		Coarse: opts.Coarse, ImageNet16Classes: opts.Classes,
	})
	if err != nil {
		return err
	}
	mean, std, err := dataset.ChannelStats(ds.Train, opts.Workers)
	if err != nil {
		return err
	}
	info := Info{Dataset: opts.Dataset, Dir: dir, Train: ds.Train.Len(), Test: ds.Test.Len(), Classes: ds.Classes,
		ClassNames: ds.ClassNames, Histogram: dataset.Histogram(ds.Train, ds.Classes), Mean: mean, Std: std}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	out := opts.IO.Out
	fmt.Fprintf(out, "dataset  %s\n", info.Dataset)
	if info.Dir != "" {
		fmt.Fprintf(out, "dir      %s\n", info.Dir)
	}
	fmt.Fprintf(out, "train    %d\ntest     %d\nclasses  %d\n", info.Train, info.Test, info.Classes)
	fmt.Fprintf(out, "mean     %.4f %.4f %.4f\nstd      %.4f %.4f %.4f\n", mean[0], mean[1], mean[2], std[0], std[1], std[2])
	fmt.Fprintln(out, "train histogram:")
	for c, n := range info.Histogram {
		name := ""
		if c < len(info.ClassNames) {
			name = info.ClassNames[c]
		}
		fmt.Fprintf(out, "  %4d %-20s %d\n", c, strings.TrimSpace(name), n)
	}
	return nil
}

// resolveDir applies the data folder precedence: flag, $NASX_DATA/<dataset>,
// ~/.cache/nasx/data/<dataset>. Synthetic data has no folder.
func resolveDir(name, flag string, getenv func(string) string) (string, error) {
	if name == "synthetic" {
		return "", nil
	}
	if flag != "" {
		return flag, nil
	}
	return dataset.DefaultDir(name, getenv)
}
