// Package sharedtest locates the real benchmark and image data in
// ../shared/data (relative to the module root) for tests. A test that needs
// a file calls Path, which skips the test with a clear message when the file
// is absent. NASX_SHARED_DATA overrides the folder.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the shared data folder, or "" when it cannot be found.
func Dir() string {
	if d := os.Getenv("NASX_SHARED_DATA"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(d), "shared", "data")
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// Path returns the path of rel inside the shared data folder, or skips tb
// when the file is not there.
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	d := Dir()
	p := filepath.Join(d, rel)
	if d == "" {
		tb.Skipf("shared data folder not found (want ../shared/data beside the module root, or NASX_SHARED_DATA); skipping test that needs %s", rel)
	}
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("shared data file %s is absent; skipping", p)
	}
	return p
}
