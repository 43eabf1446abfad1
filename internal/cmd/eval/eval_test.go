package eval

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/nasx/nasx/configs"
	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
)

func parse(t *testing.T, args ...string) (*Options, error) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	f := &cli.Factory{IOStreams: ios, Now: time.Now, Getenv: func(string) string { return "" }}
	var got *Options
	cmd := NewCmdEval(f, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cli.FlagErrorWrap(err) }) // as root does
	cmd.SetArgs(args)
	cmd.SetOut(&strings.Builder{})
	cmd.SetErr(&strings.Builder{})
	err := cmd.Execute()
	return got, err
}

func TestNewCmdEvalPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "c.json")
	if err := os.WriteFile(cfgPath, []byte(`{"epochs": 7, "lr": 0.05, "dataset": "cifar100"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := parse(t, "DARTS_V2", "--config", cfgPath, "--lr", "0.01", "--layers", "8")
	if err != nil {
		t.Fatal(err)
	}
	want := configs.DefaultEvalCIFAR()
	want.Dataset, want.Epochs, want.LR, want.Layers = "cifar100", 7, 0.01, 8
	if !reflect.DeepEqual(o.Config, want) {
		t.Errorf("config = %+v\nwant %+v", o.Config, want)
	}
	// The space and dataset choose the defaults.
	o, err = parse(t, "--space", "nasbench201", "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(o.Config, configs.DefaultEvalNB201()) {
		t.Errorf("nasbench201 config = %+v, want DefaultEvalNB201", o.Config)
	}
	o, err = parse(t, "DARTS_V1", "--dataset", "imagenet")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(o.Config, configs.DefaultEvalImageNet()) {
		t.Errorf("imagenet config = %+v, want DefaultEvalImageNet", o.Config)
	}
}

func TestNewCmdEvalErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"epoch": 7}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args  []string
		want  string
		usage bool
	}{
		{[]string{"DARTS_V2", "--dataset", "mnist"}, "mnist", true},
		{[]string{"DARTS_V2", "--schedule", "poly"}, "poly", true},
		{[]string{}, "", true},
		{[]string{"DARTS_V2", "--resume", "--dry-run"}, "--resume and --dry-run", true},
		{[]string{"DARTS_V2", "--lr", "-1"}, "lr: got -1, want > 0", false},
		{[]string{"DARTS_V2", "--epochs", "0", "--drop-path", "1"}, "drop_path: got 1", false},
		{[]string{"DARTS_V2", "--config", bad}, `unknown field "epoch"`, false},
		{[]string{"missing.json"}, "missing.json", false},
		{[]string{"--space", "nasbench201", "|bogus~0|"}, "nasbench201 arch", false},
		{[]string{"--space", "nasbench201", "--auxiliary", "x"}, "auxiliary", false},
	}
	for _, tt := range tests {
		_, err := parse(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want it to mention %q", tt.args, err, tt.want)
			continue
		}
		if cli.IsFlagError(err) != tt.usage {
			t.Errorf("%v: usage error = %v, want %v (%v)", tt.args, cli.IsFlagError(err), tt.usage, err)
		}
	}
}

// TestFlagsMatchConfig checks that every config flag exists, is listed in flagNames, and has a JSON key in
// configs.Eval (the flag name with _ for -), and that every JSON key has a flag.
func TestFlagsMatchConfig(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	cmd := NewCmdEval(&cli.Factory{IOStreams: ios}, nil)
	b, err := json.Marshal(configs.Eval{DataDir: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]any
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	for _, name := range flagNames {
		if cmd.Flags().Lookup(name) == nil {
			t.Errorf("flag --%s is missing", name)
		}
		if _, ok := keys[strings.ReplaceAll(name, "-", "_")]; !ok {
			t.Errorf("flag --%s has no config key", name)
		}
	}
	if len(keys) != len(flagNames) {
		t.Errorf("%d config keys, %d config flags", len(keys), len(flagNames))
	}
}
