// Package version implements `nasx version`.
package version

import (
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/nasx/nasx/internal/build"
	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
)

// Options are the options of `nasx version`.
type Options struct {
	IO   *iostreams.IOStreams
	JSON bool
}

// NewCmdVersion returns `nasx version`. If runF is nil, versionRun runs.
func NewCmdVersion(f *cli.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print the nasx version",
		Example: "  nasx version\n  nasx version --json",
		Args:    cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return versionRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "Print version, commit, Go version and platform as JSON")
	return cmd
}

// Info is the machine-readable version report.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

func versionRun(opts *Options) error {
	info := Info{Version: build.Version, Commit: build.Commit, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	fmt.Fprintf(opts.IO.Out, "nasx %s", info.Version)
	if info.Commit != "" {
		fmt.Fprintf(opts.IO.Out, " (%.12s)", info.Commit)
	}
	fmt.Fprintf(opts.IO.Out, " %s %s\n", info.GoVersion, info.Platform)
	return nil
}
