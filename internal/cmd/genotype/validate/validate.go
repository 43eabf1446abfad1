package validate

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/cmd/genotype/shared"
	"github.com/nasx/nasx/internal/iostreams"
)

// Options are the options of `nasx genotype validate`.
type Options struct {
	IO *iostreams.IOStreams
	// File is a genotype file, a built-in name, or "-" for stdin.
	File string
	// Name picks an assignment in a Python file with several.
	Name string
	// JSON prints a machine-readable report.
	JSON bool
}

// Report is the --json output of `nasx genotype validate`.
type Report struct {
	File   string   `json:"file"`
	Name   string   `json:"name,omitempty"`
	Valid  bool     `json:"valid"`
	Errors []string `json:"errors"`
}

// NewCmdValidate returns `nasx genotype validate`. If runF is nil,
// validateRun runs.
func NewCmdValidate(f *cli.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "validate {<file> | -} [--name <name>] [--json]",
		Short: "Check a genotype file against the DARTS CNN space",
		Long: `Check a DARTS genotype: 4 nodes of 2 edges per cell, node i reading states
in [0, 2+i), ops among the DARTS primitives other than none, concat states in
[2, 6) without duplicates. Prints "<file>: ok" and exits 0, or prints every
problem, prefixed with the file and located (line:col for syntax errors, cell,
edge and node for rule errors), and exits 1.`,
		Example: "  nasx genotype validate genotype.json\n  nasx genotype validate genotypes.py --name DARTS_V2 --json",
		Args:    cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if runF != nil {
				return runF(opts)
			}
			return validateRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Name, "name", "", "Pick the genotype assigned to `NAME` in a Python file with several")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, `Print {"file", "name", "valid", "errors"} as JSON`)
	return cmd
}

func validateRun(opts *Options) error {
	ng, label, err := shared.Load(opts.IO.In, opts.File, opts.Name)
	if err == nil {
		err = shared.PrefixLines(label, ng.Genotype.Validate())
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		if werr := enc.Encode(Report{File: label, Name: ng.Name, Valid: err == nil, Errors: shared.Problems(err)}); werr != nil {
			return werr
		}
		return err
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(opts.IO.Out, "%s: ok\n", label)
	return err
}
