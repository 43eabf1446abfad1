package data

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// imagenet16Ref is testdata/imagenet16_ref.json from gen_imagenet16.py.
type imagenet16BatchRef struct {
	Labels []int
	Sums   []int
	Pixels [][]int
}

func loadImageNet16Ref(t *testing.T) (map[string]imagenet16BatchRef, []int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "imagenet16_ref.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	out := map[string]imagenet16BatchRef{}
	var offsets []int
	for k, v := range raw {
		switch k {
		case "pixel_offsets":
			json.Unmarshal(v, &offsets)
		case "source":
		default:
			var r imagenet16BatchRef
			if err := json.Unmarshal(v, &r); err != nil {
				t.Fatal(k, err)
			}
			out[k] = r
		}
	}
	return out, offsets
}

// expectFiltered returns what a reader keeping labels ≤ classes must
// produce from ref batches, in order.
func expectFiltered(refs []imagenet16BatchRef, classes int) (labels, sums []int, pixels [][]int) {
	for _, r := range refs {
		for i, l := range r.Labels {
			if l <= classes {
				labels = append(labels, l-1)
				sums = append(sums, r.Sums[i])
				pixels = append(pixels, r.Pixels[i])
			}
		}
	}
	return
}

func checkImages(t *testing.T, what string, m *Images, offsets, labels, sums []int, pixels [][]int) {
	t.Helper()
	if m.Len() != len(labels) || m.H != 16 || m.W != 16 || m.C != 3 {
		t.Fatalf("%s: %d images of %d×%d×%d, want %d of 3×16×16", what, m.Len(), m.C, m.H, m.W, len(labels))
	}
	for i := range labels {
		px := m.At(i)
		s := 0
		for _, v := range px {
			s += int(v)
		}
		if m.Label(i) != labels[i] || s != sums[i] {
			t.Errorf("%s[%d]: label %d sum %d, want %d %d", what, i, m.Label(i), s, labels[i], sums[i])
		}
		for j, off := range offsets {
			if int(px[off]) != pixels[i][j] {
				t.Errorf("%s[%d]: byte %d = %d, want %d", what, i, off, px[off], pixels[i][j])
			}
		}
	}
}

func TestLoadImageNet16(t *testing.T) {
	refs, offsets := loadImageNet16Ref(t)
	var trainRefs []imagenet16BatchRef
	for _, f := range imagenet16Train {
		trainRefs = append(trainRefs, refs[f])
	}
	for _, classes := range []int{ImageNet16Classes, 1000, 1} {
		ds, err := LoadImageNet16(filepath.Join("testdata", "imagenet16"), classes)
		if err != nil {
			t.Fatal(err)
		}
		l, s, p := expectFiltered(trainRefs, classes)
		checkImages(t, "train", ds.Train.(*Images), offsets, l, s, p)
		l, s, p = expectFiltered([]imagenet16BatchRef{refs["val_data"]}, classes)
		checkImages(t, "val", ds.Test.(*Images), offsets, l, s, p)
		if ds.Classes != classes {
			t.Errorf("classes %d, want %d", ds.Classes, classes)
		}
	}
}

func TestImageNet16Protocols(t *testing.T) {
	refs, offsets := loadImageNet16Ref(t)
	r := refs["protocols"]
	for _, p := range []string{"p2py2", "p2", "p3", "p4", "p5"} {
		t.Run(p, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "imagenet16_protocols", "batch_"+p+".pkl"))
			if err != nil {
				t.Fatal(err)
			}
			m, err := decodeImageNetBatch(b, 1000)
			if err != nil {
				t.Fatal(err)
			}
			l, s, px := expectFiltered([]imagenet16BatchRef{r}, 1000)
			checkImages(t, p, m, offsets, l, s, px)
		})
	}
}

func TestImageNet16Errors(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "imagenet16_protocols", "batch_p4.pkl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{1, 10, len(good) / 2, len(good) - 1} {
		if _, err := decodeImageNetBatch(good[:cut], 120); err == nil || !errors.Is(err, ErrFormat) {
			t.Errorf("truncated to %d bytes: %v", cut, err)
		}
	}
	if _, err := decodeImageNetBatch([]byte("\x80\x04K\x05."), 120); err == nil || !strings.Contains(err.Error(), "want a dict") {
		t.Errorf("int pickle: %v", err)
	}
	// A folder missing val_data names the file.
	dir := t.TempDir()
	for _, f := range imagenet16Train {
		b, _ := os.ReadFile(filepath.Join("testdata", "imagenet16", f))
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	if _, err := LoadImageNet16(dir, 120); err == nil || !strings.Contains(err.Error(), "val_data") || !errors.Is(err, ErrNotFound) {
		t.Errorf("missing val_data: %v", err)
	}
	// A corrupt batch names its path.
	os.WriteFile(filepath.Join(dir, "val_data"), good[:100], 0o644)
	if _, err := LoadImageNet16(dir, 120); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "val_data")) {
		t.Errorf("corrupt val_data: %v", err)
	}
	if _, err := LoadImageNet16(filepath.Join(dir, "nope"), 120); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing folder: %v", err)
	}
	if _, err := LoadImageNet16(dir, 0); err == nil {
		t.Error("0 classes accepted")
	}
}

// FuzzDecodeImageNetBatch: no input makes the pickle reader panic or
// allocate beyond the input's own lengths.
func FuzzDecodeImageNetBatch(f *testing.F) {
	for _, p := range []string{"p2py2", "p2", "p4", "p5"} {
		b, err := os.ReadFile(filepath.Join("testdata", "imagenet16_protocols", "batch_"+p+".pkl"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeImageNetBatch(b, 120)
		if err == nil {
			for i := 0; i < m.Len(); i++ {
				if m.Label(i) < 0 || m.Label(i) >= 120 {
					t.Fatalf("label %d accepted", m.Label(i))
				}
			}
		}
	})
}

// TestDecodeImageNetBatchMutations runs 5,000 seeded random corruptions
// (byte changes, bit flips, truncations) of the fixtures through the
// decoder: none may panic or exhaust memory. (A corrupt FRAME length once
// made gopickle allocate 512 GiB; scanPickle now rejects it.)
func TestDecodeImageNetBatchMutations(t *testing.T) {
	var seeds [][]byte
	for _, p := range []string{"p2py2", "p2", "p4", "p5"} {
		b, err := os.ReadFile(filepath.Join("testdata", "imagenet16_protocols", "batch_"+p+".pkl"))
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for it := 0; it < 5000; it++ {
		b := append([]byte(nil), seeds[rng.IntN(len(seeds))]...)
		for k := 0; k < 1+rng.IntN(4) && len(b) > 0; k++ {
			i := rng.IntN(len(b))
			switch rng.IntN(3) {
			case 0:
				b[i] = byte(rng.IntN(256))
			case 1:
				b = b[:i]
			case 2:
				b[i] ^= 1 << rng.IntN(8)
			}
		}
		decodeImageNetBatch(b, 120)
	}
}
