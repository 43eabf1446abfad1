package bench

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// openLogged opens path with caches in dir and returns the table and the
// log lines.
func openLogged(t *testing.T, path, dir string) (Table, []string) {
	t.Helper()
	var logs []string
	tb, err := Open(path, Options{CacheDir: dir, Logf: func(f string, a ...any) {
		logs = append(logs, strings.TrimSpace(strings.ReplaceAll(fmt.Sprintf(f, a...), "\n", " ")))
	}})
	if err != nil {
		t.Fatal(err)
	}
	return tb, logs
}

func cacheFile(t *testing.T, dir string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.nasx-cache"))
	if len(m) != 1 {
		t.Fatalf("want one cache file in %s, got %v", dir, m)
	}
	return m[0]
}

func TestCacheRoundTrip(t *testing.T) {
	for _, src := range []struct{ name, path string }{
		{"nb201", ""}, // written below
		{"tfrecord", "testdata/nb101_tiny.tfrecord"},
	} {
		t.Run(src.name, func(t *testing.T) {
			path := src.path
			if path == "" {
				path = writeTemp(t, "nb201.json", writeNB201(t, tinyNB201(t, 9)))
			}
			dir := t.TempDir()
			first, logs := openLogged(t, path, dir)
			if len(logs) != 0 {
				t.Errorf("first load logged %q", logs)
			}
			cf := cacheFile(t, dir)
			second, logs := openLogged(t, path, dir)
			if len(logs) != 0 {
				t.Errorf("cached load logged %q", logs)
			}
			if !sameTable(t, first, second) {
				t.Errorf("cached table differs from the decoded one")
			}
			// The second load really read the cache: with the cache gone
			// bad, the load logs a rebuild.
			patch(t, cf, cacheHeader+3, 0xff)
			if _, logs := openLogged(t, path, dir); len(logs) != 1 {
				t.Errorf("load with a corrupt cache logged %q, want one rebuild line", logs)
			}
		})
	}
}

// TestCacheRebuild corrupts the cache in each way the loader must catch; each
// time the load still succeeds, logs why it rebuilt, and rewrites a good
// cache.
func TestCacheRebuild(t *testing.T) {
	path := writeTemp(t, "nb201.json", writeNB201(t, tinyNB201(t, 5)))
	tests := []struct {
		name   string
		break_ func(t *testing.T, cf string)
		want   string
	}{
		{"flipped payload byte", func(t *testing.T, cf string) { patch(t, cf, cacheHeader+100, 0x5a) }, "checksum"},
		{"truncated", func(t *testing.T, cf string) { os.Truncate(cf, 1000) }, "payload"},
		{"header only", func(t *testing.T, cf string) { os.Truncate(cf, 10) }, "header truncated"},
		{"other version", func(t *testing.T, cf string) {
			b, _ := os.ReadFile(cf)
			binary.LittleEndian.PutUint32(b[8:], cacheVersion+1)
			os.WriteFile(cf, b, 0o644)
		}, "byte offset 8: written by cache format version 2, this nasx reads version 1"},
		{"bad magic", func(t *testing.T, cf string) { patch(t, cf, 0, 'X') }, "bad magic"},
		{"stale mtime", func(t *testing.T, cf string) {
			later := time.Now().Add(time.Hour)
			os.Chtimes(path, later, later)
		}, "stale"},
		{"stale content", func(t *testing.T, cf string) {
			b, _ := os.ReadFile(cf)
			binary.LittleEndian.PutUint32(b[32:], binary.LittleEndian.Uint32(b[32:])^1)
			os.WriteFile(cf, b, 0o644)
		}, "stale: source content hash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			want, _ := openLogged(t, path, dir)
			cf := cacheFile(t, dir)
			tt.break_(t, cf)
			got, logs := openLogged(t, path, dir)
			if len(logs) != 1 || !strings.Contains(logs[0], tt.want) || !strings.Contains(logs[0], cf) {
				t.Errorf("logs = %q, want one line naming %s and %q", logs, cf, tt.want)
			}
			if !sameTable(t, got, want) {
				t.Error("table after rebuild differs")
			}
			if _, logs := openLogged(t, path, dir); len(logs) != 0 {
				t.Errorf("load after rebuild logged %q, want a clean cache", logs)
			}
		})
	}
}

func patch(t *testing.T, path string, off int, v byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte{v}, int64(off)); err != nil {
		t.Fatal(err)
	}
}

// TestReadCacheOtherVersion checks the error itself (what nasx logs).
func TestReadCacheOtherVersion(t *testing.T) {
	path := writeTemp(t, "nb201.json", writeNB201(t, tinyNB201(t, 2)))
	dir := t.TempDir()
	openLogged(t, path, dir)
	cf := cacheFile(t, dir)
	b, _ := os.ReadFile(cf)
	binary.LittleEndian.PutUint32(b[8:], 99)
	os.WriteFile(cf, b, 0o644)
	k, err := keyOf(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = readCache(cf, k, KindNB201)
	if !errors.Is(err, ErrCache) || !strings.Contains(err.Error(), cf) || !strings.Contains(err.Error(), "version 99") {
		t.Errorf("readCache error = %v", err)
	}
	// A cache of the other kind is refused too.
	if _, err := readCache(cf, k, KindNB101); !errors.Is(err, ErrCache) {
		t.Errorf("readCache(kind nb101) error = %v", err)
	}
}

// TestCacheFallback: with no CacheDir, the cache goes beside the source, or
// to UserCacheDir when the source folder is read-only.
func TestCacheFallback(t *testing.T) {
	src := t.TempDir()
	path := filepath.Join(src, "nb201.json")
	os.WriteFile(path, writeNB201(t, tinyNB201(t, 2)), 0o644)
	if _, err := Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".nasx-cache"); err != nil {
		t.Errorf("no cache beside the source: %v", err)
	}
	os.Remove(path + ".nasx-cache")
	if os.Getuid() == 0 {
		t.Skip("running as root: a read-only folder is still writable")
	}
	os.Chmod(src, 0o555)
	defer os.Chmod(src, 0o755)
	user := t.TempDir()
	if _, err := Open(path, Options{UserCacheDir: user}); err != nil {
		t.Fatal(err)
	}
	cacheFile(t, user)
}

func TestDetectAndLocate(t *testing.T) {
	p := writeTemp(t, "junk.bin", []byte("hello, not a benchmark"))
	if _, err := Open(p, Options{}); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "nasbench201_with_edge_flops_and_params.json") {
		t.Errorf("Open(junk) error = %v", err)
	}
	_, err := Locate(KindNB201, "", t.TempDir())
	if !errors.Is(err, ErrNoBenchmark) {
		t.Fatalf("Locate error = %v", err)
	}
	for _, w := range []string{"searched:", "drive.google.com/file/d/1MeYtWM2n-ZlUDvDyvby1lVj3hA71kZ28", "e462fa2dbff708a0d8e3f8c2bdcd5d843355d9db01cb62c5532331ad0b8ca7af", "ff051bbe69e50490f8092dfc5d020675ed44e932d13619da0b6cc941f77b9c32"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Locate error lacks %q:\n%v", w, err)
		}
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "nasbench201"), 0o755)
	want := filepath.Join(dir, "nasbench201", "nasbench201_with_edge_flops_and_params.json.gz")
	os.WriteFile(want, nil, 0o644)
	if got, err := Locate(KindNB201, "", "", dir); err != nil || got != want {
		t.Errorf("Locate = %q, %v; want %q", got, err, want)
	}
}

// sameTable compares two tables through their cache payloads, bit for bit
// (reflect.DeepEqual would call the NaN of absent latencies unequal).
func sameTable(t *testing.T, a, b Table) bool {
	t.Helper()
	enc := func(x Table) []byte {
		var buf bytes.Buffer
		w := newBinWriter(&buf)
		x.(payloadWriter).writePayload(w)
		if err := w.flush(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	return bytes.Equal(enc(a), enc(b))
}

// TestCachePortablePath runs the element-by-element conversion that
// big-endian hosts use: on this host it must write the very same cache bytes
// as the raw-memory path, and read them back into the same table.
func TestCachePortablePath(t *testing.T) {
	path := writeTemp(t, "nb201.json", writeNB201(t, tinyNB201(t, 9)))
	rawDir, portDir := t.TempDir(), t.TempDir()
	first, _ := openLogged(t, path, rawDir)
	if !nativeLE {
		t.Skip("host is big-endian: the raw-memory path is the portable one")
	}
	nativeLE = false
	defer func() { nativeLE = true }()
	openLogged(t, path, portDir) // writes the cache through writeWords' conversion
	want, err := os.ReadFile(cacheFile(t, rawDir))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(cacheFile(t, portDir))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("portable cache (%d bytes) differs from the raw-memory cache (%d bytes)", len(got), len(want))
	}
	second, logs := openLogged(t, path, portDir) // reads it through readWords' conversion
	if len(logs) != 0 {
		t.Errorf("cached load logged %q", logs)
	}
	if !sameTable(t, first, second) {
		t.Errorf("table read through the portable path differs from the decoded one")
	}
}
