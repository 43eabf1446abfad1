//go:build !unix

package atomicio

import "os"

// tryLock: off Unix, output folders are not locked (nasx's release builds are
// Linux); LockDir still sweeps temporary files.
func tryLock(*os.File) (bool, error) { return true, nil }

func unlockFile(*os.File) {}
