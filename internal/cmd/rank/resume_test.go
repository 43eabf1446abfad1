package rank

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nasx/nasx/configs"
	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/ranker"
)

func TestResumeUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--resume"}, "--resume needs --out DIR"},
		{[]string{"--resume", "--out", "x", "--model", "m", "--predict"}, "--resume and --predict cannot be used together"},
	} {
		_, err := run(t, "nasbench201", tt.args...)
		var fe *cli.FlagError
		if err == nil || !strings.Contains(err.Error(), tt.want) || !asFlagError(err, &fe) {
			t.Errorf("%v: err = %v, want a usage error with %q", tt.args, err, tt.want)
		}
	}
	o, err := run(t, "nasbench201", "--resume", "--out", "x")
	if err != nil || !o.Resume || o.OutDir != "x" {
		t.Errorf("--resume --out x: %+v, %v", o, err)
	}
}

func TestConfigDiff(t *testing.T) {
	a := configs.DefaultRankNB201()
	b := a
	b.Search.TopK = []int{1, 3}
	b.Model.DModel = 64
	b.Seed = 1
	b.Epochs = 99          // may differ
	b.Note = "a comment"   // has no effect
	b.Train.MicroBatch = 0 // memory only: may differ
	got := configDiff("", reflect.ValueOf(a), reflect.ValueOf(b))
	want := []string{"seed: run 77777777, now 1", "model.d_model: run 128, now 64", "search.top_k: run [1 5], now [1 3]"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("configDiff = %q, want %q", got, want)
	}
	if d := configDiff("", reflect.ValueOf(a), reflect.ValueOf(a)); len(d) != 0 {
		t.Errorf("configDiff(a, a) = %q, want none", d)
	}
}

// checkOutDir: a fresh run over a checkpoint and --resume without one are
// refused before the benchmark loads; --resume compares config.json.
func TestCheckOutDir(t *testing.T) {
	dir := t.TempDir()
	cfg := configs.DefaultRankNB201()
	opts := &Options{OutDir: dir, Config: cfg}
	if err := checkOutDir(opts); err != nil {
		t.Fatalf("fresh run in an empty folder: %v", err)
	}
	opts.Resume = true
	if err := checkOutDir(opts); err == nil || !strings.Contains(err.Error(), "has no training checkpoint") {
		t.Errorf("--resume without a checkpoint: %v", err)
	}
	ck := ranker.DirCheckpointer{Dir: filepath.Join(dir, checkpointDir)}
	os.MkdirAll(ck.Dir, 0o755)
	os.WriteFile(ck.Path(0), []byte("state"), 0o644) // checkOutDir only looks for the file
	if err := checkOutDir(opts); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("--resume without config.json: %v", err)
	}
	if err := writeJSON(filepath.Join(dir, "config.json"), cfg); err != nil {
		t.Fatal(err)
	}
	opts.Config.Epochs = 80
	if err := checkOutDir(opts); err != nil {
		t.Errorf("--resume with more epochs: %v", err)
	}
	opts.Config.TrainSize = 500
	if err := checkOutDir(opts); err == nil || !strings.Contains(err.Error(), "train_size: run 1000, now 500") {
		t.Errorf("--resume with another train size: %v", err)
	}
	opts.Resume = false
	if err := checkOutDir(opts); err == nil || !strings.Contains(err.Error(), "pass --resume to continue it") {
		t.Errorf("fresh run over a checkpoint: %v", err)
	}
}

func TestResumeHint(t *testing.T) {
	for _, tt := range []struct {
		name    string
		saved   map[int]int
		last    int
		wrote   bool
		err     error
		members int
		want    string
	}{
		{"interrupted in training", map[int]int{0: 12}, 0, true, context.Canceled, 1, "holds the training state after epoch 12 of 55; run the same command with --resume"},
		{"member 1 interrupted", map[int]int{0: 55, 1: 3}, 1, true, context.Canceled, 3, "training state of ensemble member 1 after epoch 3 of 55"},
		{"between members", map[int]int{0: 55}, 0, true, context.Canceled, 3, "ensemble member 0's finished training; run the same command with --resume to continue with the next member"},
		{"in the search", map[int]int{0: 55}, 0, false, context.Canceled, 1, "training is complete in "},
		{"refused checkpoint", map[int]int{0: 55}, 0, false, errors.New("past the 50 epochs"), 1, ""},
		{"nothing saved", nil, 0, false, context.Canceled, 1, ""},
	} {
		c := &checkpoints{dir: ranker.DirCheckpointer{Dir: "run/checkpoint"}, saved: tt.saved, last: tt.last, wrote: tt.wrote}
		var b bytes.Buffer
		c.hint(&b, tt.err, 55, tt.members)
		if got := b.String(); (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: hint %q, want one with %q", tt.name, got, tt.want)
		}
	}
}
