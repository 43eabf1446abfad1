package root

import (
	"context"
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
