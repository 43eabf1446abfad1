// Package iostreams holds the standard streams of a command, so that commands
// can be tested with in-memory buffers (the cli/cli IOStreams pattern).
//
// Results go to Out. Logs, warnings and progress bars go to ErrOut. Progress
// is drawn only when ErrOut is a terminal and the user did not ask for quiet.
package iostreams

import (
	"bytes"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// IOStreams are the streams a command reads from and writes to.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stderrTTY bool
	// Quiet hides progress bars even on a terminal.
	Quiet bool
}

// System returns the process's standard streams.
func System() *IOStreams {
	return &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
}

// Test returns streams backed by buffers: stdin, stdout and stderr.
// Stderr is not a terminal, so no progress bar is drawn.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// IsStderrTTY reports whether stderr is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStderrTTY overrides terminal detection (for tests).
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// ShowProgress reports whether progress bars should be drawn.
func (s *IOStreams) ShowProgress() bool { return s.stderrTTY && !s.Quiet }

// Progress returns a progress bar of max steps (-1: unknown) that writes to
// ErrOut, with an ETA, and that is invisible when ShowProgress is false.
func (s *IOStreams) Progress(max int64, description string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(s.ErrOut),
		progressbar.OptionSetVisibility(s.ShowProgress()),
		progressbar.OptionSetDescription(description),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionThrottle(100_000_000), // 100 ms between redraws
		progressbar.OptionClearOnFinish(),
	)
}
