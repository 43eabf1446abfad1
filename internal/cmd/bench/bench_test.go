package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
)

func testEnv() (*Env, *bytes.Buffer, *bytes.Buffer) {
	ios, _, out, errOut := iostreams.Test()
	return &Env{IO: ios, Getenv: func(string) string { return "" }}, out, errOut
}

// TestNewCmdBest covers argv → BestOptions, through runF.
func TestNewCmdBest(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		want    BestOptions
		wantErr string
	}{
		{"defaults", "nasbench201", BestOptions{Kind: "nasbench201", Metric: "val", K: 1}, ""},
		{"all flags", "nasbench101 --dataset cifar10 --metric test -k 5 --json", BestOptions{Kind: "nasbench101", Dataset: "cifar10", Metric: "test", K: 5, JSON: true}, ""},
		{"bad metric", "nasbench201 --metric train", BestOptions{}, "valid values are {val|test}"},
		{"bad dataset", "nasbench201 --dataset mnist", BestOptions{}, "valid values are"},
		{"bad kind", "nasbench301", BestOptions{}, `unknown "nasbench301"`},
		{"bad k", "nasbench201 -k 0", BestOptions{}, "-k must be >= 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _, _ := testEnv()
			var got *BestOptions
			cmd := NewCmdBest(env, func(o *BestOptions) error { got = o; return nil })
			cmd.SetArgs(strings.Fields(tt.args))
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cli.FlagErrorWrap(err) })
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if !cli.IsFlagError(err) {
					t.Errorf("error %v is not a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.Env = nil
			if *got != tt.want {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestNewCmdQueryAndExport(t *testing.T) {
	env, _, _ := testEnv()
	var q *QueryOptions
	cmd := NewCmdQuery(env, func(o *QueryOptions) error { q = o; return nil })
	cmd.SetArgs([]string{"nasbench201", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "-d", "imagenet16", "--json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if q.Kind != "nasbench201" || q.Key != "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|" || q.Dataset != "imagenet16" || !q.JSON {
		t.Errorf("query options = %+v", *q)
	}
	cmd = NewCmdQuery(env, func(*QueryOptions) error { return nil })
	cmd.SetArgs([]string{"nasbench201"})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); !cli.IsFlagError(err) {
		t.Errorf("query without a key: error = %v, want a usage error", err)
	}
	var e *ExportOptions
	cmd = NewCmdExport(env, func(o *ExportOptions) error { e = o; return nil })
	cmd.SetArgs([]string{"nasbench101", "--format", "jsonl", "-o", "x.jsonl"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if e.Format != "jsonl" || e.Output != "x.jsonl" || e.Dataset != "cifar10" {
		t.Errorf("export options = %+v", *e)
	}
}

// TestBestRunTiny runs `best` and `query` on the committed TFRecord fixture.
func TestBestRunTiny(t *testing.T) {
	env, out, errOut := testEnv()
	env.Bench = "../../../data/bench/testdata/nb101_tiny.tfrecord"
	env.NoCache = true
	if err := bestRun(&BestOptions{Env: env, Kind: "nasbench101", Metric: "test", K: 6, JSON: true}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), `"index"`); n != 6 {
		t.Errorf("best -k 6 printed %d records:\n%s", n, out)
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr: %s", errOut)
	}
	out.Reset()
	if err := queryRun(&QueryOptions{Env: env, Kind: "nasbench101", Key: "2", Dataset: "cifar10", JSON: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"index": 2`) || !strings.Contains(out.String(), `"flops"`) {
		t.Errorf("query output:\n%s", out)
	}
	// By hash: the fixture's cell 2 (see data/bench/testdata/nb101_tiny.expected.json).
	var rec struct {
		Arch string `json:"arch"`
	}
	json.Unmarshal(out.Bytes(), &rec)
	out.Reset()
	if err := queryRun(&QueryOptions{Env: env, Kind: "nasbench101", Key: rec.Arch, Dataset: "cifar10"}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(strings.Fields(out.String()), " "); rec.Arch == "" || !strings.Contains(got, "index 2 arch "+rec.Arch) {
		t.Errorf("query by hash %q:\n%s", rec.Arch, out)
	}
	if err := queryRun(&QueryOptions{Env: env, Kind: "nasbench101", Key: "0", Dataset: "cifar100"}); err == nil || !strings.Contains(err.Error(), "no results for --dataset cifar100") {
		t.Errorf("query on cifar100: error = %v", err)
	}
	if _, err := os.Stat(env.Bench); err != nil {
		t.Fatal(err)
	}
}
