package darts

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/nasx/nasx/configs"
	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
)

func parse(t *testing.T, args ...string) (*Options, error) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	var got *Options
	cmd := NewCmdDarts(&cli.Factory{IOStreams: ios}, func(o *Options) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(&strings.Builder{})
	cmd.SetErr(&strings.Builder{})
	err := cmd.Execute()
	return got, err
}

func TestNewCmdDartsPrecedence(t *testing.T) {
	// defaults
	o, err := parse(t, "--out", "r")
	if err != nil {
		t.Fatal(err)
	}
	if o.Config != configs.DefaultSearch() {
		t.Errorf("no flags: %+v, want DefaultSearch", o.Config)
	}
	// preset, then flags over it
	o, err = parse(t, "--config", "search_smoke", "--epochs", "7", "--mim", "--patch-size", "8", "--out", "r")
	if err != nil {
		t.Fatal(err)
	}
	c := o.Config
	if c.Dataset != "synthetic" || c.Layers != 3 || c.Epochs != 7 || c.Task != "cls_mask" || c.PatchSize != 8 || c.InitChannels != 4 {
		t.Errorf("preset + flags: %+v", c)
	}
}

func TestNewCmdDartsErrors(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		want  string
		usage bool
	}{
		{[]string{"--out", "r", "--space", "nb101"}, `invalid argument "nb101"`, false}, // the root makes parse errors usage errors
		{[]string{"--epochs", "3"}, "--out is required", true},
		{[]string{"--out", "r", "--mim", "--task", "cls"}, "--mim means --task cls_mask", true},
		{[]string{"--out", "r", "--init-channels", "3"}, "init_channels: got 3, want an even number in [2, 1024]", false},
		{[]string{"--out", "r", "--resume", "--config", "search_smoke"}, "do not pass --config", true},
	} {
		_, err := parse(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
			continue
		}
		if isUsage := cli.IsFlagError(err); isUsage != tc.usage {
			t.Errorf("%v: usage error %v, want %v", tc.args, isUsage, tc.usage)
		}
	}
}

// TestEveryFlagHasAConfigKey: each config flag sets the JSON key named
// after it (- → _), and every settable key of configs.Search has a flag
// or is file-only by design.
func TestEveryFlagHasAConfigKey(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	cmd := NewCmdDarts(&cli.Factory{IOStreams: ios}, nil)
	var keys map[string]any
	b, _ := json.Marshal(configs.Search{Note: "x", DataDir: "x", Bench: "x", SyntheticSize: 1})
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	flagOnly := map[string]bool{"config": true, "out": true, "resume": true, "json": true, "mim": true, "help": true}
	var o Options
	fields := flagFields(&o.Config, &o.flags)
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if flagOnly[f.Name] {
			return
		}
		key := strings.ReplaceAll(f.Name, "-", "_")
		if _, ok := keys[key]; !ok {
			t.Errorf("flag --%s has no config key %q", f.Name, key)
		}
		if _, ok := fields[f.Name]; !ok {
			t.Errorf("flag --%s is not copied into the config by resolveConfig", f.Name)
		}
	})
	// file-only keys: presets set them; DARTS' other optimiser constants
	fileOnly := map[string]bool{"note": true, "momentum": true, "weight_decay": true, "grad_clip": true,
		"arch_beta1": true, "arch_beta2": true, "arch_weight_decay": true, "synthetic_size": true}
	for k := range keys {
		if fileOnly[k] {
			continue
		}
		if cmd.Flags().Lookup(strings.ReplaceAll(k, "_", "-")) == nil {
			t.Errorf("config key %q has no flag", k)
		}
	}
}
