package cost

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
	"github.com/nasx/nasx/searchspace"
)

// arch0 is NAS-Bench-201 index 0 (../shared/data/README.md).
const arch0 = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"

func TestNewCmdCost(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    Options
		wantErr string
	}{
		{"defaults", []string{"nasbench201", arch0}, Options{Space: "nasbench201", Arch: arch0, Dataset: "cifar10"}, ""},
		{"all flags", []string{"nasbench201", arch0, "--dataset", "imagenet16", "--detail", "--json"}, Options{Space: "nasbench201", Arch: arch0, Dataset: "imagenet16", Detail: true, JSON: true}, ""},
		{"unknown dataset", []string{"nasbench201", arch0, "--dataset", "imagenet"}, Options{}, "valid values are {cifar10|cifar100|imagenet16}"},
		{"unknown space", []string{"nasbench101", arch0}, Options{}, `unknown "nasbench101"`},
		{"missing arch", []string{"nasbench201"}, Options{}, "want nasbench201 <arch>"},
		{"extra arg", []string{"nasbench201", arch0, "x"}, Options{}, "up to 1 more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := &cli.Factory{IOStreams: ios, Now: time.Now, Getenv: os.Getenv}
			var got *Options
			cmd := NewCmdCost(f, func(o *Options) error { got = o; return nil })
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

func TestCostRunJSON(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	if err := costRun(&Options{IO: ios, Space: "nasbench201", Arch: arch0, Dataset: "cifar100", Detail: true, JSON: true}); err != nil {
		t.Fatal(err)
	}
	var r Result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	// cifar100_total_flops / cifar100_total_params of NAR's record 0
	// (../shared/data/nasbench201/nar_example_arch0.json).
	if r.Flops != 16320768 || r.Params != 135156 || r.Dataset != "cifar100" || r.Arch != arch0 {
		t.Errorf("result = %+v, want flops 16320768 params 135156 dataset cifar100", r)
	}
	if len(r.Cells) != 15 || r.Cells[5].Key != "cells6" || r.Cells[5].Flops[1] != 278528 {
		// cells6 edge 2<-0 (nor_conv_1x1 at C=32, 16×16): 32·32·256 + 2·32·256.
		t.Errorf("cells = %+v, want 15 cells, cells6 edge 1 = 278528 flops", r.Cells)
	}
}

func TestCostRunText(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	if err := costRun(&Options{IO: ios, Space: "nasbench201", Arch: arch0, Dataset: "cifar10"}); err != nil {
		t.Fatal(err)
	}
	// cifar10-valid totals of NAR's record 0.
	for _, want := range []string{"dataset  cifar10-valid", "flops    16315008", "params   129306"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out.String(), "cells0") {
		t.Errorf("output without --detail has per-cell rows:\n%s", out)
	}
	out.Reset()
	if err := costRun(&Options{IO: ios, Arch: arch0, Dataset: "imagenet16", Detail: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "cells16") || !strings.Contains(out.String(), "4x4") {
		t.Errorf("--detail output lacks cells16 at 4x4:\n%s", out)
	}
}

func TestCostRunBadArch(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	err := costRun(&Options{IO: ios, Arch: "|none~0|+|none~0|none~1|+|none~0|none~1|nor_conv_5x5~2|", Dataset: "cifar10"})
	if !errors.Is(err, searchspace.ErrUnknownOp) || !strings.Contains(err.Error(), "edge 3<-2") || !strings.Contains(err.Error(), "offset") {
		t.Errorf("costRun(bad op) = %v, want ErrUnknownOp naming edge 3<-2 and the offset", err)
	}
	if out.Len() != 0 {
		t.Errorf("stdout on error: %q", out)
	}
}
