package data

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Remote is a downloadable dataset archive.
type Remote struct {
	// Dataset is the dataset name ("cifar10").
	Dataset string
	// URL is the canonical address.
	URL string
	// MD5 is the published checksum (hex).
	MD5 string
	// Size is the published size in bytes (informative; the MD5 decides).
	Size int64
}

// File is the archive's file name, the last element of URL.
func (r Remote) File() string { return r.URL[strings.LastIndex(r.URL, "/")+1:] }

// The CIFAR binary archives, with the MD5s published on the dataset page
// https://www.cs.toronto.edu/~kriz/cifar.html ("CIFAR-10 binary version
// (suitable for C programs)", 162 MB, and "CIFAR-100 binary version", 161
// MB). torchvision's cifar.py lists the *python* versions instead.
var (
	CIFAR10Remote  = Remote{Dataset: "cifar10", URL: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", MD5: "c32a1d4ab5d03f1284b67883e8d87530", Size: 170052171}
	CIFAR100Remote = Remote{Dataset: "cifar100", URL: "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz", MD5: "03b5dce01913d631647c71ecec9e9cb8", Size: 168513733}
)

// RemoteFor returns the archive of a downloadable dataset.
func RemoteFor(dataset string) (Remote, bool) {
	switch dataset {
	case "cifar10":
		return CIFAR10Remote, true
	case "cifar100":
		return CIFAR100Remote, true
	}
	return Remote{}, false
}

// Downloader fetches Remotes over HTTP with resume and MD5 checks.
type Downloader struct {
	// Client is the HTTP client; nil means http.DefaultClient.
	Client *http.Client
	// BaseURL, when set, replaces everything before the file name of a
	// Remote's URL (tests point it at an httptest server; mirrors).
	BaseURL string
	// Progress, when set, is called with the bytes held so far and the
	// total (-1 when unknown) as the download advances.
	Progress func(done, total int64)
}

// URL returns where r is fetched from.
func (d *Downloader) URL(r Remote) string {
	if d.BaseURL != "" {
		return strings.TrimRight(d.BaseURL, "/") + "/" + r.File()
	}
	return r.URL
}

// Fetch downloads r to dst. Bytes arrive in dst+".part"; an existing part
// is resumed with an HTTP Range request. Only when the whole file's MD5
// equals r.MD5 is the part synced and renamed to dst, so dst is never a
// partial file. A part whose MD5 is wrong is deleted (ErrChecksum). If dst
// already exists Fetch verifies its MD5 and returns.
func (d *Downloader) Fetch(ctx context.Context, r Remote, dst string) error {
	if _, err := os.Stat(dst); err == nil {
		sum, err := fileMD5(dst, nil)
		if err != nil {
			return fmt.Errorf("data: %s: %w", dst, err)
		}
		if sum != r.MD5 {
			return fmt.Errorf("data: %s: MD5 %s, want %s (%w; delete the file and download again)", dst, sum, r.MD5, ErrChecksum)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	part := dst + ".part"
	h := md5.New()
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	// Hash what an earlier attempt left, and continue after it.
	have, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("data: reading %s: %w", part, err)
	}
	url := d.URL(r)
	done, err := d.get(ctx, url, f, h, have)
	if err != nil {
		return fmt.Errorf("data: download %s to %s (%d bytes kept; run again to resume): %w", url, part, done, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != r.MD5 {
		f.Close()
		os.Remove(part)
		return fmt.Errorf("data: download %s: MD5 %s, want %s (%w; the partial file was deleted, run again)", url, sum, r.MD5, ErrChecksum)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("data: sync %s: %w", part, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("data: close %s: %w", part, err)
	}
	// The rename is the atomic step (as in internal/atomicio): dst appears
	// whole or not at all. Copying the part through atomicio would double
	// the disk traffic for the same guarantee.
	if err := os.Rename(part, dst); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if dir, err := os.Open(filepath.Dir(dst)); err == nil {
		dir.Sync()
		dir.Close()
	}
	return nil
}

// get appends the bytes of url after offset have to f (positioned at
// have), hashing them into h, and returns the bytes f holds at the end.
func (d *Downloader) get(ctx context.Context, url string, f *os.File, h hash.Hash, have int64) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return have, err
	}
	if have > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
	}
	client := d.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return have, err
	}
	defer resp.Body.Close()
	total := int64(-1)
	switch {
	case resp.StatusCode == http.StatusPartialContent && have > 0:
		start, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != have {
			return have, fmt.Errorf("server answered range %q to a request from byte %d", resp.Header.Get("Content-Range"), have)
		}
		total = size
	case resp.StatusCode == http.StatusOK:
		// No range support (or a fresh start): start over.
		if have > 0 {
			if err := f.Truncate(0); err != nil {
				return have, err
			}
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return have, err
			}
			h.Reset()
			have = 0
		}
		if resp.ContentLength >= 0 {
			total = resp.ContentLength
		}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && have > 0:
		// The part already holds every byte; the MD5 check decides.
		return have, nil
	default:
		return have, fmt.Errorf("HTTP %s", resp.Status)
	}
	if d.Progress != nil {
		d.Progress(have, total)
	}
	buf := make([]byte, 1<<20)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			if _, err := f.Write(buf[:n]); err != nil {
				return have, err
			}
			h.Write(buf[:n])
			have += int64(n)
			if d.Progress != nil {
				d.Progress(have, total)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return have, rerr
		}
	}
	if total >= 0 && have != total {
		return have, fmt.Errorf("connection ended at byte %d of %d", have, total)
	}
	return have, nil
}

// parseContentRange reads "bytes START-END/SIZE" (SIZE may be "*": -1).
func parseContentRange(s string) (start, size int64, ok bool) {
	s, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, sz, found := strings.Cut(s, "/")
	if !found {
		return 0, 0, false
	}
	a, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	if sz == "*" {
		return start, -1, true
	}
	size, err = strconv.ParseInt(sz, 10, 64)
	return start, size, err == nil
}

// fileMD5 returns the hex MD5 of a file; h, when given, receives the bytes.
func fileMD5(fn string, h hash.Hash) (string, error) {
	f, err := os.Open(fn)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if h == nil {
		h = md5.New()
	}
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
