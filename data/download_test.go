package data

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testServer serves payload at /<name> with Range support (http.ServeContent)
// and records the Range headers it saw. If cutAt > 0, the first response
// stops after cutAt bytes and drops the connection. If noRange, it ignores
// Range and always sends the whole file.
type testServer struct {
	*httptest.Server
	mu      sync.Mutex
	ranges  []string
	served  int64
	cutOnce int
	noRange bool
}

// stats returns the bytes served and the Range headers seen so far.
func (ts *testServer) stats() (int64, []string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.served, append([]string(nil), ts.ranges...)
}

func newTestServer(t *testing.T, name string, payload []byte) *testServer {
	ts := &testServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/"+name {
			http.NotFound(w, r)
			return
		}
		ts.mu.Lock()
		ts.ranges = append(ts.ranges, r.Header.Get("Range"))
		cut := ts.cutOnce
		ts.cutOnce = 0
		noRange := ts.noRange
		ts.mu.Unlock()
		if noRange {
			r.Header.Del("Range")
		}
		if cut > 0 {
			w.Header().Set("Content-Length", "999999999")
			w.WriteHeader(http.StatusOK)
			w.Write(payload[:cut])
			ts.mu.Lock()
			ts.served += int64(cut)
			ts.mu.Unlock()
			panic(http.ErrAbortHandler) // drop the connection mid-body
		}
		cw := &countingWriter{ResponseWriter: w}
		http.ServeContent(cw, r, name, time.Time{}, bytes.NewReader(payload))
		ts.mu.Lock()
		ts.served += cw.n
		ts.mu.Unlock()
	}))
	t.Cleanup(ts.Close)
	return ts
}

type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n += int64(n)
	return n, err
}

func testRemote(payload []byte) Remote {
	s := md5.Sum(payload)
	return Remote{Dataset: "cifar10", URL: "https://example.invalid/x/cifar-10-binary.tar.gz", MD5: hex.EncodeToString(s[:]), Size: int64(len(payload))}
}

func testPayload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + i/7)
	}
	return b
}

func TestFetchFullAndExisting(t *testing.T) {
	payload := testPayload(3<<20 + 12345)
	r := testRemote(payload)
	ts := newTestServer(t, r.File(), payload)
	dst := filepath.Join(t.TempDir(), "sub", r.File())
	var last, total int64
	d := &Downloader{BaseURL: ts.URL, Progress: func(done, tot int64) { last, total = done, tot }}
	if err := d.Fetch(context.Background(), r, dst); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dst)
	if !bytes.Equal(got, payload) {
		t.Fatal("content differs")
	}
	if _, err := os.Stat(dst + ".part"); !os.IsNotExist(err) {
		t.Errorf("part file left: %v", err)
	}
	if last != int64(len(payload)) || total != int64(len(payload)) {
		t.Errorf("progress ended at %d/%d, want %d", last, total, len(payload))
	}
	// An existing complete file is verified, not downloaded again.
	before, _ := ts.stats()
	if err := d.Fetch(context.Background(), r, dst); err != nil {
		t.Errorf("second fetch: %v", err)
	}
	if after, _ := ts.stats(); after != before {
		t.Errorf("second fetch served %d more bytes", after-before)
	}
	// An existing file with the wrong content is reported, not trusted.
	os.WriteFile(dst, payload[:10], 0o644)
	if err := d.Fetch(context.Background(), r, dst); !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), dst) {
		t.Errorf("corrupt existing file: %v", err)
	}
}

// TestFetchResume: a dropped connection leaves a part file and no dst; the
// next Fetch asks only for the missing bytes.
func TestFetchResume(t *testing.T) {
	payload := testPayload(2<<20 + 777)
	r := testRemote(payload)
	ts := newTestServer(t, r.File(), payload)
	const cut = 1<<20 + 5
	ts.cutOnce = cut
	dst := filepath.Join(t.TempDir(), r.File())
	d := &Downloader{BaseURL: ts.URL}
	err := d.Fetch(context.Background(), r, dst)
	if err == nil || !strings.Contains(err.Error(), "run again to resume") {
		t.Fatalf("cut connection: %v", err)
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Fatal("a half-downloaded file was placed at dst")
	}
	fi, err := os.Stat(dst + ".part")
	if err != nil || fi.Size() == 0 || fi.Size() > cut {
		t.Fatalf("part: %v %v", fi, err)
	}
	kept := fi.Size()
	served, _ := ts.stats()
	if err := d.Fetch(context.Background(), r, dst); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, payload) {
		t.Fatal("resumed content differs")
	}
	after, ranges := ts.stats()
	if want := "bytes=" + itoa(kept) + "-"; ranges[len(ranges)-1] != want {
		t.Errorf("resume sent Range %q, want %q", ranges[len(ranges)-1], want)
	}
	if got := after - served; got != int64(len(payload))-kept {
		t.Errorf("resume transferred %d bytes, want %d", got, int64(len(payload))-kept)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestFetchNoRangeServerAndBadChecksum(t *testing.T) {
	payload := testPayload(100000)
	r := testRemote(payload)
	ts := newTestServer(t, r.File(), payload)
	ts.noRange = true
	dir := t.TempDir()
	dst := filepath.Join(dir, r.File())
	// A stale part from an earlier attempt, with wrong bytes.
	os.WriteFile(dst+".part", []byte("garbage"), 0o644)
	d := &Downloader{BaseURL: ts.URL}
	if err := d.Fetch(context.Background(), r, dst); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, payload) {
		t.Fatal("content differs after a 200 answer to a Range request")
	}
	// Wrong published MD5: nothing is placed and the part is deleted.
	bad := r
	bad.MD5 = strings.Repeat("0", 32)
	dst2 := filepath.Join(dir, "other", r.File())
	err := d.Fetch(context.Background(), bad, dst2)
	if !errors.Is(err, ErrChecksum) {
		t.Fatalf("bad md5: %v", err)
	}
	for _, p := range []string{dst2, dst2 + ".part"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists after a checksum failure", p)
		}
	}
	// Missing file on the server.
	d404 := &Downloader{BaseURL: ts.URL + "/nope"}
	if err := d404.Fetch(context.Background(), r, filepath.Join(dir, "x", r.File())); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("404: %v", err)
	}
}

func TestParseContentRange(t *testing.T) {
	for _, tt := range []struct {
		in          string
		start, size int64
		ok          bool
	}{{"bytes 10-99/100", 10, 100, true}, {"bytes 0-1/*", 0, -1, true}, {"bytes x-1/2", 0, 0, false}, {"10-20/30", 0, 0, false}} {
		s, z, ok := parseContentRange(tt.in)
		if s != tt.start || z != tt.size || ok != tt.ok {
			t.Errorf("parseContentRange(%q) = %d %d %v", tt.in, s, z, ok)
		}
	}
	if CIFAR10Remote.File() != "cifar-10-binary.tar.gz" || CIFAR100Remote.File() != "cifar-100-binary.tar.gz" {
		t.Error("remote file names")
	}
}
