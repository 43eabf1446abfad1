package bench

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	databench "github.com/nasx/nasx/data/bench"
	"github.com/nasx/nasx/internal/atomicio"
	"github.com/nasx/nasx/internal/cli"
)

// SynthOptions are the options of `nasx bench synth`.
type SynthOptions struct {
	Env    *Env
	Output string
	N      int
	Seed   uint64
}

// NewCmdSynth returns `nasx bench synth`. If runF is nil, synthRun runs.
func NewCmdSynth(env *Env, runF func(*SynthOptions) error) *cobra.Command {
	opts := &SynthOptions{Env: env}
	cmd := &cobra.Command{
		Use:   "synth nasbench101 -o <file> [--n <count>] [--seed <s>]",
		Short: "Write a synthetic full-size NAS-Bench-101 file in NAR's schema",
		Long: `Write a synthetic NAS-Bench-101 file in the schema of NAR's
nasbench_only108_with_vertex_flops_and_params.json: --n distinct valid cells
(default 423,624, the size of the real file) with costs from nasx's
NAS-Bench-101 cost model and made-up accuracies. For benchmarks and tests;
its unique_hash values are synthetic, not NAS-Bench-101 hashes.`,
		Example: `  nasx bench synth nasbench101 -o /tmp/nb101_synth.json
  nasx bench synth nasbench101 -o small.json --n 1000 --seed 7`,
		Args: cli.OneOfArgs([]string{string(databench.KindNB101)}, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Output == "" {
				return cli.FlagErrorf("-o FILE is required")
			}
			if opts.N < 1 || opts.N > databench.NB101Size {
				return cli.FlagErrorf("--n must be in [1, %d], got %d", databench.NB101Size, opts.N)
			}
			if runF != nil {
				return runF(opts)
			}
			return synthRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "Output `file`")
	cmd.Flags().IntVar(&opts.N, "n", databench.NB101Size, "Number of records")
	cmd.Flags().Uint64Var(&opts.Seed, "seed", 1, "Random seed")
	return cmd
}

func synthRun(opts *SynthOptions) error {
	bar := opts.Env.IO.Progress(int64(opts.N), "synthesizing")
	defer bar.Finish()
	var size int64
	err := atomicio.Write(opts.Output, 0o644, func(w io.Writer) error {
		var err error
		size, err = databench.SynthNB101(w, opts.N, opts.Seed, func(done int) {
			if done%1024 == 0 || done == opts.N {
				bar.Set(done)
			}
		})
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.Env.IO.ErrOut, "wrote %d records (%d bytes) to %s\n", opts.N, size, opts.Output)
	return nil
}
