package hash

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
	"github.com/nasx/nasx/internal/sharedtest"
)

func newFactory() (*cli.Factory, *iostreams.IOStreams) {
	ios, _, _, _ := iostreams.Test()
	return &cli.Factory{IOStreams: ios, Now: time.Now, Getenv: os.Getenv}, ios
}

func TestNewCmdHash(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    string // JSONL
		wantErr string
	}{
		{"stdin default", []string{"nasbench101"}, "-", ""},
		{"file", []string{"nasbench101", "--jsonl", "x.jsonl"}, "x.jsonl", ""},
		{"unknown space", []string{"nasbench201"}, "", `unknown "nasbench201"`},
		{"no space", []string{}, "", "want {nasbench101}"},
		{"empty file", []string{"nasbench101", "--jsonl", ""}, "", "empty file name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := newFactory()
			var got *Options
			cmd := NewCmdHash(f, func(o *Options) error { got = o; return nil })
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
			if got.JSONL != tt.want || got.Space != "nasbench101" {
				t.Errorf("opts = %+v, want JSONL %q", got, tt.want)
			}
		})
	}
}

// TestHashRunShared1k hashes all 1,000 cells of the shared file and compares
// unique_hash and trainable_parameters with the recorded ones, in order.
func TestHashRunShared1k(t *testing.T) {
	p := sharedtest.Path(t, "nasbench101/nb101_1k_hashes.jsonl")
	_, ios := newFactory()
	out := ios.Out.(interface{ String() string })
	if err := hashRun(&Options{IO: ios, Space: "nasbench101", JSONL: p}); err != nil {
		t.Fatal(err)
	}
	gotLines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	i := 0
	for sc.Scan() {
		var want Line
		if err := json.Unmarshal(sc.Bytes(), &want); err != nil {
			t.Fatal(err)
		}
		if i >= len(gotLines) {
			t.Fatalf("%d output lines, want more", len(gotLines))
		}
		var got Line
		if err := json.Unmarshal([]byte(gotLines[i]), &got); err != nil {
			t.Fatalf("output line %d %q: %v", i+1, gotLines[i], err)
		}
		if got != want {
			t.Errorf("line %d: got %+v, want %+v", i+1, got, want)
		}
		i++
	}
	if i != 1000 || len(gotLines) != 1000 {
		t.Fatalf("%d input and %d output lines, want 1000 each", i, len(gotLines))
	}
}

func TestHashRunStdinAndErrors(t *testing.T) {
	good := `{"module_adjacency":[[0,1,0],[0,0,1],[0,0,0]],"module_operations":["input","conv3x3-bn-relu","output"]}`
	tests := []struct {
		name, in string
		wantOut  int
		wantErr  []string
	}{
		{"good with blank line", good + "\n\n" + good + "\n", 2, nil},
		{"no final newline", good, 1, nil},
		{"truncated JSON", good + "\n" + good[:40] + "\n", 1, []string{"<stdin>: line 2:", "invalid JSON"}},
		{"missing ops", good + "\n" + `{"module_adjacency":[[0,1],[0,0]]}`, 1, []string{"line 2:", "missing field module_operations"}},
		{"missing matrix", `{"module_operations":["input","output"]}`, 0, []string{"line 1:", "missing field module_adjacency"}},
		{"lower triangular", "\n" + `{"module_adjacency":[[0,1,0],[0,0,0],[0,1,0]],"module_operations":["input","conv3x3-bn-relu","output"]}`, 0, []string{"line 2:", "matrix[2][1]", "upper-triangular"}},
		{"unknown op", `{"module_adjacency":[[0,1,0],[0,0,1],[0,0,0]],"module_operations":["input","conv5x5","output"]}`, 0, []string{"line 1:", "vertex 1", `"conv5x5"`}},
		{"not an object", `[1,2]`, 0, []string{"line 1:", "invalid JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, in, out, _ := iostreams.Test()
			in.WriteString(tt.in)
			err := hashRun(&Options{IO: ios, Space: "nasbench101", JSONL: "-"})
			if n := strings.Count(out.String(), "\n"); n != tt.wantOut {
				t.Errorf("%d output lines, want %d:\n%s", n, tt.wantOut, out)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				// Equal records give equal lines.
				lines := strings.Split(strings.TrimSpace(out.String()), "\n")
				for _, l := range lines {
					if l != lines[0] || !strings.HasPrefix(l, `{"unique_hash":"`) {
						t.Errorf("line %q, want %q", l, lines[0])
					}
				}
				return
			}
			if err == nil {
				t.Fatalf("hashRun(%q) = nil, want error", tt.in)
			}
			for _, m := range tt.wantErr {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

func TestHashRunMissingFile(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	p := filepath.Join(t.TempDir(), "nope.jsonl")
	err := hashRun(&Options{IO: ios, Space: "nasbench101", JSONL: p})
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("hashRun(missing) = %v, want an error naming %s", err, p)
	}
}
