package data

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // register the JPEG decoder
	_ "image/png"  // register the PNG decoder
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Folder is a class-per-folder image tree (torchvision's ImageFolder): each
// sub-folder of the root is a class, in sorted order, and every .jpg,
// .jpeg or .png file below it (recursively, case-insensitive extension) is
// an image of that class. Images are decoded when read, so a Loader's
// workers decode in parallel.
type Folder struct {
	// Root is the folder that was indexed.
	Root string
	// Classes are the class folder names; label i is Classes[i].
	Classes []string
	// Files are the image paths, sorted by class then path.
	Files []string
	// Labels holds one label per file.
	Labels []int32
}

var _ Source = (*Folder)(nil)

// imageExt reports whether name has an image extension we decode.
func imageExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jpg", ".jpeg", ".png":
		return true
	}
	return false
}

// IndexFolder lists the classes and images under root. If classes is not
// nil, the class folders are mapped to those names' indices (so a val/
// split shares train/'s labels) and an unknown class folder is an error.
func IndexFolder(root string, classes []string) (*Folder, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("data: %w: %v", ErrNotFound, err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			dirs = append(dirs, e.Name())
		}
	}
	sort.Strings(dirs)
	if len(dirs) == 0 {
		return nil, fmt.Errorf("data: %s: no class folders (want ROOT/<class>/*.jpg|png) (%w)", root, ErrNotFound)
	}
	f := &Folder{Root: root, Classes: dirs}
	index := map[string]int{}
	if classes != nil {
		f.Classes = classes
	}
	for i, c := range f.Classes {
		index[c] = i
	}
	for _, d := range dirs {
		label, ok := index[d]
		if !ok {
			return nil, fmt.Errorf("data: %s: class folder %q is not among the %d training classes", root, d, len(f.Classes))
		}
		var files []string
		err := filepath.WalkDir(filepath.Join(root, d), func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.IsDir() && imageExt(e.Name()) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		sort.Strings(files)
		for _, p := range files {
			f.Files = append(f.Files, p)
			f.Labels = append(f.Labels, int32(label))
		}
	}
	if len(f.Files) == 0 {
		return nil, fmt.Errorf("data: %s: no .jpg, .jpeg or .png images in its %d class folders (%w)", root, len(dirs), ErrNotFound)
	}
	return f, nil
}

// Len returns the number of images.
func (f *Folder) Len() int { return len(f.Files) }

// Label returns the class of image i.
func (f *Folder) Label(i int) int { return int(f.Labels[i]) }

// Image decodes image i into buf (reusing its storage) as 3×H×W RGB; gray
// images are replicated to 3 channels and alpha is dropped.
func (f *Folder) Image(i int, buf *Image) (*Image, error) {
	if i < 0 || i >= len(f.Files) {
		return nil, fmt.Errorf("data: image %d out of range [0, %d)", i, len(f.Files))
	}
	if buf == nil {
		buf = &Image{}
	}
	if err := decodeFile(f.Files[i], buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// decodeFile decodes a JPEG or PNG file into dst as 3×H×W RGB bytes.
func decodeFile(fn string, dst *Image) error {
	fh, err := os.Open(fn)
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	defer fh.Close()
	img, _, err := image.Decode(bufio.NewReaderSize(fh, 64<<10))
	if err != nil {
		return fmt.Errorf("data: decode %s: %w (%w: not a readable JPEG or PNG)", fn, err, ErrFormat)
	}
	toCHW(img, dst)
	return nil
}

// toCHW converts img to 3×H×W RGB bytes in dst, with fast paths for the
// types image/jpeg and image/png return.
func toCHW(img image.Image, dst *Image) {
	b := img.Bounds()
	h, w := b.Dy(), b.Dx()
	n := h * w
	if cap(dst.Pix) < 3*n {
		dst.Pix = make([]uint8, 3*n)
	}
	dst.C, dst.H, dst.W, dst.Pix = 3, h, w, dst.Pix[:3*n]
	r, g, bl := dst.Pix[:n], dst.Pix[n:2*n], dst.Pix[2*n:]
	switch m := img.(type) {
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				yi := m.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := m.COffset(b.Min.X+x, b.Min.Y+y)
				rr, gg, bb := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				k := y*w + x
				r[k], g[k], bl[k] = rr, gg, bb
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			copy(r[y*w:(y+1)*w], row)
			copy(g[y*w:(y+1)*w], row)
			copy(bl[y*w:(y+1)*w], row)
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := 0; x < w; x++ {
				k := y*w + x
				r[k], g[k], bl[k] = row[4*x], row[4*x+1], row[4*x+2]
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := 0; x < w; x++ {
				k := y*w + x
				r[k], g[k], bl[k] = row[4*x], row[4*x+1], row[4*x+2]
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				k := y*w + x
				r[k], g[k], bl[k] = c.R, c.G, c.B
			}
		}
	}
}

// emptySplit is a split with no images (an image folder without val/).
type emptySplit struct{}

func (emptySplit) Len() int                              { return 0 }
func (emptySplit) Label(int) int                         { return 0 }
func (emptySplit) Image(i int, _ *Image) (*Image, error) { return nil, fmt.Errorf("data: empty split") }

// LoadImageFolder indexes a class-per-folder tree. If root holds train/,
// that is the train split and val/ (or test/), when present, the test
// split; otherwise root itself is the train split and the test split is
// empty. Normalisation constants are ImageNet's.
func LoadImageFolder(root string) (*Dataset, error) {
	ds := &Dataset{Name: "imagefolder", Mean: NormImageNet[0], Std: NormImageNet[1]}
	trainDir := filepath.Join(root, "train")
	if fi, err := os.Stat(trainDir); err != nil || !fi.IsDir() {
		trainDir = root
	}
	train, err := IndexFolder(trainDir, nil)
	if err != nil {
		return nil, fmt.Errorf("data: imagefolder: %w", err)
	}
	ds.Train, ds.Classes, ds.ClassNames = train, len(train.Classes), train.Classes
	ds.Test = emptySplit{}
	if trainDir != root {
		for _, name := range []string{"val", "test"} {
			if fi, err := os.Stat(filepath.Join(root, name)); err == nil && fi.IsDir() {
				test, err := IndexFolder(filepath.Join(root, name), train.Classes)
				if err != nil {
					return nil, fmt.Errorf("data: imagefolder: %w", err)
				}
				ds.Test = test
				break
			}
		}
	}
	return ds, nil
}

// LoadImageNet indexes ILSVRC-2012 in folder layout: root/train/<wnid>/*.JPEG
// and root/val/<wnid>/*.JPEG (val sorted into class folders, as the
// PyTorch ImageNet example expects). Both must exist.
func LoadImageNet(root string) (*Dataset, error) {
	train, err := IndexFolder(filepath.Join(root, "train"), nil)
	if err != nil {
		return nil, fmt.Errorf("data: imagenet: %w (want %s/train/<wnid>/*.JPEG; set --data-dir)", err, root)
	}
	val, err := IndexFolder(filepath.Join(root, "val"), train.Classes)
	if err != nil {
		return nil, fmt.Errorf("data: imagenet: %w (want %s/val/<wnid>/*.JPEG)", err, root)
	}
	return &Dataset{Name: "imagenet", Train: train, Test: val, Classes: len(train.Classes), ClassNames: train.Classes,
		Mean: NormImageNet[0], Std: NormImageNet[1]}, nil
}
