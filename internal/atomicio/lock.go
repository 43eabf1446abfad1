package atomicio

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// lockFile is the name of the lock LockDir holds in a run's folder.
const lockFile = ".nasx.lock"

// ErrLocked is returned (wrapped) by LockDir when another process holds the
// folder's lock.
var ErrLocked = errors.New("in use by another nasx run")

// LockDir creates dir if needed and takes an exclusive lock on it for this
// process, so that two runs never write one output folder at once. The lock
// is an advisory flock on dir/.nasx.lock, which records the holder's pid; the
// kernel drops it when the process exits, however it ends, so a killed run
// leaves no stale lock. With the lock held no other nasx run writes into dir,
// so LockDir then removes the temporary files a killed run left behind
// (Write's ".NAME.tmp-*", in dir and its direct subfolders).
//
// If another process holds the lock, the error wraps ErrLocked and names dir
// and the holder's pid; other errors are the file system's, which name their
// path. Callers add the flag. unlock releases the lock; the file itself stays.
func LockDir(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !held {
		b, _ := os.ReadFile(path)
		f.Close()
		holder := "another process"
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			holder = fmt.Sprintf("pid %d", pid)
		}
		return nil, fmt.Errorf("%s is %w (%s, lock %s): wait for it to finish, or choose another output folder", dir, ErrLocked, holder, path)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	removeStaleTemps(dir)
	return func() {
		unlockFile(f)
		f.Close()
	}, nil
}

// removeStaleTemps removes Write's temporary files in dir and its direct
// subfolders. Errors are ignored: a leftover file costs disk, nothing else.
func removeStaleTemps(dir string) {
	for _, pattern := range []string{filepath.Join(dir, tempPattern), filepath.Join(dir, "*", tempPattern)} {
		m, _ := filepath.Glob(pattern)
		for _, p := range m {
			if !isTemp(filepath.Base(p)) {
				continue
			}
			if st, err := os.Lstat(p); err == nil && st.Mode().IsRegular() {
				os.Remove(p)
			}
		}
	}
}

// isTemp reports whether name has the exact form of Write's temporary files,
// "." + NAME + ".tmp-" + the decimal number os.CreateTemp puts for "*".
func isTemp(name string) bool {
	i := strings.LastIndex(name, ".tmp-")
	if !strings.HasPrefix(name, ".") || i < 2 || i+5 == len(name) {
		return false
	}
	for _, c := range name[i+5:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
