package root

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/nasx/nasx/internal/atomicio"
	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
	"github.com/nasx/nasx/internal/sharedtest"
)

// TestMain lets testscript run nasx in-process as the "nasx" command.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"nasx": func() { os.Exit(int(Main())) },
	})
}

// TestScripts runs the end-to-end CLI scripts in testdata/script. Scripts
// see $SHARED, the shared data folder; a script needing it starts with
// `[!exists $SHARED/...] skip`.
func TestScripts(t *testing.T) {
	shared := sharedtest.Dir()
	if abs, err := filepath.Abs(shared); err == nil {
		shared = abs
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("SHARED", shared)
			env.Setenv("NASX_CACHE", filepath.Join(env.WorkDir, ".nasx-cache"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// lockdir DIR holds DIR's run lock until the script ends, as a
			// running nasx would.
			"lockdir": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: lockdir DIR")
				}
				unlock, err := atomicio.LockDir(ts.MkAbs(args[0]))
				ts.Check(err)
				ts.Defer(unlock)
			},
			// jsoneq A B KEY... checks that the JSON objects in files A and
			// B hold equal values under each top-level KEY.
			"jsoneq": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 3 {
					ts.Fatalf("usage: jsoneq A B KEY...")
				}
				var a, b map[string]json.RawMessage
				ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &a))
				ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[1])), &b))
				for _, k := range args[2:] {
					va, oka := a[k]
					vb, okb := b[k]
					if !oka || !okb {
						ts.Fatalf("key %q: in %s %v, in %s %v", k, args[0], oka, args[1], okb)
					}
					var ca, cb bytes.Buffer
					ts.Check(json.Compact(&ca, va))
					ts.Check(json.Compact(&cb, vb))
					if eq := bytes.Equal(ca.Bytes(), cb.Bytes()); eq == neg {
						ts.Fatalf("key %q: equal %v, want %v\n%s: %s\n%s: %s", k, eq, !neg, args[0], ca.Bytes(), args[1], cb.Bytes())
					}
				}
			},
		},
		Condition: func(cond string) (bool, error) {
			if p, ok := strings.CutPrefix(cond, "exists:"); ok {
				_, err := os.Stat(p)
				return err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want cli.ExitCode
	}{
		{"version", []string{"version"}, cli.ExitOK},
		{"unknown command", []string{"frobnicate"}, cli.ExitUsage},
		{"unknown flag", []string{"version", "--nope"}, cli.ExitUsage},
		{"extra arg", []string{"version", "x"}, cli.ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, errOut := iostreams.Test()
			f := &cli.Factory{IOStreams: ios, Now: time.Now, Getenv: os.Getenv}
			if got := Run(context.Background(), f, tt.args); got != tt.want {
				t.Errorf("Run(%q) = %d, want %d; stderr:\n%s", tt.args, got, tt.want, errOut)
			}
		})
	}
}
