package sample

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
	"github.com/nasx/nasx/searchspace"
)

func TestNewCmdSample(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    Options
		wantErr string
	}{
		{"defaults", []string{"nasbench201"}, Options{Space: "nasbench201", N: 10}, ""},
		{"flags", []string{"nasbench101", "-n", "3", "--seed", "42", "--json"}, Options{Space: "nasbench101", N: 3, Seed: 42, JSON: true}, ""},
		{"long count", []string{"nasbench201", "--count", "7"}, Options{Space: "nasbench201", N: 7}, ""},
		{"zero", []string{"nasbench201", "-n", "0"}, Options{}, "want ≥ 1"},
		{"negative seed", []string{"nasbench201", "--seed", "-1"}, Options{}, "invalid argument"},
		{"darts", []string{"darts"}, Options{}, `unknown "darts"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := &cli.Factory{IOStreams: ios, Now: time.Now, Getenv: os.Getenv}
			var got *Options
			cmd := NewCmdSample(f, func(o *Options) error { got = o; return nil })
			cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cli.FlagErrorWrap(err) })
			cmd.SetArgs(tt.args)
			cmd.SilenceUsage, cmd.SilenceErrors = true, true
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !cli.IsFlagError(err) {
					t.Fatalf("Execute(%q) = %v, want usage error containing %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.IO = nil
			if *got != tt.want {
				t.Errorf("opts = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func run(t *testing.T, o Options) string {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	o.IO = ios
	if err := sampleRun(&o); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestSampleRunNB201(t *testing.T) {
	a := run(t, Options{Space: "nasbench201", N: 20, Seed: 3})
	if b := run(t, Options{Space: "nasbench201", N: 20, Seed: 3}); a != b {
		t.Fatal("same seed, different output")
	}
	if c := run(t, Options{Space: "nasbench201", N: 20, Seed: 4}); a == c {
		t.Fatal("different seeds, same output")
	}
	lines := strings.Split(strings.TrimSuffix(a, "\n"), "\n")
	if len(lines) != 20 {
		t.Fatalf("%d lines, want 20", len(lines))
	}
	for _, l := range lines {
		if _, err := searchspace.ParseNB201(l); err != nil {
			t.Errorf("line %q: %v", l, err)
		}
	}
	j := run(t, Options{Space: "nasbench201", N: 20, Seed: 3, JSON: true})
	for i, l := range strings.Split(strings.TrimSuffix(j, "\n"), "\n") {
		var v struct{ Arch string }
		if err := json.Unmarshal([]byte(l), &v); err != nil || v.Arch != lines[i] {
			t.Errorf("JSON line %d = %q (%v), want arch %q", i, l, err, lines[i])
		}
	}
}

func TestSampleRunNB101(t *testing.T) {
	a := run(t, Options{Space: "nasbench101", N: 5, Seed: 1})
	lines := strings.Split(strings.TrimSuffix(a, "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines, want 5", len(lines))
	}
	for _, l := range lines {
		var v struct {
			searchspace.NB101Spec
			UniqueHash string `json:"unique_hash"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if h, err := v.Hash(); err != nil || h != v.UniqueHash {
			t.Errorf("line %q: Hash() = %s, %v", l, h, err)
		}
	}
}

// TestSampleRunMatchesLibrary checks that streaming one draw at a time gives
// the same sequence as one library call with the same seed.
func TestSampleRunMatchesLibrary(t *testing.T) {
	got := strings.Split(strings.TrimSuffix(run(t, Options{Space: "nasbench201", N: 50, Seed: 11}), "\n"), "\n")
	want := searchspace.SampleNB201(rand.New(rand.NewPCG(11, 11)), 50)
	for i := range want {
		if got[i] != want[i].String() {
			t.Fatalf("line %d = %q, want %q", i, got[i], want[i])
		}
	}
	got101 := strings.Split(strings.TrimSuffix(run(t, Options{Space: "nasbench101", N: 20, Seed: 11}), "\n"), "\n")
	want101 := searchspace.SampleNB101(rand.New(rand.NewPCG(11, 11)), 20)
	for i := range want101 {
		b, _ := json.Marshal(want101[i])
		if !strings.HasPrefix(got101[i], strings.TrimSuffix(string(b), "}")) {
			t.Fatalf("line %d = %s, want spec %s", i, got101[i], b)
		}
	}
}
