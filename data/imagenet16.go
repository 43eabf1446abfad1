package data

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/nlpodyssey/gopickle/types"
)

// ImageNet16 batch files: the downsampled ImageNet of Chrabaszcz, Loshchilov
// and Hutter (arXiv:1707.08819) at 16×16, as NAS-Bench-201 uses them
// (D-X-Y/AutoDL-Projects xautodl/datasets/DownsampledImageNet.py).
var (
	imagenet16Train = []string{"train_data_batch_1", "train_data_batch_2", "train_data_batch_3", "train_data_batch_4",
		"train_data_batch_5", "train_data_batch_6", "train_data_batch_7", "train_data_batch_8", "train_data_batch_9",
		"train_data_batch_10"}
	imagenet16Val = []string{"val_data"}
)

// ImageNet16-120 keeps the classes with labels 1..120 (NAS-Bench-201).
const ImageNet16Classes = 120

// LoadImageNet16 reads the ImageNet16 pickle batches in dir
// (train_data_batch_1..10 for Train, val_data for Test). Each batch is a
// dict whose "data" is a uint8 array of N×768 (16·16·3, channel-major like
// CIFAR: 256 red, 256 green then 256 blue bytes, as
// PatrykChrabaszcz/Imagenet32_Scripts image2numpy_imagenet_train.py writes
// them and AutoDL's reshape(-1, 3, 16, 16) reads them) and whose "labels"
// are 1-based classes in [1, 1000]. Only images with labels ≤ classes are
// kept (120 for ImageNet16-120), relabelled 0-based; classes = 1000 keeps
// all.
func LoadImageNet16(dir string, classes int) (*Dataset, error) {
	if classes < 1 || classes > 1000 {
		return nil, fmt.Errorf("data: imagenet16: classes %d, want in [1, 1000]", classes)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("data: imagenet16: %w: folder %s (want train_data_batch_1..10 and val_data inside; set --data-dir)", ErrNotFound, dir)
	}
	train, err := loadImageNet16Split(dir, imagenet16Train, classes)
	if err != nil {
		return nil, err
	}
	test, err := loadImageNet16Split(dir, imagenet16Val, classes)
	if err != nil {
		return nil, err
	}
	return &Dataset{Name: "imagenet16", Train: train, Test: test, Classes: classes,
		Mean: NormImageNet16[0], Std: NormImageNet16[1]}, nil
}

func loadImageNet16Split(dir string, files []string, classes int) (*Images, error) {
	var out *Images
	for _, name := range files {
		fn := filepath.Join(dir, name)
		b, err := os.ReadFile(fn)
		if err != nil {
			return nil, fmt.Errorf("data: imagenet16: %w: %v", ErrNotFound, err)
		}
		m, err := decodeImageNetBatch(b, classes)
		if err != nil {
			return nil, fmt.Errorf("data: imagenet16: %s: %w", fn, err)
		}
		if out == nil {
			out = m
		} else if m.H != out.H {
			return nil, fmt.Errorf("data: imagenet16: %s: images are %d×%d, earlier batches %d×%d (%w)", fn, m.H, m.W, out.H, out.W, ErrFormat)
		} else {
			out.Pix = append(out.Pix, m.Pix...)
			out.Labels = append(out.Labels, m.Labels...)
		}
	}
	return out, nil
}

// decodeImageNetBatch decodes one pickled batch and keeps the images whose
// 1-based label is ≤ classes.
func decodeImageNetBatch(b []byte, classes int) (*Images, error) {
	v, err := unpickle(b)
	if err != nil {
		return nil, fmt.Errorf("%w (%w)", err, ErrFormat)
	}
	d, ok := v.(*types.Dict)
	if !ok {
		return nil, fmt.Errorf("pickle holds %T, want a dict with data and labels (%w)", v, ErrFormat)
	}
	dv, ok := d.Get("data")
	if !ok {
		return nil, fmt.Errorf(`dict has no "data" (%w)`, ErrFormat)
	}
	lv, ok := d.Get("labels")
	if !ok {
		return nil, fmt.Errorf(`dict has no "labels" (%w)`, ErrFormat)
	}
	arr, ok := dv.(*ndarray)
	if !ok {
		return nil, fmt.Errorf(`"data" is %T, want a numpy uint8 array (%w)`, dv, ErrFormat)
	}
	if arr.dtype != "u1" && arr.dtype != "|u1" {
		return nil, fmt.Errorf(`"data" has dtype %q, want uint8 (%w)`, arr.dtype, ErrFormat)
	}
	if len(arr.shape) != 2 {
		return nil, fmt.Errorf(`"data" has shape %v, want N×768 (%w)`, arr.shape, ErrFormat)
	}
	n, cols := arr.shape[0], arr.shape[1]
	if cols == 0 || len(arr.data)%cols != 0 || len(arr.data)/cols != n {
		return nil, fmt.Errorf(`"data" holds %d bytes, want %d×%d (%w; protocol 0/1 text pickles are not supported: re-save with protocol 2 or later)`,
			len(arr.data), n, cols, ErrFormat)
	}
	side := int(math.Round(math.Sqrt(float64(cols) / 3)))
	if 3*side*side != cols {
		return nil, fmt.Errorf(`"data" rows hold %d bytes, want 3·side² (768 for 16×16) (%w)`, cols, ErrFormat)
	}
	labels, err := pickleInts(lv)
	if err != nil {
		return nil, fmt.Errorf(`"labels": %w (%w)`, err, ErrFormat)
	}
	if len(labels) != n {
		return nil, fmt.Errorf(`%d labels for %d images (%w)`, len(labels), n, ErrFormat)
	}
	keep := 0
	for i, l := range labels {
		if l < 1 || l > 1000 {
			return nil, fmt.Errorf(`labels[%d] = %d, want 1-based in [1, 1000] (%w)`, i, l, ErrFormat)
		}
		if l <= classes {
			keep++
		}
	}
	m := NewImages(keep, 3, side, side)
	k := 0
	for i, l := range labels {
		if l <= classes {
			copy(m.At(k), arr.data[i*cols:(i+1)*cols])
			m.Labels[k] = int32(l - 1)
			k++
		}
	}
	return m, nil
}
