//go:build unix

package numtest

import (
	"syscall"
	"time"
)

// CPUTime returns the user plus system CPU time this process has used so far, over all its threads, or 0
// where the platform does not report it.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
