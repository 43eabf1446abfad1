package rank

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
)

func run(t *testing.T, benchmark string, args ...string) (*Options, error) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	f := &cli.Factory{IOStreams: ios, Getenv: func(string) string { return "" }}
	var got *Options
	cmd := NewCmdBenchmark(f, benchmark, func(o *Options) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(ios.ErrOut)
	cmd.SetErr(ios.ErrOut)
	err := cmd.Execute()
	return got, err
}

func TestFlagPrecedence(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.json")
	os.WriteFile(p, []byte(`{"epochs": 7, "train_size": 500, "seed": 3}`), 0o644)
	o, err := run(t, "nasbench201", "--config", p, "--epochs", "9", "--dataset", "cifar100")
	if err != nil {
		t.Fatal(err)
	}
	c := o.Config
	// preset → file (train_size 500, seed 3) → changed flags (epochs 9).
	if c.Epochs != 9 || c.TrainSize != 500 || c.Seed != 3 || c.Dataset != "cifar100" || c.ValSize != 256 {
		t.Errorf("resolved %+v", c)
	}
	o, err = run(t, "nasbench101")
	if err != nil || o.Config.TrainSize != 4236 || o.Config.Epochs != 35 {
		t.Errorf("NB101 defaults: %+v, %v", o, err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--predict"}, "--predict needs --model"},
		{[]string{"--model", "x"}, "--model is only used with --predict"},
		{[]string{"6111"}, "need --predict"},
		{[]string{"--search"}, "--search needs --model DIR"},
		{[]string{"--model", "x", "--search", "--predict"}, "--predict and --search cannot be used together"},
		{[]string{"--model", "x", "--search", "--out", "o"}, "--search writes no run folder"},
	} {
		_, err := run(t, "nasbench201", tt.args...)
		var fe *cli.FlagError
		if err == nil || !strings.Contains(err.Error(), tt.want) || !asFlagError(err, &fe) {
			t.Errorf("%v: err = %v, want a usage error with %q", tt.args, err, tt.want)
		}
	}
	run1 := t.TempDir()
	os.MkdirAll(filepath.Join(run1, "model"), 0o755)
	os.WriteFile(filepath.Join(run1, "model", "model.safetensors"), nil, 0o644)
	for _, tt := range []struct{ dir, want string }{
		{filepath.Join(run1, "nosuch"), "no model.safetensors there"},
		{run1, "that is a run's folder; its model is " + filepath.Join(run1, "model")},
	} {
		if _, err := run(t, "nasbench201", "--model", tt.dir, "--search"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("--model %s --search: %v, want an error with %q", tt.dir, err, tt.want)
		}
	}
	if o, err := run(t, "nasbench201", "--model", filepath.Join(run1, "model"), "--search"); err != nil || !o.Search {
		t.Errorf("--model DIR/model --search: %+v, %v", o, err)
	}
	if _, err := run(t, "nasbench201", "--epochs", "-1"); err == nil || !strings.Contains(err.Error(), "epochs: got -1") {
		t.Errorf("--epochs -1: %v", err)
	}
}

// TestEveryFlagHasAConfigKey checks the style rule: the JSON key of a
// config flag is its name with '-' replaced by '_'.
func TestEveryFlagHasAConfigKey(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	cmd := NewCmdBenchmark(&cli.Factory{IOStreams: ios}, "nasbench201", nil)
	keys := map[string]bool{}
	rt := reflect.TypeOf(Options{}.Config)
	for i := range rt.NumField() {
		keys[strings.Split(rt.Field(i).Tag.Get("json"), ",")[0]] = true
	}
	notConfig := map[string]bool{"bench": true, "no-cache": true, "config": true, "out": true, "json": true, "model": true, "predict": true, "search": true, "resume": true,
		"mode": true} // --mode picks the preset the config applies to, as --config picks a file
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !notConfig[f.Name] && !keys[strings.ReplaceAll(f.Name, "-", "_")] {
			t.Errorf("flag --%s has no config key", f.Name)
		}
	})
}

func asFlagError(err error, target **cli.FlagError) bool {
	fe, ok := err.(*cli.FlagError)
	if ok {
		*target = fe
	}
	return ok
}

// --mode plus starts from the improved preset; files and flags still apply
// over it; an unknown mode is a usage error; NB101 has no --mode.
func TestModeFlag(t *testing.T) {
	o, err := run(t, "nasbench201", "--mode", "plus", "--epochs", "3")
	if err != nil {
		t.Fatal(err)
	}
	if c := o.Config; c.Ensemble < 2 || c.Verify == 0 || c.Train.Select != "val_tau" || c.Epochs != 3 {
		t.Errorf("--mode plus --epochs 3 resolved %+v", c)
	}
	if rc := runConfig(o.Config); rc.Ensemble != o.Config.Ensemble || rc.Verify != o.Config.Verify || rc.Train.Select != "val_tau" {
		t.Errorf("runConfig dropped the improved-mode fields: %+v", rc)
	}
	o, err = run(t, "nasbench201")
	if err != nil || o.Config.Ensemble != 0 || o.Config.Verify != 0 || o.Config.Train.Select != "" {
		t.Errorf("default mode: %+v, %v", o, err)
	}
	o, err = run(t, "nasbench201", "--mode", "fast", "--dataset", "cifar100")
	if err != nil || o.Config.Ensemble != 1 || o.Config.Verify == 0 || o.Config.Features != "onehot" || o.Config.Dataset != "cifar100" {
		t.Errorf("--mode fast: %+v, %v", o, err)
	}
	if _, err := run(t, "nasbench201", "--mode", "turbo"); err == nil || !strings.Contains(err.Error(), "turbo") {
		t.Errorf("--mode turbo: %v, want an error naming the value", err)
	}
	if _, err := run(t, "nasbench101", "--mode", "plus"); err == nil {
		t.Error("nasbench101 accepted --mode")
	}
}
