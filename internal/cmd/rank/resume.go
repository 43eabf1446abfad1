package rank

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/nasx/nasx/configs"
	"github.com/nasx/nasx/ranker"
)

// checkpointDir is the folder of the training checkpoints inside --out.
const checkpointDir = "checkpoint"

// checkpoints is the run's ranker.Checkpointer: the files of
// ranker.DirCheckpointer, plus the bookkeeping of the command. A state
// loaded for resuming brings its per-epoch stats back into metrics.jsonl
// (which is thereby cut to the checkpoint's epochs); saved records the last
// saved epoch of each member for the hint after an interruption.
type checkpoints struct {
	dir     ranker.DirCheckpointer
	metrics *metricsFile
	errOut  io.Writer
	saved   map[int]int // member → completed epochs in its checkpoint
	last    int         // the member saved or loaded last
	wrote   bool        // whether this process saved a state
}

// Load implements ranker.Checkpointer.
func (c *checkpoints) Load(member int) (*ranker.TrainState, error) {
	st, err := c.dir.Load(member)
	if err != nil || st == nil {
		return st, err
	}
	c.note(member, st.Epoch)
	c.metrics.add(c.errOut, st.History...)
	return st, nil
}

// Save implements ranker.Checkpointer.
func (c *checkpoints) Save(member int, st *ranker.TrainState) error {
	if err := c.dir.Save(member, st); err != nil {
		return err
	}
	c.note(member, st.Epoch)
	c.wrote = true
	return nil
}

func (c *checkpoints) note(member, epoch int) {
	if c.saved == nil {
		c.saved = map[int]int{}
	}
	c.saved[member], c.last = epoch, member
}

// hint tells, after a run that err stopped, what the checkpoint holds and
// how to continue: after an interruption, or after any error once this
// process has saved a state (not when the checkpoint was refused).
func (c *checkpoints) hint(w io.Writer, err error, epochs, members int) {
	if len(c.saved) == 0 || !(c.wrote || errors.Is(err, context.Canceled)) {
		return
	}
	where := c.dir.Dir
	e := c.saved[c.last]
	if e == epochs && c.last+1 < members {
		fmt.Fprintf(w, "rank: %s holds ensemble member %d's finished training; run the same command with --resume to continue with the next member\n", where, c.last)
		return
	}
	if e < epochs {
		who := ""
		if c.last > 0 {
			who = fmt.Sprintf(" of ensemble member %d", c.last)
		}
		fmt.Fprintf(w, "rank: %s holds the training state%s after epoch %d of %d; run the same command with --resume to continue from there\n",
			where, who, e, epochs)
		return
	}
	fmt.Fprintf(w, "rank: training is complete in %s; run the same command with --resume to redo the held-out scoring and the search from the saved models\n", where)
}

// checkOutDir refuses to start afresh over a run's checkpoint, and to
// resume without one or with another configuration than the run's
// config.json (only epochs may differ; the library refuses fewer epochs
// than the checkpoint has done).
func checkOutDir(opts *Options) error {
	first := ranker.DirCheckpointer{Dir: filepath.Join(opts.OutDir, checkpointDir)}.Path(0)
	_, err := os.Stat(first)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("rank: --out %s: %w", opts.OutDir, err)
	}
	if !opts.Resume {
		if exists {
			return fmt.Errorf("rank: %s holds the training checkpoint of an earlier run (%s): pass --resume to continue it, or choose another --out", opts.OutDir, first)
		}
		return nil
	}
	if !exists {
		return fmt.Errorf("rank: --resume: %s has no training checkpoint (%s): run without --resume to start afresh", opts.OutDir, first)
	}
	p := filepath.Join(opts.OutDir, "config.json")
	saved, err := configs.LoadRank(p, configs.Rank{})
	if err != nil {
		return fmt.Errorf("rank: --resume: %w", err)
	}
	diffs := configDiff("", reflect.ValueOf(saved), reflect.ValueOf(opts.Config))
	if len(diffs) > 0 {
		return fmt.Errorf("rank: --resume: %s was written with another configuration (%s); resume with the run's flags and config file (only --epochs may be raised, and train.micro_batch changed), or start afresh in another --out",
			p, strings.Join(diffs, "; "))
	}
	return nil
}

// configDiff names (by dotted JSON key under prefix) the fields whose values
// differ between a and b, two configs.Rank values or parts of them; note,
// epochs and train.micro_batch (memory, not the training) are not compared.
func configDiff(prefix string, a, b reflect.Value) []string {
	var out []string
	for i := range a.NumField() {
		key := strings.Split(a.Type().Field(i).Tag.Get("json"), ",")[0]
		if prefix == "" && (key == "note" || key == "epochs") || prefix == "train." && key == "micro_batch" {
			continue
		}
		fa, fb := a.Field(i), b.Field(i)
		if fa.Kind() == reflect.Struct {
			out = append(out, configDiff(prefix+key+".", fa, fb)...)
			continue
		}
		if !reflect.DeepEqual(fa.Interface(), fb.Interface()) {
			out = append(out, fmt.Sprintf("%s%s: run %v, now %v", prefix, key, fa.Interface(), fb.Interface()))
		}
	}
	return out
}
