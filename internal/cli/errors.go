package cli

import (
	"errors"
	"fmt"
)

// ExitCode is the process exit status of nasx.
type ExitCode int

// Exit codes: 0 success, 1 error, 2 usage error, 130 interrupted.
const (
	ExitOK        ExitCode = 0
	ExitError     ExitCode = 1
	ExitUsage     ExitCode = 2
	ExitInterrupt ExitCode = 130
)

// FlagError is a usage error: a bad flag, a bad argument count, an unknown
// enum value. Only these print the usage, and they exit with status 2.
type FlagError struct{ err error }

func (e *FlagError) Error() string { return e.err.Error() }
func (e *FlagError) Unwrap() error { return e.err }

// FlagErrorf returns a usage error formatted like fmt.Errorf.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{fmt.Errorf(format, args...)}
}

// FlagErrorWrap marks err as a usage error.
func FlagErrorWrap(err error) error {
	if err == nil {
		return nil
	}
	return &FlagError{err}
}

// IsFlagError reports whether err is a usage error.
func IsFlagError(err error) bool {
	var fe *FlagError
	return errors.As(err, &fe)
}
