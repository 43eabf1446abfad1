package data

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nasx/nasx/internal/sharedtest"
)

// cifarRef is testdata/cifar10_ref.json, written by testdata/gen_cifar_ref.py
// (Python tarfile + numpy reading the shared archive; no nasx code).
type cifarRef struct {
	Train, Test    cifarSplitRef
	PixelOffsets   []int     `json:"pixel_offsets"`
	TrainHistogram []int     `json:"train_histogram"`
	TrainMean      []float64 `json:"train_mean"`
	TrainStd       []float64 `json:"train_std"`
}

type cifarSplitRef struct {
	N      int
	Labels []int
	Sums   []int64
	WSums  []int64
	Pixels [][]int
	SHA256 string
}

func loadCIFARRef(t *testing.T) *cifarRef {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "cifar10_ref.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref cifarRef
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	return &ref
}

var sharedCIFAR10 *Dataset

func loadSharedCIFAR10(t testing.TB) *Dataset {
	t.Helper()
	p := sharedtest.Path(t, "cifar10/cifar-10-binary.tar.gz")
	if sharedCIFAR10 == nil {
		ds, err := LoadCIFAR("cifar10", p, CIFAROptions{})
		if err != nil {
			t.Fatal(err)
		}
		sharedCIFAR10 = ds
	}
	return sharedCIFAR10
}

// TestCIFAR10PixelExact compares the first 4,000 train and 1,000 test
// images of the shared archive (the original CIFAR-10 pixels) with the
// values gen_cifar_ref.py computed independently.
func TestCIFAR10PixelExact(t *testing.T) {
	ds := loadSharedCIFAR10(t)
	ref := loadCIFARRef(t)
	for _, sp := range []struct {
		name string
		got  *Images
		want cifarSplitRef
	}{{"train", ds.Train.(*Images), ref.Train}, {"test", ds.Test.(*Images), ref.Test}} {
		h := sha256.Sum256(sp.got.Pix[:sp.want.N*cifarPixels])
		if got := hex.EncodeToString(h[:]); got != sp.want.SHA256 {
			t.Errorf("%s: sha256 of first %d images = %s, want %s", sp.name, sp.want.N, got, sp.want.SHA256)
		}
		bad := 0
		for i := 0; i < sp.want.N && bad < 5; i++ {
			px := sp.got.At(i)
			var sum, wsum int64
			for k, v := range px {
				sum += int64(v)
				wsum += int64(k+1) * int64(v)
			}
			if sum != sp.want.Sums[i] || wsum != sp.want.WSums[i] || sp.got.Label(i) != sp.want.Labels[i] {
				t.Errorf("%s[%d]: label %d sum %d wsum %d, want %d %d %d", sp.name, i, sp.got.Label(i), sum, wsum, sp.want.Labels[i], sp.want.Sums[i], sp.want.WSums[i])
				bad++
			}
			for j, off := range ref.PixelOffsets {
				if int(px[off]) != sp.want.Pixels[i][j] {
					t.Errorf("%s[%d] pixel %d = %d, want %d", sp.name, i, off, px[off], sp.want.Pixels[i][j])
					bad++
				}
			}
		}
	}
}

// TestCIFAR10Stats checks the acceptance numbers: 50,000 + 10,000
// images, 5,000 per class, and the train mean/std near the published
// (0.4914, 0.4822, 0.4465) / (0.2470, 0.2435, 0.2616) (tolerance 0.005 from
// issue 4), and exactly (1e-12) the numpy values of gen_cifar_ref.py.
func TestCIFAR10Stats(t *testing.T) {
	ds := loadSharedCIFAR10(t)
	ref := loadCIFARRef(t)
	if ds.Train.Len() != 50000 || ds.Test.Len() != 10000 {
		t.Fatalf("train %d test %d, want 50000 10000", ds.Train.Len(), ds.Test.Len())
	}
	h := Histogram(ds.Train, ds.Classes)
	for c, n := range h {
		if n != 5000 || ref.TrainHistogram[c] != 5000 {
			t.Errorf("class %d: %d images, want 5000", c, n)
		}
	}
	mean, std, err := ChannelStats(ds.Train, 0)
	if err != nil {
		t.Fatal(err)
	}
	pubMean := [3]float64{0.4914, 0.4822, 0.4465}
	pubStd := [3]float64{0.2470, 0.2435, 0.2616}
	for c := 0; c < 3; c++ {
		if math.Abs(mean[c]-pubMean[c]) > 0.005 || math.Abs(std[c]-pubStd[c]) > 0.005 {
			t.Errorf("channel %d: mean %.4f std %.4f, want within 0.005 of %.4f %.4f", c, mean[c], std[c], pubMean[c], pubStd[c])
		}
		if math.Abs(mean[c]-ref.TrainMean[c]) > 1e-12 || math.Abs(std[c]-ref.TrainStd[c]) > 1e-12 {
			t.Errorf("channel %d: mean %.15f std %.15f, numpy says %.15f %.15f", c, mean[c], std[c], ref.TrainMean[c], ref.TrainStd[c])
		}
	}
	if len(ds.ClassNames) != 10 || ds.ClassNames[0] != "airplane" {
		t.Errorf("class names %q", ds.ClassNames)
	}
}

// fakeCIFAR writes records with label i%classes and pixels (i+k)%251.
func fakeCIFARRecords(n, labelLen int) []byte {
	rec := labelLen + cifarPixels
	b := make([]byte, n*rec)
	for i := 0; i < n; i++ {
		for l := 0; l < labelLen; l++ {
			b[i*rec+l] = byte((i + l) % 10)
		}
		for k := 0; k < cifarPixels; k++ {
			b[i*rec+labelLen+k] = byte((i + k) % 251)
		}
	}
	return b
}

type tarMember struct {
	name string
	data []byte
}

func writeTarGz(t *testing.T, fn string, members []tarMember, truncateTo int) {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	for _, m := range members {
		if err := tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(m.data); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	zw.Close()
	b := buf.Bytes()
	if truncateTo > 0 {
		b = b[:truncateTo]
	}
	if err := os.WriteFile(fn, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// smallCIFAR100 is a CIFAR-100-shaped tree with only the record counts
// changed would be rejected, so the tests build full-size members lazily.
func cifar100Members() []tarMember {
	return []tarMember{
		{"cifar-100-binary/train.bin", fakeCIFARRecords(cifar100Train, 2)},
		{"cifar-100-binary/test.bin", fakeCIFARRecords(cifar100Test, 2)},
	}
}

func TestCIFAR100FineCoarseArchiveAndFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 150 MB archive")
	}
	dir := t.TempDir()
	mem := cifar100Members()
	// Records carry label bytes (i%10, (i+1)%10): coarse then fine.
	writeTarGz(t, filepath.Join(dir, "cifar-100-binary.tar.gz"), mem, 0)
	folder := filepath.Join(dir, "x", "cifar-100-binary")
	os.MkdirAll(folder, 0o755)
	for _, m := range mem {
		os.WriteFile(filepath.Join(folder, filepath.Base(m.name)), m.data, 0o644)
	}
	for _, c := range []struct {
		p      string
		coarse bool
	}{{dir, false}, {filepath.Join(dir, "cifar-100-binary.tar.gz"), true}, {filepath.Join(dir, "x"), false}, {folder, true}} {
		p, coarse := c.p, c.coarse
		{
			ds, err := LoadCIFAR("cifar100", p, CIFAROptions{Coarse: coarse})
			if err != nil {
				t.Fatalf("LoadCIFAR(%s, coarse=%v): %v", p, coarse, err)
			}
			wantClasses, off := 100, 1
			if coarse {
				wantClasses, off = 20, 0
			}
			tr := ds.Train.(*Images)
			if ds.Classes != wantClasses || tr.Len() != 50000 || ds.Test.Len() != 10000 {
				t.Fatalf("%s: classes %d train %d test %d", p, ds.Classes, tr.Len(), ds.Test.Len())
			}
			for _, i := range []int{0, 1, 7, 49999} {
				if got, want := tr.Label(i), (i+off)%10; got != want {
					t.Errorf("%s coarse=%v: label[%d] = %d, want %d", p, coarse, i, got, want)
				}
				if got, want := tr.At(i)[5], byte((i+5)%251); got != want {
					t.Errorf("%s: pixel[%d][5] = %d, want %d", p, i, got, want)
				}
			}
		}
	}
}

func TestCIFARErrors(t *testing.T) {
	dir := t.TempDir()
	good := fakeCIFARRecords(cifarPerBatch, 1)
	var full []tarMember
	for k := 1; k <= 5; k++ {
		full = append(full, tarMember{"cifar-10-batches-bin/data_batch_" + string(rune('0'+k)) + ".bin", good})
	}
	full = append(full, tarMember{"cifar-10-batches-bin/test_batch.bin", good})

	// The bad member comes first, so the reader fails on it before it
	// needs the others: the archives stay small and quick to write.
	trunc := filepath.Join(dir, "trunc.tar.gz")
	writeTarGz(t, trunc, full[:1], 100000)
	short := filepath.Join(dir, "short.tar.gz")
	writeTarGz(t, short, []tarMember{{full[2].name, good[:len(good)-3073]}}, 0)
	odd := filepath.Join(dir, "odd.tar.gz")
	writeTarGz(t, odd, []tarMember{{full[2].name, good[:len(good)-5]}}, 0)
	lbl := filepath.Join(dir, "label.tar.gz")
	badLabel := append([]byte(nil), good...)
	badLabel[3073*7] = 10
	writeTarGz(t, lbl, []tarMember{{full[2].name, badLabel}}, 0)
	missing := filepath.Join(dir, "missing.tar.gz")
	writeTarGz(t, missing, full[:5], 0)
	notgz := filepath.Join(dir, "notgz.tar.gz")
	os.WriteFile(notgz, []byte("hello"), 0o644)
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)

	tests := []struct {
		name, path string
		want       []string
		is         error
	}{
		{"truncated archive", trunc, []string{trunc, "truncated"}, ErrFormat},
		{"one record short", short, []string{short, "member cifar-10-batches-bin/data_batch_3.bin", "holds 9999 records, want 10000"}, ErrFormat},
		{"partial record", odd, []string{odd, "data_batch_3.bin", "not a whole number of 3073-byte records"}, ErrFormat},
		{"bad label", lbl, []string{lbl, "data_batch_3.bin", "record 7 at byte offset 21511", "label 10 out of range [0, 10)"}, ErrFormat},
		{"missing member", missing, []string{missing, "lacks cifar-10-batches-bin/test_batch.bin"}, ErrFormat},
		{"not gzip", notgz, []string{notgz, "not a gzip file"}, ErrFormat},
		{"missing folder", filepath.Join(dir, "nope"), []string{filepath.Join(dir, "nope"), "nasx data download cifar10"}, ErrNotFound},
		{"empty folder", empty, []string{empty, "neither cifar-10-batches-bin/ nor cifar-10-binary.tar.gz"}, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadCIFAR("cifar10", tt.path, CIFAROptions{})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
		})
	}

	// A folder with a truncated batch file names the file and the offset.
	folder := filepath.Join(dir, "cifar-10-batches-bin")
	os.Mkdir(folder, 0o755)
	for _, m := range full {
		os.WriteFile(filepath.Join(folder, filepath.Base(m.name)), m.data, 0o644)
	}
	if _, err := LoadCIFAR("cifar10", dir, CIFAROptions{}); err != nil {
		t.Fatalf("good folder: %v", err)
	}
	os.WriteFile(filepath.Join(folder, "test_batch.bin"), good[:3073*10+17], 0o644)
	_, err := LoadCIFAR("cifar10", dir, CIFAROptions{})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(folder, "test_batch.bin")) || !strings.Contains(err.Error(), "not a whole number") {
		t.Errorf("truncated folder file: %v", err)
	}
}

// TestParseCIFARRecordsTruncatedStream covers a reader that ends before
// its declared size (a truncated tar member).
func TestParseCIFARRecordsTruncatedStream(t *testing.T) {
	b := fakeCIFARRecords(3, 1)
	pix := make([]uint8, 3*cifarPixels)
	lab := make([]int32, 3)
	err := parseCIFARRecords(bytes.NewReader(b[:3073+100]), int64(len(b)), 1, 0, 10, 3, pix, lab)
	if err == nil || !strings.Contains(err.Error(), "truncated at byte offset 3173, record 1 of 3") || !errors.Is(err, ErrFormat) {
		t.Errorf("got %v", err)
	}
}

// FuzzParseCIFARRecords: no input makes the record parser panic, and a
// nil error means every label is in range.
func FuzzParseCIFARRecords(f *testing.F) {
	f.Add(fakeCIFARRecords(2, 1), int64(2*3073), 2, false)
	f.Add(fakeCIFARRecords(2, 2), int64(2*3074), 2, true)
	f.Add([]byte{1, 2, 3}, int64(3073), 1, false)
	f.Fuzz(func(t *testing.T, b []byte, size int64, count int, two bool) {
		if count < 0 || count > 4 {
			return
		}
		labelLen, classes := 1, 10
		if two {
			labelLen, classes = 2, 100
		}
		pix := make([]uint8, count*cifarPixels)
		lab := make([]int32, count)
		if err := parseCIFARRecords(bytes.NewReader(b), size, labelLen, labelLen-1, classes, count, pix, lab); err == nil {
			for i, l := range lab {
				if l < 0 || int(l) >= classes {
					t.Fatalf("label[%d] = %d accepted", i, l)
				}
			}
		}
	})
}
