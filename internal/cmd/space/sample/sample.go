package sample

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/spf13/cobra"

	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
	"github.com/nasx/nasx/searchspace"
)

// Options are the options of `nasx space sample`.
type Options struct {
	IO    *iostreams.IOStreams
	Space string
	N     int
	Seed  uint64
	JSON  bool
}

// Spaces are the names `nasx space sample` accepts.
var Spaces = []string{"nasbench201", "nasbench101"}

// NewCmdSample returns `nasx space sample`. If runF is nil, sampleRun runs.
func NewCmdSample(f *cli.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "sample {nasbench201 | nasbench101} [-n <count>] [--seed <seed>] [--json]",
		Short: "Sample random architectures",
		Long: `Sample random architectures, one per line, deterministically for a seed.

nasbench201: uniform over the 15,625 cells; prints arch strings, or with
--json one {"arch": ...} object per line.
nasbench101: NAS-Bench-101's random-spec procedure (random upper-triangular
7×7 matrix and ops, rejected unless valid), pruned; prints one JSON object per
line with module_adjacency, module_operations and unique_hash. The procedure
favours small cells and can repeat a cell.`,
		Example:   "  nasx space sample nasbench201 -n 5 --seed 1\n  nasx space sample nasbench101 -n 100 --seed 7 > cells.jsonl",
		Args:      cli.OneOfArgs(Spaces, 0),
		ValidArgs: Spaces,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Space = args[0]
			if opts.N < 1 {
				return cli.FlagErrorf("-n/--count: got %d, want ≥ 1", opts.N)
			}
			if runF != nil {
				return runF(opts)
			}
			return sampleRun(opts)
		},
	}
	cmd.Flags().IntVarP(&opts.N, "count", "n", 10, "Number of architectures")
	cmd.Flags().Uint64Var(&opts.Seed, "seed", 0, "Random seed (PCG)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "Print JSON lines (nasbench101 always does)")
	return cmd
}

type nb201Line struct {
	Arch string `json:"arch"`
}

type nb101Line struct {
	searchspace.NB101Spec
	UniqueHash string `json:"unique_hash"`
}

// sampleRun draws one architecture at a time, so that a large -n streams
// instead of holding every sample in memory; the sequence equals that of one
// SampleNB201/SampleNB101 call with the same rng.
func sampleRun(opts *Options) error {
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed))
	w := bufio.NewWriter(opts.IO.Out)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for range opts.N {
		var err error
		switch opts.Space {
		case "nasbench201":
			a := searchspace.SampleNB201(rng, 1)[0]
			if opts.JSON {
				err = enc.Encode(nb201Line{a.String()})
			} else {
				_, err = fmt.Fprintln(w, a)
			}
		case "nasbench101":
			s := searchspace.SampleNB101(rng, 1)[0]
			var h string
			if h, err = s.Hash(); err == nil {
				err = enc.Encode(nb101Line{s, h})
			}
		default:
			err = fmt.Errorf("unknown space %q", opts.Space)
		}
		if err != nil {
			return err
		}
	}
	return w.Flush()
}
