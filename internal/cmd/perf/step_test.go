package perf

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/nasx/nasx/configs"
	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
)

func parse(t *testing.T, args ...string) (*StepOptions, error) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	var got *StepOptions
	cmd := NewCmdStep(&cli.Factory{IOStreams: ios}, func(o *StepOptions) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(&strings.Builder{})
	cmd.SetErr(&strings.Builder{})
	err := cmd.Execute()
	return got, err
}

func TestNewCmdStepOptions(t *testing.T) {
	o, err := parse(t)
	if err != nil {
		t.Fatal(err)
	}
	// Defaults: the DARTS reference search (8 cells, C=16, batch 64), 5
	// timed steps after 1 warm-up, the dataset's image size.
	if o.Config != configs.DefaultSearch() || o.Steps != 5 || o.Warmup != 1 || o.ImageSize != 0 || o.JSON {
		t.Errorf("no flags: %+v", o)
	}
	if c := o.Config; c.Layers != 8 || c.InitChannels != 16 || c.BatchSize != 64 || c.Space != "darts" {
		t.Errorf("defaults are not the DARTS reference search: %+v", c)
	}
	o, err = parse(t, "--space", "nasbench201", "--layers", "5", "--init-channels", "8", "--batch-size", "32",
		"--image-size", "16", "--mim", "--unrolled", "--steps", "3", "--warmup", "0", "--seed", "9", "--json")
	if err != nil {
		t.Fatal(err)
	}
	c := o.Config
	if c.Space != "nasbench201" || c.Layers != 5 || c.InitChannels != 8 || c.BatchSize != 32 || c.Task != "cls_mask" ||
		!c.Unrolled || c.Seed != 9 || o.ImageSize != 16 || o.Steps != 3 || o.Warmup != 0 || !o.JSON {
		t.Errorf("flags: %+v, config %+v", o, c)
	}
}

func TestNewCmdStepErrors(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		want  string
		usage bool
	}{
		{[]string{"--space", "nb101"}, `invalid argument "nb101"`, false}, // the root makes parse errors usage errors
		{[]string{"--steps", "0"}, "--steps: got 0, want >= 1", true},
		{[]string{"--warmup", "-1"}, "--warmup: got -1, want >= 0", true},
		{[]string{"--image-size", "2"}, "--image-size: got 2", true},
		{[]string{"--train-portion", "1"}, "train_portion: got 1, want in (0, 1)", false}, // the α step needs a split
		{[]string{"--mim", "--task", "cls"}, "--mim means --task cls_mask", true},
		{[]string{"--init-channels", "3"}, "init_channels: got 3", false},
		{[]string{"--layers", "2"}, "layers: got 2, want in [3, 64]", false},
		{[]string{"extra"}, "", true},
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

// TestStepTinyRun runs the real command on a tiny DARTS supernet and checks
// the report: the phases add up to the total, the epoch projection is
// total × steps per epoch with CIFAR-10's split (50,000 × 0.5 / 2 = 12,500
// steps), and the pass count is DARTS first order's 2.
func TestStepTinyRun(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		passes int
		steps  int
	}{
		{[]string{"--layers", "3", "--init-channels", "4", "--batch-size", "2", "--image-size", "8", "--steps", "1"}, 2, 12500},
		// NB201, α-DARTS, second order on ImageNet16-120's split:
		// 151,700 × 0.5 / 4 = 18,962 (floor) steps; 5 passes per step.
		{[]string{"--space", "nasbench201", "--layers", "1", "--init-channels", "4", "--batch-size", "4", "--image-size", "8",
			"--dataset", "imagenet16", "--mim", "--unrolled", "--steps", "2", "--warmup", "0"}, 5, 18962},
	} {
		ios, _, stdout, _ := iostreams.Test()
		cmd := NewCmdStep(&cli.Factory{IOStreams: ios}, nil)
		cmd.SetArgs(append(tc.args, "--json"))
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		var r StepReport
		dec := json.NewDecoder(bytes.NewReader(stdout.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("%v: %v\n%s", tc.args, err, stdout)
		}
		s := r.StepMS
		if !(s.Forward > 0 && s.Backward >= 0 && s.Update > 0 && s.Total > 0) {
			t.Errorf("%v: step_ms %+v, want positive phases", tc.args, s)
		}
		if d := s.Forward + s.Backward + s.Update - s.Total; math.Abs(d) > 1e-6*s.Total && s.Backward > 0 {
			t.Errorf("%v: forward+backward+update = %v, total %v", tc.args, s.Forward+s.Backward+s.Update, s.Total)
		}
		if r.PassesPerStep != tc.passes || r.StepsPerEpoch != tc.steps {
			t.Errorf("%v: passes %d, steps/epoch %d; want %d, %d", tc.args, r.PassesPerStep, r.StepsPerEpoch, tc.passes, tc.steps)
		}
		if want := s.Total * float64(tc.steps) / 1000; math.Abs(r.EpochS-want) > 1e-9*want {
			t.Errorf("%v: epoch_s %v, want %v", tc.args, r.EpochS, want)
		}
		if want := r.EpochS * 50 / 3600; math.Abs(r.SearchH-want) > 1e-9*want {
			t.Errorf("%v: search_h %v, want %v", tc.args, r.SearchH, want)
		}
		// The process has run a Go test binary and a supernet: more than
		// 1 MiB, and far below the machine's memory.
		if r.PeakRSSMB != nil && !(*r.PeakRSSMB > 1 && *r.PeakRSSMB < 64<<10) {
			t.Errorf("%v: peak_rss_mb %v", tc.args, *r.PeakRSSMB)
		}
	}
}

func TestParseVmHWM(t *testing.T) {
	// An excerpt of a Linux /proc/self/status.
	st := "Name:\tnasx\nVmPeak:\t  912340 kB\nVmSize:\t  812340 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n"
	if mb, ok := parseVmHWM([]byte(st)); !ok || mb != 200 {
		t.Errorf("parseVmHWM = %v, %v; want 200 MiB", mb, ok)
	}
	for _, bad := range []string{"", "VmRSS:\t 1 kB\n", "VmHWM:\t x kB\n", "VmHWM:\t 12 MB\n"} {
		if _, ok := parseVmHWM([]byte(bad)); ok {
			t.Errorf("parseVmHWM(%q) ok", bad)
		}
	}
}
