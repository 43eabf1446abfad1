// Package cli holds the nasx root command, the Factory shared by all
// commands, usage-error handling and the mapping of errors to exit codes.
//
// Commands live in internal/cmd/<name>/ and follow cli/cli's pattern: an
// options struct, NewCmdX(f, runF) that parses and validates, and xRun(opts)
// that calls one library function and writes the result to f.IOStreams.Out.
package cli

import (
	"time"

	"github.com/nasx/nasx/internal/iostreams"
)

// Factory carries what every command needs from its environment.
type Factory struct {
	IOStreams *iostreams.IOStreams
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Getenv reads the environment; tests replace it.
	Getenv func(string) string
}
