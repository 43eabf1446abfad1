package data

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	dataset "github.com/nasx/nasx/data"
	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
)

// DownloadOptions are the options of `nasx data download`.
type DownloadOptions struct {
	IO      *iostreams.IOStreams
	Getenv  func(string) string
	Dataset string
	DataDir string
	Mirror  string
}

// NewCmdDownload returns `nasx data download`. If runF is nil, downloadRun
// runs.
func NewCmdDownload(f *cli.Factory, runF func(context.Context, *DownloadOptions) error) *cobra.Command {
	opts := &DownloadOptions{IO: f.IOStreams, Getenv: f.Getenv}
	cmd := &cobra.Command{
		Use:   "download {cifar10 | cifar100}",
		Short: "Download a CIFAR binary archive, resuming and checking its MD5",
		Long: `Download the official CIFAR binary archive into the data folder.

Bytes go to <archive>.part; an interrupted download resumes from there (HTTP
Range). The archive takes its final name only after its MD5 matches the
published one, so a partial file is never mistaken for a complete one.`,
		Example: "  nasx data download cifar10\n  nasx data download cifar100 --data-dir ~/datasets/cifar100",
		Args:    cli.OneOfArgs([]string{"cifar10", "cifar100"}, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dataset = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return downloadRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.DataDir, "data-dir", "", "Destination `folder` (default $NASX_DATA/<dataset> or ~/.cache/nasx/data/<dataset>)")
	cmd.Flags().StringVar(&opts.Mirror, "mirror", "", "Download from `URL`/<archive> instead of the canonical address")
	return cmd
}

func downloadRun(ctx context.Context, opts *DownloadOptions) error {
	dir, err := resolveDir(opts.Dataset, opts.DataDir, opts.Getenv)
	if err != nil {
		return err
	}
	r, _ := dataset.RemoteFor(opts.Dataset)
	dst := filepath.Join(dir, r.File())
	d := newDownloader(opts.IO, opts.Mirror, opts.Dataset)
	if err := d.Fetch(ctx, r, dst); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "%s\t%s\tmd5 %s\n", opts.Dataset, dst, r.MD5)
	return nil
}

// newDownloader returns a Downloader that draws a progress bar on stderr
// (hidden unless stderr is a terminal) and logs where it fetches from.
func newDownloader(io *iostreams.IOStreams, mirror, name string) *dataset.Downloader {
	var bar *progressbar.ProgressBar
	d := &dataset.Downloader{BaseURL: mirror}
	d.Progress = func(done, total int64) {
		if bar == nil {
			fmt.Fprintf(io.ErrOut, "downloading %s from %s\n", name, d.URL(mustRemote(name)))
			bar = io.Progress(total, "download "+name)
		}
		bar.Set64(done)
		if total >= 0 && done >= total {
			bar.Finish()
		}
	}
	return d
}

func mustRemote(name string) dataset.Remote {
	r, _ := dataset.RemoteFor(name)
	return r
}
