package atomicio

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestLockDirExcludesASecondHolder(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("output folders are locked on Unix only")
	}
	dir := filepath.Join(t.TempDir(), "run")
	unlock, err := LockDir(dir) // creates the folder
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to open files, so a second open in this process
	// conflicts as a second process would.
	_, err = LockDir(dir)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second LockDir: err = %v, want ErrLocked", err)
	}
	if want := fmt.Sprintf("pid %d", os.Getpid()); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q should name the folder and %q", err, want)
	}
	unlock()
	unlock2, err := LockDir(dir)
	if err != nil {
		t.Fatalf("LockDir after unlock: %v", err)
	}
	unlock2()
}

func TestLockDirRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "checkpoint")
	os.Mkdir(sub, 0o755)
	stale := []string{filepath.Join(dir, ".metrics.jsonl.tmp-123456"), filepath.Join(sub, ".train.safetensors.tmp-9")}
	keep := []string{
		filepath.Join(dir, "metrics.jsonl"),
		filepath.Join(dir, ".notes.tmp-draft"),   // not a number: not ours
		filepath.Join(dir, "x.tmp-12"),           // no leading dot
		filepath.Join(dir, "a", "b", ".c.tmp-1"), // deeper than one level
		filepath.Join(dir, ".tmp-5"),             // no name before .tmp-
	}
	for _, p := range append(stale, keep...) {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	unlock, err := LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	for _, p := range stale {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: stale temporary file kept (%v)", p, err)
		}
	}
	for _, p := range keep {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: removed, but it is not a temporary file of Write: %v", p, err)
		}
	}
}

// The temporary file Write really makes has the form isTemp recognises.
func TestWriteTempNamesAreRecognised(t *testing.T) {
	var name string
	err := Write(filepath.Join(t.TempDir(), "result.json"), 0o644, func(w io.Writer) error {
		name = filepath.Base(w.(*os.File).Name())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !isTemp(name) {
		t.Errorf("isTemp(%q) = false for Write's own temporary file", name)
	}
}
