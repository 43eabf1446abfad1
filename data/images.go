package data

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Sentinel errors; callers test them with errors.Is.
var (
	// ErrFormat marks input whose bytes do not follow the file format
	// (wrong size, truncated, bad label, bad pickle).
	ErrFormat = errors.New("bad format")
	// ErrChecksum marks a downloaded file whose MD5 differs from the
	// published one.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrNotFound marks a dataset that is not on disk (and was not
	// downloaded).
	ErrNotFound = errors.New("dataset not found")
)

// Image is one 8-bit image, channel-major (C×H×W). Pix may alias the
// storage of an Images set: transforms read it and never write it.
type Image struct {
	C, H, W int
	Pix     []uint8
}

// Source is a split of a dataset that a Loader can read: Len samples, each
// with a 0-based label and an 8-bit image.
type Source interface {
	// Len is the number of samples.
	Len() int
	// Label returns the 0-based class of sample i.
	Label(i int) int
	// Image returns sample i. It may reuse buf's pixel storage and may
	// return a view into its own storage.
	Image(i int, buf *Image) (*Image, error)
}

// Images is a split held in memory: N images of C×H×W bytes in one flat
// slice, and their labels.
type Images struct {
	C, H, W int
	// Pix holds N×C×H×W bytes, image after image, each channel-major.
	Pix []uint8
	// Labels holds one 0-based class per image.
	Labels []int32
}

var _ Source = (*Images)(nil)

// NewImages allocates n zero images of c×h×w.
func NewImages(n, c, h, w int) *Images {
	return &Images{C: c, H: h, W: w, Pix: make([]uint8, n*c*h*w), Labels: make([]int32, n)}
}

// Len returns the number of images.
func (m *Images) Len() int { return len(m.Labels) }

// Label returns the class of image i.
func (m *Images) Label(i int) int { return int(m.Labels[i]) }

// Size returns the bytes of one image, C×H×W.
func (m *Images) Size() int { return m.C * m.H * m.W }

// At returns the pixels of image i (a view, not a copy).
func (m *Images) At(i int) []uint8 {
	s := m.Size()
	return m.Pix[i*s : (i+1)*s : (i+1)*s]
}

// Image returns a view of image i; buf is not used.
func (m *Images) Image(i int, buf *Image) (*Image, error) {
	if i < 0 || i >= m.Len() {
		return nil, fmt.Errorf("data: image %d out of range [0, %d)", i, m.Len())
	}
	if buf == nil {
		buf = &Image{}
	}
	*buf = Image{C: m.C, H: m.H, W: m.W, Pix: m.At(i)}
	return buf, nil
}

// Subset returns the images whose indices are in idx, copied.
func (m *Images) Subset(idx []int) *Images {
	out := NewImages(len(idx), m.C, m.H, m.W)
	for k, i := range idx {
		copy(out.At(k), m.At(i))
		out.Labels[k] = m.Labels[i]
	}
	return out
}

// Dataset is a named pair of splits with the class count and the
// normalisation constants its training recipes use.
type Dataset struct {
	// Name is the dataset name, e.g. "cifar10".
	Name string
	// Train and Test are the splits. For ImageNet16-120 Test is the
	// official validation set; for ILSVRC-2012 it is val/.
	Train, Test Source
	// Classes is the number of classes; labels are in [0, Classes).
	Classes int
	// ClassNames are the class names when the files carry them (folder
	// names, CIFAR-10 batches.meta.txt), else nil.
	ClassNames []string
	// Mean and Std are the per-channel normalisation constants of the
	// recipes that use this dataset (see Norm*).
	Mean, Std [3]float32
}

// Normalisation constants, per channel (R, G, B) on [0, 1] pixels.
var (
	// NormCIFAR10 is DARTS' CIFAR_MEAN/CIFAR_STD (quark0/darts cnn/utils.py,
	// _data_transforms_cifar10).
	NormCIFAR10 = [2][3]float32{{0.49139968, 0.48215827, 0.44653124}, {0.24703233, 0.24348505, 0.26158768}}
	// NormCIFAR100 is NAS-Bench-201's CIFAR-100 mean/std (AutoDL-Projects
	// lib/datasets/get_dataset_with_transform.py: [129.3, 124.1, 112.4]/255
	// and [68.2, 65.4, 70.4]/255).
	NormCIFAR100 = [2][3]float32{{129.3 / 255, 124.1 / 255, 112.4 / 255}, {68.2 / 255, 65.4 / 255, 70.4 / 255}}
	// NormImageNet16 is NAS-Bench-201's ImageNet16 mean/std (same file:
	// [122.68, 116.66, 104.01]/255 and [63.22, 61.26, 65.09]/255).
	NormImageNet16 = [2][3]float32{{122.68 / 255, 116.66 / 255, 104.01 / 255}, {63.22 / 255, 61.26 / 255, 65.09 / 255}}
	// NormImageNet is the torchvision ImageNet mean/std.
	NormImageNet = [2][3]float32{{0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}}
)

// Histogram returns the number of samples of each class in s, for classes
// labels in [0, classes).
func Histogram(s Source, classes int) []int {
	h := make([]int, classes)
	for i := 0; i < s.Len(); i++ {
		if l := s.Label(i); l >= 0 && l < classes {
			h[l]++
		}
	}
	return h
}

// ChannelStats returns the per-channel mean and standard deviation
// (population, ddof 0) of the pixels of s on [0, 1], computed exactly from
// per-channel byte histograms. Images are read (decoded, for a Folder) on
// workers goroutines (0 means GOMAXPROCS). Every image must have 3
// channels.
func ChannelStats(s Source, workers int) (mean, std [3]float64, err error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	hists := make([][3][256]uint64, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var buf Image
			hist := &hists[w]
			for i := w; i < s.Len(); i += workers {
				im, err := s.Image(i, &buf)
				if err != nil {
					errs[w] = err
					return
				}
				if im.C != 3 {
					errs[w] = fmt.Errorf("data: image %d: %d channels, want 3", i, im.C)
					return
				}
				plane := im.H * im.W
				for c := 0; c < 3; c++ {
					h := &hist[c]
					for _, v := range im.Pix[c*plane : (c+1)*plane] {
						h[v]++
					}
				}
			}
		}(w)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return mean, std, err
	}
	for c := 0; c < 3; c++ {
		var n, s1, s2 float64
		for v := 0; v < 256; v++ {
			var k uint64
			for w := range hists {
				k += hists[w][c][v]
			}
			x := float64(v) / 255
			n += float64(k)
			s1 += float64(k) * x
			s2 += float64(k) * x * x
		}
		if n == 0 {
			continue
		}
		mean[c] = s1 / n
		v := s2/n - mean[c]*mean[c]
		if v < 0 {
			v = 0
		}
		std[c] = math.Sqrt(v)
	}
	return mean, std, nil
}
