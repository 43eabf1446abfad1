package hash

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
	"github.com/nasx/nasx/searchspace"
)

// Options are the options of `nasx space hash`.
type Options struct {
	IO    *iostreams.IOStreams
	Space string
	// JSONL is the input file; "-" reads stdin.
	JSONL string
}

// Spaces are the names `nasx space hash` accepts.
var Spaces = []string{"nasbench101"}

// maxLine is the longest input line accepted. A 7×7 record is well under
// 1 KiB; records carrying NAR's per-vertex fields are about 2 KiB.
const maxLine = 16 << 20

// NewCmdHash returns `nasx space hash`. If runF is nil, hashRun runs.
func NewCmdHash(f *cli.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "hash nasbench101 [--jsonl {<file> | -}]",
		Short: "Compute NAS-Bench-101 unique hashes and parameter counts",
		Long: `Read NAS-Bench-101 cells as JSON lines, each an object with
module_adjacency and module_operations (other fields are ignored), and write
for each, in input order, one line {"unique_hash": ..., "trainable_parameters": ...}.
The hash is NAS-Bench-101's unique_hash of the pruned cell; the parameter count
is that of the NAS-Bench-101 network built on it. Blank lines are skipped.
A bad line stops the run with an error naming the file and the line.`,
		Example:   "  nasx space hash nasbench101 --jsonl cells.jsonl\n  nasx space sample nasbench101 -n 3 | nasx space hash nasbench101",
		Args:      cli.OneOfArgs(Spaces, 0),
		ValidArgs: Spaces,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Space = args[0]
			if opts.JSONL == "" {
				return cli.FlagErrorf("--jsonl: empty file name (use - for stdin)")
			}
			if runF != nil {
				return runF(opts)
			}
			return hashRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.JSONL, "jsonl", "-", "JSON-lines `file` of cells; - reads stdin")
	return cmd
}

// Line is one output line of `nasx space hash`.
type Line struct {
	UniqueHash          string `json:"unique_hash"`
	TrainableParameters int64  `json:"trainable_parameters"`
}

type record struct {
	Matrix *[][]int  `json:"module_adjacency"`
	Ops    *[]string `json:"module_operations"`
}

func hashRun(opts *Options) error {
	name, in := opts.JSONL, opts.IO.In
	if name == "-" {
		name = "<stdin>"
	} else {
		f, err := os.Open(opts.JSONL)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	w := bufio.NewWriter(opts.IO.Out)
	err := hashLines(in, w, name)
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	return err
}

// hashLines reads JSON lines from r and writes one Line per record to w.
func hashLines(r io.Reader, w io.Writer, name string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	n := 0
	for sc.Scan() {
		n++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		l, err := hashRecord(b)
		if err != nil {
			return fmt.Errorf("%s: line %d: %w", name, n, err)
		}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("%s: line %d: longer than %d bytes (want one JSON object per line)", name, n+1, maxLine)
		}
		return fmt.Errorf("%s: line %d: %w", name, n+1, err)
	}
	return nil
}

func hashRecord(b []byte) (Line, error) {
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		return Line{}, fmt.Errorf("invalid JSON: %w (want an object with module_adjacency and module_operations)", err)
	}
	if rec.Matrix == nil {
		return Line{}, fmt.Errorf("missing field module_adjacency")
	}
	if rec.Ops == nil {
		return Line{}, fmt.Errorf("missing field module_operations")
	}
	spec := searchspace.NB101Spec{Matrix: *rec.Matrix, Ops: *rec.Ops}
	c, err := searchspace.NB101Cost(spec)
	if err != nil {
		return Line{}, err
	}
	h, err := c.Spec.Hash()
	if err != nil {
		return Line{}, err
	}
	return Line{UniqueHash: h, TrainableParameters: c.TrainableParameters}, nil
}
