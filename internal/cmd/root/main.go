package root

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/nasx/nasx/internal/cli"
	"github.com/nasx/nasx/internal/iostreams"
)

// Main runs nasx with os.Args and returns the exit code.
func Main() cli.ExitCode {
	f := &cli.Factory{IOStreams: iostreams.System(), Now: time.Now, Getenv: os.Getenv}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, f, os.Args[1:])
}

// Run executes the root command with args and maps the outcome to an exit
// code, printing any error to f.IOStreams.ErrOut.
func Run(ctx context.Context, f *cli.Factory, args []string) (code cli.ExitCode) {
	root := NewCmdRoot(f)
	root.SetArgs(args)
	root.SetIn(f.IOStreams.In)
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.ErrOut)
	defer func() {
		// No panic may escape to the user: report it as an internal error.
		if r := recover(); r != nil {
			fmt.Fprintf(f.IOStreams.ErrOut, "nasx: internal error: %v\nplease report this with the command you ran\n", r)
			code = cli.ExitError
		}
	}()
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return cli.ExitOK
	}
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		fmt.Fprintln(f.IOStreams.ErrOut, "nasx: interrupted")
		return cli.ExitInterrupt
	}
	if cli.IsFlagError(err) || isCobraUsageError(err) {
		fmt.Fprintf(f.IOStreams.ErrOut, "nasx: %v\n", err)
		if cmd != nil {
			fmt.Fprintf(f.IOStreams.ErrOut, "\n%s", cmd.UsageString())
		}
		return cli.ExitUsage
	}
	fmt.Fprintf(f.IOStreams.ErrOut, "nasx: %v\n", err)
	return cli.ExitError
}

// isCobraUsageError recognises the errors cobra itself returns for unknown
// commands and flags, which carry no type.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "invalid argument", "flag needs an argument", "required flag", "accepts ", "requires at least", "if any flags in the group", "none of the others can be"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
