package data

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Transform turns an 8-bit CHW image into float32 CHW values. Apply draws
// every random choice from rng, so equal rng states give equal outputs.
type Transform interface {
	// OutShape returns the channels, height and width Apply writes.
	OutShape() (c, h, w int)
	// Apply writes the transformed src into dst, which holds c×h×w values.
	Apply(dst []float32, src *Image, rng *rand.Rand) error
}

// normLUT maps a byte v of channel c to (v/255 - mean[c]) / std[c], with
// the float32 operations of torchvision's ToTensor then Normalize, so the
// values are bitwise those of PyTorch.
type normLUT [3][256]float32

func newNormLUT(mean, std [3]float32) *normLUT {
	var l normLUT
	for c := 0; c < 3; c++ {
		for v := 0; v < 256; v++ {
			x := float32(v) / 255
			l[c][v] = (x - mean[c]) / std[c]
		}
	}
	return &l
}

// CropFlip is the CIFAR-style augmentation of DARTS and NAS-Bench-201:
// RandomCrop(Size, padding=Pad) with zero padding, RandomHorizontalFlip
// (p = 0.5), ToTensor, Normalize(Mean, Std), then Cutout(Cutout) on the
// normalised tensor (quark0/darts cnn/utils.py, _data_transforms_cifar10 and
// Cutout). With Pad = 0, Flip = false and Cutout = 0 it is the test
// transform: only normalisation.
type CropFlip struct {
	// Size is the output side; the input must be Size×Size.
	Size int
	// Pad is the zero padding on each side before the random crop; 0
	// disables cropping.
	Pad int
	// Flip enables a horizontal flip with probability 0.5.
	Flip bool
	// Cutout is the side of the square zeroed after normalisation; 0
	// disables it.
	Cutout int
	lut    *normLUT
}

// NewCropFlip returns the transform for images of size×size×3. Train
// recipes use pad 4 and flip for CIFAR (32), pad 2 for ImageNet16 (16);
// DARTS' evaluation uses cutout 16.
func NewCropFlip(size, pad int, flip bool, cutout int, mean, std [3]float32) (*CropFlip, error) {
	if size <= 0 || pad < 0 || cutout < 0 {
		return nil, fmt.Errorf("data: crop-flip: size %d, pad %d, cutout %d: want size > 0, pad ≥ 0, cutout ≥ 0", size, pad, cutout)
	}
	for c := 0; c < 3; c++ {
		if !(std[c] > 0) {
			return nil, fmt.Errorf("data: crop-flip: std[%d] = %g, want > 0", c, std[c])
		}
	}
	return &CropFlip{Size: size, Pad: pad, Flip: flip, Cutout: cutout, lut: newNormLUT(mean, std)}, nil
}

// OutShape returns 3, Size, Size.
func (t *CropFlip) OutShape() (int, int, int) { return 3, t.Size, t.Size }

// CropFlipParams are the random choices of one CropFlip application.
type CropFlipParams struct {
	// Top and Left place the crop in the padded image, in [0, 2·Pad].
	Top, Left int
	// Flip mirrors the crop left to right.
	Flip bool
	// CutY and CutX are the cutout centre, in [0, Size).
	CutY, CutX int
}

// Sample draws the parameters in a fixed order: top, left, flip, cutout y,
// cutout x (each only when enabled).
func (t *CropFlip) Sample(rng *rand.Rand) CropFlipParams {
	var p CropFlipParams
	if t.Pad > 0 {
		p.Top = rng.IntN(2*t.Pad + 1)
		p.Left = rng.IntN(2*t.Pad + 1)
	}
	if t.Flip {
		p.Flip = rng.IntN(2) == 1
	}
	if t.Cutout > 0 {
		p.CutY = rng.IntN(t.Size)
		p.CutX = rng.IntN(t.Size)
	}
	return p
}

// Apply samples parameters from rng and applies them.
func (t *CropFlip) Apply(dst []float32, src *Image, rng *rand.Rand) error {
	var p CropFlipParams
	if rng != nil {
		p = t.Sample(rng)
	} else {
		p.Top, p.Left = t.Pad, t.Pad
	}
	return t.ApplyParams(dst, src, p)
}

// ApplyParams applies the transform with fixed parameters.
func (t *CropFlip) ApplyParams(dst []float32, src *Image, p CropFlipParams) error {
	n := t.Size
	if src.C != 3 || src.H != n || src.W != n || len(src.Pix) < 3*n*n {
		return fmt.Errorf("data: crop-flip: image is %d×%d×%d, want 3×%d×%d", src.C, src.H, src.W, n, n)
	}
	if len(dst) < 3*n*n {
		return fmt.Errorf("data: crop-flip: dst holds %d values, want %d", len(dst), 3*n*n)
	}
	oy, ox := p.Top-t.Pad, p.Left-t.Pad // source row/col of output (0,0)
	for c := 0; c < 3; c++ {
		lut := &t.lut[c]
		zero := lut[0] // a padded pixel is 0 before normalisation
		plane := src.Pix[c*n*n : (c+1)*n*n]
		out := dst[c*n*n : (c+1)*n*n]
		for y := 0; y < n; y++ {
			sy := y + oy
			row := out[y*n : (y+1)*n]
			if sy < 0 || sy >= n {
				for x := range row {
					row[x] = zero
				}
				continue
			}
			srow := plane[sy*n : (sy+1)*n]
			// Output x reads source column sx = x+ox, or (n-1-x)+ox flipped.
			for x := 0; x < n; x++ {
				xx := x
				if p.Flip {
					xx = n - 1 - x
				}
				sx := xx + ox
				if sx < 0 || sx >= n {
					row[x] = zero
				} else {
					row[x] = lut[srow[sx]]
				}
			}
		}
	}
	if t.Cutout > 0 {
		cutout(dst, n, n, t.Cutout, p.CutY, p.CutX)
	}
	return nil
}

// cutout zeroes the square of side length centred at (cy, cx), clipped at
// the borders, in every channel: DARTS' utils.Cutout, rows
// [clip(cy-L/2), clip(cy+L/2)) and likewise columns.
func cutout(dst []float32, h, w, length, cy, cx int) {
	y1, y2 := clampInt(cy-length/2, 0, h), clampInt(cy+length/2, 0, h)
	x1, x2 := clampInt(cx-length/2, 0, w), clampInt(cx+length/2, 0, w)
	for c := 0; c < len(dst)/(h*w); c++ {
		for y := y1; y < y2; y++ {
			row := dst[c*h*w+y*w : c*h*w+(y+1)*w]
			for x := x1; x < x2; x++ {
				row[x] = 0
			}
		}
	}
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// resampleKernel holds, for each output index, the first input index, the
// count of inputs and their normalised weights: Pillow's precompute_coeffs
// (libImaging/Resample.c) for the bilinear (triangle) filter, which widens
// the filter by the scale factor when downsampling (antialiasing), as
// torchvision's Resize on PIL images and on tensors with antialias=True.
type resampleKernel struct {
	start, count []int
	weights      [][]float32
}

// newResampleKernel maps the input interval [in0, in1) of an axis of
// inSize pixels onto outSize pixels.
func newResampleKernel(inSize int, in0, in1 float64, outSize int) resampleKernel {
	scale := (in1 - in0) / float64(outSize)
	filterScale := math.Max(scale, 1)
	support := 1.0 * filterScale // the bilinear filter's support is 1
	k := resampleKernel{start: make([]int, outSize), count: make([]int, outSize), weights: make([][]float32, outSize)}
	ksize := 2*int(math.Ceil(support)) + 1 // Pillow's bound on taps per output
	flat := make([]float32, outSize*ksize)
	w := make([]float64, ksize)
	for xx := 0; xx < outSize; xx++ {
		center := in0 + (float64(xx)+0.5)*scale
		xmin := int(center - support + 0.5) // C's (int) truncates toward 0
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > inSize {
			xmax = inSize
		}
		n := min(max(xmax-xmin, 0), ksize)
		var ww float64
		for x := 0; x < n; x++ {
			w[x] = 0
			if d := math.Abs((float64(x+xmin) - center + 0.5) / filterScale); d < 1 {
				w[x] = 1 - d
			}
			ww += w[x]
		}
		w32 := flat[xx*ksize : xx*ksize+n : xx*ksize+n]
		for x := range w32 {
			if ww != 0 {
				w32[x] = float32(w[x] / ww)
			}
		}
		k.start[xx], k.count[xx], k.weights[xx] = xmin, n, w32
	}
	return k
}

// resample applies the separable kernels kx (columns) and ky (rows) to
// src, writing 3×len(ky)×len(kx) floats on the 0..255 scale into dst,
// horizontal pass first like Pillow. tmp is scratch space, returned grown
// when it was too small; only the source rows the vertical pass reads are
// filtered.
func resample(dst []float32, src *Image, kx, ky resampleKernel, tmp []float32) []float32 {
	ow, oh := len(kx.start), len(ky.start)
	r0, r1 := src.H, 0
	for y := 0; y < oh; y++ {
		r0 = min(r0, ky.start[y])
		r1 = max(r1, ky.start[y]+ky.count[y])
	}
	if r1 < r0 {
		r1 = r0
	}
	rows := r1 - r0
	if cap(tmp) < 3*rows*ow {
		tmp = make([]float32, 3*rows*ow)
	}
	tmp = tmp[:3*rows*ow]
	plane := src.H * src.W
	for c := 0; c < 3; c++ {
		for r := 0; r < rows; r++ {
			srow := src.Pix[c*plane+(r0+r)*src.W : c*plane+(r0+r+1)*src.W]
			trow := tmp[(c*rows+r)*ow : (c*rows+r+1)*ow]
			for x := 0; x < ow; x++ {
				var s float32
				st := kx.start[x]
				for j, w := range kx.weights[x] {
					s += w * float32(srow[st+j])
				}
				trow[x] = s
			}
		}
		for y := 0; y < oh; y++ {
			out := dst[(c*oh+y)*ow : (c*oh+y+1)*ow]
			for x := range out {
				out[x] = 0
			}
			for j, w := range ky.weights[y] {
				r := ky.start[y] - r0 + j
				trow := tmp[(c*rows+r)*ow : (c*rows+r+1)*ow]
				for x, v := range trow {
					out[x] += w * v
				}
			}
		}
	}
	return tmp
}

// slice keeps the output indices [from, from+n) of k.
func (k resampleKernel) slice(from, n int) resampleKernel {
	return resampleKernel{start: k.start[from : from+n], count: k.count[from : from+n], weights: k.weights[from : from+n]}
}

// shift moves every input index by off (a kernel built for a crop, applied
// to the whole image).
func (k resampleKernel) shift(off int) resampleKernel {
	for i := range k.start {
		k.start[i] += off
	}
	return k
}

// DefaultTransforms returns the train and test transforms of the usual
// recipe for ds: for 32×32 sets (CIFAR, synthetic at 32) DARTS' crop 32 pad
// 4 + flip (+ cutout); for 16×16 ImageNet16 NAS-Bench-201's crop 16 pad 2 +
// flip; for other in-memory sizes crop with pad size/8; for image folders
// (ImageNet) ImageNetTrain and ImageNetTest at 224. Test transforms only
// normalise (or resize and centre-crop). cutout (0: off) applies to the
// in-memory sets only.
func DefaultTransforms(ds *Dataset, cutout int) (train, test Transform, err error) {
	switch s := ds.Train.(type) {
	case *Images:
		if s.C != 3 || s.H != s.W {
			return nil, nil, fmt.Errorf("data: %s: %d×%d×%d images, want 3×S×S", ds.Name, s.C, s.H, s.W)
		}
		pad := s.H / 8 // 4 for 32, 2 for 16
		tr, err := NewCropFlip(s.H, pad, true, cutout, ds.Mean, ds.Std)
		if err != nil {
			return nil, nil, err
		}
		te, _ := NewCropFlip(s.H, 0, false, 0, ds.Mean, ds.Std)
		return tr, te, nil
	case *Folder:
		return NewImageNetTrain(224, ds.Mean, ds.Std), NewImageNetTest(ds.Mean, ds.Std), nil
	}
	return nil, nil, fmt.Errorf("data: %s: no default transforms for %T", ds.Name, ds.Train)
}
