// Package bench implements `nasx bench`: info, query, best, export and
// synth over the NAS-Bench-201 and NAS-Bench-101 files of data/bench.
package bench

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	databench "github.com/nasx/nasx/data/bench"
	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
)

// kinds are the benchmark arguments of the subcommands.
var kinds = []string{string(databench.KindNB201), string(databench.KindNB101)}

// Env is what every subcommand needs to find and load a benchmark.
type Env struct {
	IO     *iostreams.IOStreams
	Getenv func(string) string
	// Bench is the --bench flag.
	Bench string
	// NoCache is the --no-cache flag.
	NoCache bool
}

// NewCmdBench returns `nasx bench` and its subcommands.
func NewCmdBench(f *cli.Factory) *cobra.Command {
	env := &Env{IO: f.IOStreams, Getenv: f.Getenv}
	cmd := &cobra.Command{
		Use:   "bench <command>",
		Short: "Query NAS-Bench-201 and NAS-Bench-101 benchmark files",
		Long: `Load NAR's NAS-Bench-201 / NAS-Bench-101 JSON files (plain or .gz) or the
official nasbench_only108.tfrecord, and query them.

The file comes from --bench FILE, else $NASX_DATA/<benchmark>/<file>, else
~/.cache/nasx/<benchmark>/<file>. The first load writes a binary cache beside
the file, or under $NASX_CACHE when set or when the folder is read-only;
later loads read the cache in milliseconds.`,
		Example: `  nasx bench info --bench nasbench201_with_edge_flops_and_params.json.gz
  nasx bench best nasbench201 --metric test --bench nb201.json.gz
  nasx bench query nasbench201 6111 --dataset cifar100 --json`,
	}
	cmd.PersistentFlags().StringVar(&env.Bench, "bench", "", "Benchmark `file` (default: search $NASX_DATA, then ~/.cache/nasx)")
	cmd.PersistentFlags().BoolVar(&env.NoCache, "no-cache", false, "Neither read nor write the binary cache")
	cmd.AddCommand(
		NewCmdInfo(env, nil),
		NewCmdQuery(env, nil),
		NewCmdBest(env, nil),
		NewCmdExport(env, nil),
		NewCmdSynth(env, nil),
	)
	return cmd
}

// load finds and opens the benchmark of kind ("" accepts either, but then
// --bench is required), drawing a progress bar on stderr.
func (e *Env) load(kind string) (databench.Table, string, error) {
	var dirs []string
	if d := e.Getenv("NASX_DATA"); d != "" {
		dirs = append(dirs, d)
	}
	userCache := ""
	if d, err := os.UserCacheDir(); err == nil {
		userCache = filepath.Join(d, "nasx")
		dirs = append(dirs, userCache)
	}
	path := e.Bench
	if path == "" && kind == "" {
		return nil, "", cli.FlagErrorf("give --bench FILE or a benchmark name (%s, %s)", kinds[0], kinds[1])
	}
	if path == "" {
		var err error
		path, err = databench.Locate(databench.Kind(kind), "", dirs...)
		if err != nil {
			return nil, "", err
		}
	} else if _, err := os.Stat(path); err != nil {
		return nil, "", fmt.Errorf("bench: --bench: %w", err)
	}
	bar := e.IO.Progress(-1, "loading "+filepath.Base(path))
	defer bar.Finish()
	opts := databench.Options{
		CacheDir:     e.Getenv("NASX_CACHE"),
		UserCacheDir: userCache,
		NoCache:      e.NoCache,
		Logf: func(format string, args ...any) {
			fmt.Fprintf(e.IO.ErrOut, format+"\n", args...)
		},
	}
	if e.IO.ShowProgress() {
		opts.Progress = func(done, total int64) {
			bar.ChangeMax64(total)
			bar.Set64(done)
		}
	}
	t, err := databench.Open(path, opts)
	if err != nil {
		return nil, "", err
	}
	if kind != "" && string(t.Kind()) != kind {
		return nil, "", fmt.Errorf("bench: %s holds %s, not %s", path, t.Kind(), kind)
	}
	return t, path, nil
}

// datasetsFor returns the datasets to report: the --dataset flag when set,
// else every dataset of t.
func datasetsFor(t databench.Table, flag string) ([]databench.Dataset, error) {
	if flag == "" {
		return t.Datasets(), nil
	}
	ds, err := databench.ParseDataset(flag)
	if err != nil {
		return nil, err
	}
	for _, d := range t.Datasets() {
		if d == ds {
			return []databench.Dataset{ds}, nil
		}
	}
	return nil, fmt.Errorf("bench: %s has no results for --dataset %s (valid: %v)", t.Kind(), ds, t.Datasets())
}
