package data

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writePNG(t *testing.T, fn string, img image.Image) {
	t.Helper()
	os.MkdirAll(filepath.Dir(fn), 0o755)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(fn, b.Bytes(), 0o644)
}

// rgbaImage is a w×h image with pixel (x, y) = (10x, 20y, x+y+100).
func rgbaImage(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetNRGBA(x, y, color.NRGBA{uint8(10 * x), uint8(20 * y), uint8(x + y + 100), 255})
		}
	}
	return m
}

func TestImageFolder(t *testing.T) {
	root := t.TempDir()
	writePNG(t, filepath.Join(root, "train", "cat", "b.png"), rgbaImage(5, 4))
	writePNG(t, filepath.Join(root, "train", "cat", "sub", "a.PNG"), rgbaImage(3, 2))
	g := image.NewGray(image.Rect(0, 0, 2, 2))
	g.Pix = []uint8{1, 2, 3, 4}
	writePNG(t, filepath.Join(root, "train", "ant", "g.png"), g)
	os.WriteFile(filepath.Join(root, "train", "ant", "notes.txt"), []byte("not an image"), 0o644)
	// A flat-colour JPEG decodes to (nearly) its colour.
	os.MkdirAll(filepath.Join(root, "val", "cat"), 0o755)
	flat := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	for i := 0; i < 16*16; i++ {
		copy(flat.Pix[4*i:], []uint8{200, 100, 50, 255})
	}
	var jb bytes.Buffer
	jpeg.Encode(&jb, flat, &jpeg.Options{Quality: 95})
	os.WriteFile(filepath.Join(root, "val", "cat", "x.JPEG"), jb.Bytes(), 0o644)

	ds, err := LoadImageFolder(root)
	if err != nil {
		t.Fatal(err)
	}
	tr := ds.Train.(*Folder)
	if ds.Classes != 2 || tr.Classes[0] != "ant" || tr.Classes[1] != "cat" || tr.Len() != 3 || ds.Test.Len() != 1 {
		t.Fatalf("classes %v, %d train, %d test", tr.Classes, tr.Len(), ds.Test.Len())
	}
	// Sorted by class then path: ant/g.png, cat/b.png, cat/sub/a.PNG.
	if !strings.HasSuffix(tr.Files[1], "b.png") || tr.Label(0) != 0 || tr.Label(2) != 1 {
		t.Errorf("files %v labels %v", tr.Files, tr.Labels)
	}
	im, err := tr.Image(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if im.C != 3 || im.H != 4 || im.W != 5 {
		t.Fatalf("shape %d×%d×%d", im.C, im.H, im.W)
	}
	// PNG is lossless: pixel (x=3, y=2) is (30, 40, 105) in planes R, G, B.
	k := 2*5 + 3
	if im.Pix[k] != 30 || im.Pix[20+k] != 40 || im.Pix[40+k] != 105 {
		t.Errorf("pixel (3,2) = %d %d %d, want 30 40 105", im.Pix[k], im.Pix[20+k], im.Pix[40+k])
	}
	gi, _ := tr.Image(0, nil)
	if !bytes.Equal(gi.Pix, []uint8{1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4}) {
		t.Errorf("gray image → %v, want the plane replicated 3 times", gi.Pix)
	}
	vi, err := ds.Test.Image(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for c, want := range []float64{200, 100, 50} {
		// JPEG at quality 95 on a flat 16×16 block: chroma quantisation
		// and YCbCr rounding keep it within 3 levels.
		if got := float64(vi.Pix[c*256+37]); math.Abs(got-want) > 3 {
			t.Errorf("jpeg channel %d = %v, want %v ± 3", c, got, want)
		}
	}
	mean, _, err := ChannelStats(ds.Train, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Mean of R over the 4+20+6 = 30 pixels: gray (1+2+3+4) + 5×4 image
	// (10x summed: 4 rows × 100) + 3×2 image (2 rows × 30), over 255.
	if want := (10.0 + 400 + 60) / 30 / 255; math.Abs(mean[0]-want) > 1e-12 {
		t.Errorf("mean R %v, want %v", mean[0], want)
	}

	// An unreadable image names the file.
	bad := filepath.Join(root, "train", "cat", "zzz.jpg")
	os.WriteFile(bad, []byte("\xff\xd8garbage"), 0o644)
	ds, _ = LoadImageFolder(root)
	_, err = ds.Train.Image(3, nil)
	if err == nil || !strings.Contains(err.Error(), bad) || !errors.Is(err, ErrFormat) {
		t.Errorf("unreadable image: %v", err)
	}
	if _, _, err := ChannelStats(ds.Train, 2); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("stats over an unreadable image: %v", err)
	}
	// A val class that train lacks is an error naming it.
	writePNG(t, filepath.Join(root, "val", "dog", "d.png"), rgbaImage(2, 2))
	if _, err := LoadImageFolder(root); err == nil || !strings.Contains(err.Error(), `"dog"`) {
		t.Errorf("unknown val class: %v", err)
	}
}

func TestImageFolderErrors(t *testing.T) {
	root := t.TempDir()
	if _, err := LoadImageFolder(filepath.Join(root, "missing")); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing folder: %v", err)
	}
	if _, err := LoadImageFolder(root); err == nil || !strings.Contains(err.Error(), "no class folders") {
		t.Errorf("empty folder: %v", err)
	}
	os.MkdirAll(filepath.Join(root, "a"), 0o755)
	if _, err := LoadImageFolder(root); err == nil || !strings.Contains(err.Error(), "no .jpg") {
		t.Errorf("no images: %v", err)
	}
	// ImageNet needs both train/ and val/.
	writePNG(t, filepath.Join(root, "train", "n01440764", "x.png"), rgbaImage(2, 2))
	if _, err := LoadImageNet(root); err == nil || !strings.Contains(err.Error(), "val") {
		t.Errorf("imagenet without val: %v", err)
	}
	writePNG(t, filepath.Join(root, "val", "n01440764", "y.png"), rgbaImage(2, 2))
	ds, err := LoadImageNet(root)
	if err != nil || ds.Train.Len() != 1 || ds.Test.Len() != 1 || ds.ClassNames[0] != "n01440764" {
		t.Errorf("imagenet: %v %+v", err, ds)
	}
}

// TestFolderLoaderImageNetTransforms runs image files through the loader
// with the ImageNet recipe: 224×224 batches, the same at any worker count.
func TestFolderLoaderImageNetTransforms(t *testing.T) {
	root := t.TempDir()
	for i := 0; i < 5; i++ {
		writePNG(t, filepath.Join(root, "train", []string{"a", "b"}[i%2], string(rune('p'+i))+".png"), rgbaImage(20+7*i, 30-3*i))
	}
	ds, err := LoadImageFolder(root)
	if err != nil {
		t.Fatal(err)
	}
	tr, _, err := DefaultTransforms(ds, 0)
	if err != nil {
		t.Fatal(err)
	}
	var first []*Batch
	for _, workers := range []int{1, 3} {
		l, err := NewLoader(ds.Train, nil, tr, LoaderConfig{BatchSize: 2, Shuffle: true, Seed: 5, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		bs := collect(t, l, 1, 0)
		if len(bs) != 3 || bs[0].C != 3 || bs[0].H != 224 || bs[0].W != 224 || bs[2].N != 1 {
			t.Fatalf("%d batches, first %d×%d×%d×%d", len(bs), bs[0].N, bs[0].C, bs[0].H, bs[0].W)
		}
		for _, v := range bs[0].X {
			if math.IsNaN(float64(v)) || math.Abs(float64(v)) > 3 { // (0-0.406)/0.225 ≈ -1.8 … (1-0.406)/0.225 ≈ 2.64
				t.Fatalf("value %v outside the normalised range", v)
			}
		}
		if first == nil {
			first = bs
		} else {
			for s := range bs {
				if !sameBatch(bs[s], first[s]) {
					t.Errorf("step %d differs between 1 and 3 workers", s)
				}
			}
		}
	}
}
