package data

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenAutoDownload: a missing CIFAR-10 archive is fetched (from a
// local server) into the folder and then read; with Download off the
// error says how to get it.
func TestOpenAutoDownload(t *testing.T) {
	dir := t.TempDir()
	good := fakeCIFARRecords(cifarPerBatch, 1)
	var mem []tarMember
	for _, n := range []string{"data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"} {
		mem = append(mem, tarMember{"cifar-10-batches-bin/" + n + ".bin", good})
	}
	archive := filepath.Join(t.TempDir(), "cifar-10-binary.tar.gz")
	writeTarGz(t, archive, mem, 0)
	payload, _ := os.ReadFile(archive)
	sum := md5.Sum(payload)
	r := CIFAR10Remote
	r.MD5 = hex.EncodeToString(sum[:])
	ts := newTestServer(t, r.File(), payload)

	target := filepath.Join(dir, "cifar10")
	_, err := Open(context.Background(), "cifar10", OpenOptions{Dir: target})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "nasx data download cifar10") {
		t.Fatalf("no download: %v", err)
	}
	ds, err := Open(context.Background(), "cifar10", OpenOptions{Dir: target, Download: true, Remote: r, Downloader: &Downloader{BaseURL: ts.URL}})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.Len() != 50000 || ds.Test.Len() != 10000 {
		t.Errorf("sizes %d %d", ds.Train.Len(), ds.Test.Len())
	}
	got, _ := os.ReadFile(filepath.Join(target, "cifar-10-binary.tar.gz"))
	if !bytes.Equal(got, payload) {
		t.Error("archive not placed")
	}
	// Wrong checksum (the published one, for our fake file): nothing placed.
	other := filepath.Join(dir, "other")
	_, err = Open(context.Background(), "cifar10", OpenOptions{Dir: other, Download: true, Downloader: &Downloader{BaseURL: ts.URL}})
	if !errors.Is(err, ErrChecksum) {
		t.Fatalf("published MD5 vs fake archive: %v", err)
	}
	if _, err := os.Stat(filepath.Join(other, "cifar-10-binary.tar.gz")); !os.IsNotExist(err) {
		t.Error("archive with a wrong MD5 was placed")
	}
	if _, err := Open(context.Background(), "nope", OpenOptions{Dir: dir}); err == nil {
		t.Error("unknown dataset accepted")
	}
	if _, err := Open(context.Background(), "cifar10", OpenOptions{}); err == nil || !strings.Contains(err.Error(), "--data-dir") {
		t.Errorf("no dir: %v", err)
	}
	if ds, err := Open(context.Background(), "synthetic", OpenOptions{}); err != nil || ds.Train.Len() != 5000 {
		t.Errorf("synthetic: %v", err)
	}
}

func TestDefaultDir(t *testing.T) {
	env := map[string]string{"NASX_DATA": "/d", "HOME": "/h"}
	get := func(k string) string { return env[k] }
	if d, _ := DefaultDir("cifar10", get); d != filepath.Join("/d", "cifar10") {
		t.Errorf("with NASX_DATA: %s", d)
	}
	delete(env, "NASX_DATA")
	if d, _ := DefaultDir("cifar10", get); d != filepath.Join("/h", ".cache", "nasx", "data", "cifar10") {
		t.Errorf("without: %s", d)
	}
}
