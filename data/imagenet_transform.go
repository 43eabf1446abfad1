package data

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// ColorJitter randomly changes brightness, contrast, saturation and hue
// with torchvision's ColorJitter semantics on float tensors
// (torchvision/transforms/functional_tensor.py, v0.14): factors drawn
// uniformly from [max(0, 1-x), 1+x] (hue from [-Hue, Hue]) and the four
// adjustments applied in a random order. A zero field disables its
// adjustment.
type ColorJitter struct {
	Brightness, Contrast, Saturation, Hue float64
}

// JitterParams are the random choices of one ColorJitter application.
type JitterParams struct {
	// Order lists the adjustments to apply: 0 brightness, 1 contrast,
	// 2 saturation, 3 hue.
	Order [4]int
	// Factors of each adjustment; a hue factor of 0 and other factors of
	// 1 leave the image unchanged.
	Brightness, Contrast, Saturation, Hue float32
}

// Sample draws the order then the four factors (torchvision's get_params).
func (j ColorJitter) Sample(rng *rand.Rand) JitterParams {
	p := JitterParams{Brightness: 1, Contrast: 1, Saturation: 1}
	perm := rng.Perm(4)
	copy(p.Order[:], perm)
	u := func(lo, hi float64) float32 { return float32(lo + (hi-lo)*rng.Float64()) }
	if j.Brightness > 0 {
		p.Brightness = u(math.Max(0, 1-j.Brightness), 1+j.Brightness)
	}
	if j.Contrast > 0 {
		p.Contrast = u(math.Max(0, 1-j.Contrast), 1+j.Contrast)
	}
	if j.Saturation > 0 {
		p.Saturation = u(math.Max(0, 1-j.Saturation), 1+j.Saturation)
	}
	if j.Hue > 0 {
		p.Hue = u(-j.Hue, j.Hue)
	}
	return p
}

// applyJitter adjusts x (3×n floats on [0, 1], CHW) in place.
func applyJitter(x []float32, n int, p JitterParams) {
	r, g, b := x[:n], x[n:2*n], x[2*n:3*n]
	for _, op := range p.Order {
		switch op {
		case 0:
			if p.Brightness != 1 {
				for i := range x {
					x[i] = clamp01(p.Brightness * x[i])
				}
			}
		case 1:
			if p.Contrast != 1 {
				// torch.mean of the grayscale image, float32.
				var s float64
				for i := 0; i < n; i++ {
					s += float64(gray(r[i], g[i], b[i]))
				}
				m := float32(s / float64(n))
				for i := range x {
					x[i] = clamp01(p.Contrast*x[i] + (1-p.Contrast)*m)
				}
			}
		case 2:
			if p.Saturation != 1 {
				for i := 0; i < n; i++ {
					gy := gray(r[i], g[i], b[i])
					r[i] = clamp01(p.Saturation*r[i] + (1-p.Saturation)*gy)
					g[i] = clamp01(p.Saturation*g[i] + (1-p.Saturation)*gy)
					b[i] = clamp01(p.Saturation*b[i] + (1-p.Saturation)*gy)
				}
			}
		case 3:
			if p.Hue != 0 {
				for i := 0; i < n; i++ {
					r[i], g[i], b[i] = shiftHue(r[i], g[i], b[i], p.Hue)
				}
			}
		}
	}
}

// gray is torchvision's rgb_to_grayscale: 0.2989 r + 0.587 g + 0.114 b.
func gray(r, g, b float32) float32 { return 0.2989*r + 0.587*g + 0.114*b }

func clamp01(v float32) float32 {
	if v < 0 {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}

// shiftHue is torchvision's _rgb2hsv, h = (h + hue) mod 1, _hsv2rgb.
func shiftHue(r, g, b, hue float32) (float32, float32, float32) {
	maxc := max(r, g, b)
	minc := min(r, g, b)
	cr := maxc - minc
	var h, s float32
	if maxc != minc {
		s = cr / maxc
		rc, gc, bc := (maxc-r)/cr, (maxc-g)/cr, (maxc-b)/cr
		switch {
		case maxc == r:
			h = bc - gc
		case maxc == g:
			h = 2 + rc - bc
		default:
			h = 4 + gc - rc
		}
	}
	h = fmod1(h/6 + 1)
	h = fmod1(h + hue)
	if h < 0 { // torch's % is Python's modulo: result has the divisor's sign
		h += 1
	}
	v := maxc
	h6 := h * 6
	fi := float32(math.Floor(float64(h6)))
	f := h6 - fi
	i := ((int(fi) % 6) + 6) % 6
	p := clamp01(v * (1 - s))
	q := clamp01(v * (1 - s*f))
	t := clamp01(v * (1 - s*(1-f)))
	switch i {
	case 0:
		return v, t, p
	case 1:
		return q, v, p
	case 2:
		return p, v, t
	case 3:
		return p, q, v
	case 4:
		return t, p, v
	default:
		return v, p, q
	}
}

// fmod1 is C fmod(x, 1) for float32 (sign of x).
func fmod1(x float32) float32 { return float32(math.Mod(float64(x), 1)) }

// ResizedCropParams are the random choices of one ImageNetTrain
// application: the crop box, the flip and the colour jitter.
type ResizedCropParams struct {
	Top, Left, H, W int
	Flip            bool
	Jitter          JitterParams
}

// ImageNetTrain is the ImageNet training augmentation of DARTS
// (quark0/darts cnn/train_imagenet.py): RandomResizedCrop(Size, scale,
// ratio), RandomHorizontalFlip, ColorJitter(0.4, 0.4, 0.4, 0.2), ToTensor,
// Normalize. The crop is resized with Pillow's antialiased bilinear filter;
// unlike Pillow, intermediate values stay float32 (no rounding to bytes
// between steps), and the jitter runs on [0, 1] floats as torchvision does
// on tensors.
type ImageNetTrain struct {
	// Size is the output side (224).
	Size int
	// Scale bounds the crop area as a fraction of the image ((0.08, 1)).
	Scale [2]float64
	// Ratio bounds the crop aspect ratio w/h ((3/4, 4/3)).
	Ratio [2]float64
	// Flip enables a horizontal flip with probability 0.5.
	Flip bool
	// Jitter is the colour jitter; the zero value disables it.
	Jitter    ColorJitter
	Mean, Std [3]float32
}

// NewImageNetTrain returns DARTS' ImageNet training transform at size
// (224 in DARTS), normalised with mean and std.
func NewImageNetTrain(size int, mean, std [3]float32) *ImageNetTrain {
	return &ImageNetTrain{Size: size, Scale: [2]float64{0.08, 1}, Ratio: [2]float64{3.0 / 4, 4.0 / 3}, Flip: true,
		Jitter: ColorJitter{0.4, 0.4, 0.4, 0.2}, Mean: mean, Std: std}
}

// OutShape returns 3, Size, Size.
func (t *ImageNetTrain) OutShape() (int, int, int) { return 3, t.Size, t.Size }

// SampleCrop is torchvision's RandomResizedCrop.get_params: 10 tries of
// an area fraction uniform in Scale and a log-uniform aspect ratio in
// Ratio, then the centre crop clamped to Ratio.
func (t *ImageNetTrain) SampleCrop(height, width int, rng *rand.Rand) (top, left, h, w int) {
	area := float64(height * width)
	lr0, lr1 := math.Log(t.Ratio[0]), math.Log(t.Ratio[1])
	for try := 0; try < 10; try++ {
		target := area * (t.Scale[0] + (t.Scale[1]-t.Scale[0])*rng.Float64())
		ar := math.Exp(lr0 + (lr1-lr0)*rng.Float64())
		w := int(math.RoundToEven(math.Sqrt(target * ar)))
		h := int(math.RoundToEven(math.Sqrt(target / ar)))
		if w > 0 && w <= width && h > 0 && h <= height {
			return rng.IntN(height - h + 1), rng.IntN(width - w + 1), h, w
		}
	}
	inRatio := float64(width) / float64(height)
	switch {
	case inRatio < t.Ratio[0]:
		w = width
		h = int(math.RoundToEven(float64(w) / t.Ratio[0]))
	case inRatio > t.Ratio[1]:
		h = height
		w = int(math.RoundToEven(float64(h) * t.Ratio[1]))
	default:
		w, h = width, height
	}
	return (height - h) / 2, (width - w) / 2, h, w
}

// Sample draws the crop, the flip and the jitter, in that order.
func (t *ImageNetTrain) Sample(height, width int, rng *rand.Rand) ResizedCropParams {
	var p ResizedCropParams
	p.Top, p.Left, p.H, p.W = t.SampleCrop(height, width, rng)
	if t.Flip {
		p.Flip = rng.IntN(2) == 1
	}
	p.Jitter = t.Jitter.Sample(rng)
	return p
}

// Apply samples parameters from rng and applies them; a nil rng takes the
// whole image, unflipped and unjittered.
func (t *ImageNetTrain) Apply(dst []float32, src *Image, rng *rand.Rand) error {
	p := ResizedCropParams{H: src.H, W: src.W, Jitter: JitterParams{Order: [4]int{0, 1, 2, 3}, Brightness: 1, Contrast: 1, Saturation: 1}}
	if rng != nil {
		p = t.Sample(src.H, src.W, rng)
	}
	return t.ApplyParams(dst, src, p, nil)
}

// ApplyParams applies the transform with fixed parameters; tmp is optional
// scratch space.
func (t *ImageNetTrain) ApplyParams(dst []float32, src *Image, p ResizedCropParams, tmp []float32) error {
	if err := checkRGB(src); err != nil {
		return err
	}
	n := t.Size
	if len(dst) < 3*n*n {
		return fmt.Errorf("data: resized-crop: dst holds %d values, want %d", len(dst), 3*n*n)
	}
	if p.H <= 0 || p.W <= 0 || p.Top < 0 || p.Left < 0 || p.Top+p.H > src.H || p.Left+p.W > src.W {
		return fmt.Errorf("data: resized-crop: box (%d, %d, %d, %d) outside the %d×%d image", p.Top, p.Left, p.H, p.W, src.H, src.W)
	}
	// torchvision resized_crop crops first, then resizes: the filter is
	// clipped at the crop's edges, not the image's.
	kx := newResampleKernel(p.W, 0, float64(p.W), n).shift(p.Left)
	ky := newResampleKernel(p.H, 0, float64(p.H), n).shift(p.Top)
	resample(dst, src, kx, ky, tmp)
	x := dst[:3*n*n]
	for i := range x {
		x[i] /= 255
	}
	if p.Flip {
		flipRows(x, 3*n, n)
	}
	applyJitter(x, n*n, p.Jitter)
	normalize(x, n*n, t.Mean, t.Std)
	return nil
}

// ImageNetTest is the ImageNet evaluation transform: Resize(Resize) of the
// shorter side with the antialiased bilinear filter, CenterCrop(Crop),
// ToTensor, Normalize (DARTS cnn/train_imagenet.py).
type ImageNetTest struct {
	Resize, Crop int
	Mean, Std    [3]float32
}

// NewImageNetTest returns Resize(256) → CenterCrop(224) with mean and std.
func NewImageNetTest(mean, std [3]float32) *ImageNetTest {
	return &ImageNetTest{Resize: 256, Crop: 224, Mean: mean, Std: std}
}

// OutShape returns 3, Crop, Crop.
func (t *ImageNetTest) OutShape() (int, int, int) { return 3, t.Crop, t.Crop }

// Apply ignores rng: the transform is deterministic.
func (t *ImageNetTest) Apply(dst []float32, src *Image, _ *rand.Rand) error {
	if err := checkRGB(src); err != nil {
		return err
	}
	n := t.Crop
	if len(dst) < 3*n*n {
		return fmt.Errorf("data: center-crop: dst holds %d values, want %d", len(dst), 3*n*n)
	}
	// torchvision _compute_resized_output_size: the short side becomes
	// Resize, the long side int(Resize·long/short).
	oh, ow := t.Resize, t.Resize
	if src.W < src.H {
		oh = int(float64(t.Resize) * float64(src.H) / float64(src.W))
	} else if src.H < src.W {
		ow = int(float64(t.Resize) * float64(src.W) / float64(src.H))
	}
	if oh < n || ow < n {
		return fmt.Errorf("data: center-crop: resized image %d×%d is smaller than the %d crop", oh, ow, n)
	}
	// torchvision center_crop: top = int(round((h - crop) / 2)).
	top := int(math.RoundToEven(float64(oh-n) / 2))
	left := int(math.RoundToEven(float64(ow-n) / 2))
	kx := newResampleKernel(src.W, 0, float64(src.W), ow).slice(left, n)
	ky := newResampleKernel(src.H, 0, float64(src.H), oh).slice(top, n)
	resample(dst, src, kx, ky, nil)
	x := dst[:3*n*n]
	for i := range x {
		x[i] /= 255
	}
	normalize(x, n*n, t.Mean, t.Std)
	return nil
}

func checkRGB(src *Image) error {
	if src.C != 3 || src.H <= 0 || src.W <= 0 || len(src.Pix) < 3*src.H*src.W {
		return fmt.Errorf("data: image is %d×%d×%d with %d bytes, want 3×H×W", src.C, src.H, src.W, len(src.Pix))
	}
	return nil
}

// flipRows mirrors each of the rows rows of width w in place.
func flipRows(x []float32, rows, w int) {
	for r := 0; r < rows; r++ {
		row := x[r*w : (r+1)*w]
		for i, j := 0, w-1; i < j; i, j = i+1, j-1 {
			row[i], row[j] = row[j], row[i]
		}
	}
}

// normalize maps each channel's values v to (v - mean) / std.
func normalize(x []float32, n int, mean, std [3]float32) {
	for c := 0; c < 3; c++ {
		ch := x[c*n : (c+1)*n]
		for i, v := range ch {
			ch[i] = (v - mean[c]) / std[c]
		}
	}
}
