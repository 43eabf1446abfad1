package data

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// transformsRef is testdata/transforms_ref.json from gen_transforms.py
// (numpy ports, Pillow 9.4 and torch 1.13; no nasx code).
type transformsRef struct {
	CropFlip []struct {
		Size, Pad, Cutout, Top, Left, CY, CX int
		Flip                                 bool
		Img                                  []uint8
		Want                                 []float32
	} `json:"crop_flip"`
	Resize []struct {
		H, W, Top, Left, BH, BW, OH, OW int
		Img                             []uint8
		Want                            []int
	}
	Center []struct {
		H, W, Resize, Crop int
		Img                []uint8
		Want               []int
	}
	Jitter []struct {
		Order                                 [4]int
		Brightness, Contrast, Saturation, Hue float32
		X, Want                               []float32
	}
}

func loadTransformsRef(t *testing.T) *transformsRef {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "transforms_ref.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r transformsRef
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// TestCropFlipMatchesNumpy: the numpy port performs the same float32
// operations (x/255, then (x-mean)/std), so the values must be identical.
func TestCropFlipMatchesNumpy(t *testing.T) {
	ref := loadTransformsRef(t)
	for i, c := range ref.CropFlip {
		tr, err := NewCropFlip(c.Size, c.Pad, true, c.Cutout, NormCIFAR10[0], NormCIFAR10[1])
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]float32, 3*c.Size*c.Size)
		src := &Image{C: 3, H: c.Size, W: c.Size, Pix: c.Img}
		if err := tr.ApplyParams(dst, src, CropFlipParams{Top: c.Top, Left: c.Left, Flip: c.Flip, CutY: c.CY, CutX: c.CX}); err != nil {
			t.Fatal(err)
		}
		for k := range dst {
			if dst[k] != c.Want[k] {
				t.Fatalf("case %d (%+v): value %d = %v, want %v", i, CropFlipParams{c.Top, c.Left, c.Flip, c.CY, c.CX}, k, dst[k], c.Want[k])
			}
		}
	}
}

// TestResampleMatchesPillow: Pillow rounds to bytes after its horizontal
// pass (error ≤ 0.5, carried through the vertical pass's convex weights)
// and at the end (≤ 0.5), so our float result may differ from Pillow's by
// at most 1 byte level, plus 1e-3 for Pillow's 22-bit fixed-point weights.
func TestResampleMatchesPillow(t *testing.T) {
	ref := loadTransformsRef(t)
	const tol = 1 + 1e-3
	for i, c := range ref.Resize {
		src := &Image{C: 3, H: c.H, W: c.W, Pix: c.Img}
		kx := newResampleKernel(c.BW, 0, float64(c.BW), c.OW).shift(c.Left)
		ky := newResampleKernel(c.BH, 0, float64(c.BH), c.OH).shift(c.Top)
		dst := make([]float32, 3*c.OH*c.OW)
		resample(dst, src, kx, ky, nil)
		worst := 0.0
		for k := range dst {
			worst = math.Max(worst, math.Abs(float64(dst[k])-float64(c.Want[k])))
		}
		if worst > tol {
			t.Errorf("resize case %d: max |Δ| = %.4f byte levels, want ≤ %.3f", i, worst, tol)
		}
	}
	for i, c := range ref.Center {
		src := &Image{C: 3, H: c.H, W: c.W, Pix: c.Img}
		tr := &ImageNetTest{Resize: c.Resize, Crop: c.Crop, Mean: [3]float32{0, 0, 0}, Std: [3]float32{1.0 / 255, 1.0 / 255, 1.0 / 255}}
		dst := make([]float32, 3*c.Crop*c.Crop)
		if err := tr.Apply(dst, src, nil); err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for k := range dst {
			worst = math.Max(worst, math.Abs(float64(dst[k])-float64(c.Want[k])))
		}
		if worst > tol {
			t.Errorf("center case %d: max |Δ| = %.4f byte levels, want ≤ %.3f", i, worst, tol)
		}
	}
}

// TestJitterMatchesTorch compares with torchvision's float tensor code run
// in torch 1.13 (float32): atol 1e-5, rtol 1e-4 (style guide, float32 vs
// PyTorch).
func TestJitterMatchesTorch(t *testing.T) {
	ref := loadTransformsRef(t)
	for i, c := range ref.Jitter {
		x := append([]float32(nil), c.X...)
		applyJitter(x, len(x)/3, JitterParams{Order: c.Order, Brightness: c.Brightness, Contrast: c.Contrast, Saturation: c.Saturation, Hue: c.Hue})
		for k := range x {
			if d := math.Abs(float64(x[k] - c.Want[k])); d > 1e-5+1e-4*math.Abs(float64(c.Want[k])) {
				t.Fatalf("jitter case %d: value %d = %v, want %v", i, k, x[k], c.Want[k])
			}
		}
	}
}

func TestCropFlipSampleRangesAndDeterminism(t *testing.T) {
	tr, _ := NewCropFlip(32, 4, true, 16, NormCIFAR10[0], NormCIFAR10[1])
	rng := rand.New(rand.NewPCG(1, 2))
	seenTop := map[int]bool{}
	flips := 0
	const n = 4000
	for i := 0; i < n; i++ {
		p := tr.Sample(rng)
		if p.Top < 0 || p.Top > 8 || p.Left < 0 || p.Left > 8 || p.CutY < 0 || p.CutY >= 32 || p.CutX < 0 || p.CutX >= 32 {
			t.Fatalf("params out of range: %+v", p)
		}
		seenTop[p.Top] = true
		if p.Flip {
			flips++
		}
	}
	if len(seenTop) != 9 {
		t.Errorf("tops drawn: %d distinct, want all 9 of [0, 8]", len(seenTop))
	}
	// Binomial(4000, 0.5): sd ≈ 31.6; 5 sd bounds.
	if flips < 2000-158 || flips > 2000+158 {
		t.Errorf("%d flips in %d, want ≈ 2000", flips, n)
	}
	a := tr.Sample(rand.New(rand.NewPCG(7, 7)))
	b := tr.Sample(rand.New(rand.NewPCG(7, 7)))
	if a != b {
		t.Errorf("same seed, different params: %+v %+v", a, b)
	}
}

// TestCropFlipTestMode: without rng, pad and flip the transform is
// normalisation only.
func TestCropFlipTestMode(t *testing.T) {
	tr, _ := NewCropFlip(2, 0, false, 0, [3]float32{0.5, 0.5, 0.5}, [3]float32{0.5, 0.25, 1})
	src := &Image{C: 3, H: 2, W: 2, Pix: []uint8{0, 255, 0, 255, 0, 0, 255, 255, 51, 51, 51, 51}}
	dst := make([]float32, 12)
	if err := tr.Apply(dst, src, nil); err != nil {
		t.Fatal(err)
	}
	// (v/255 - 0.5)/std: channel 0 ±1, channel 1 ±2, channel 2 0.2-0.5.
	want := []float32{-1, 1, -1, 1, -2, -2, 2, 2, 51.0/255 - 0.5, 51.0/255 - 0.5, 51.0/255 - 0.5, 51.0/255 - 0.5}
	for i := range want {
		if math.Abs(float64(dst[i]-want[i])) > 1e-6 {
			t.Errorf("dst[%d] = %v, want %v", i, dst[i], want[i])
		}
	}
	if _, err := NewCropFlip(0, 0, false, 0, NormCIFAR10[0], NormCIFAR10[1]); err == nil {
		t.Error("size 0 accepted")
	}
	if _, err := NewCropFlip(8, 0, false, 0, [3]float32{}, [3]float32{1, 0, 1}); err == nil {
		t.Error("std 0 accepted")
	}
	if err := tr.Apply(dst, &Image{C: 3, H: 3, W: 2, Pix: make([]uint8, 18)}, nil); err == nil {
		t.Error("wrong size accepted")
	}
}

// TestRandomResizedCropParams checks torchvision's get_params rules: the
// box lies inside the image; its area fraction and aspect ratio are within
// bounds, up to the rounding of w and h to integers; the fallback is the
// centred ratio-clamped crop.
func TestRandomResizedCropParams(t *testing.T) {
	tr := NewImageNetTrain(224, NormImageNet[0], NormImageNet[1])
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 2000; i++ {
		h, w := 50+rng.IntN(400), 50+rng.IntN(400)
		top, left, ch, cw := tr.SampleCrop(h, w, rng)
		if top < 0 || left < 0 || ch <= 0 || cw <= 0 || top+ch > h || left+cw > w {
			t.Fatalf("%d×%d: box (%d,%d,%d,%d) outside", h, w, top, left, ch, cw)
		}
	}
	// A 1000×10 strip: every try fails (w ≤ 10 forces a ratio far below
	// 3/4 for any area ≥ 8%), so the fallback clamps to ratio 3/4 on the
	// narrow side: w = 10, h = round(10 / 0.75) = 13, centred.
	top, left, ch, cw := tr.SampleCrop(1000, 10, rng)
	if ch != 13 || cw != 10 || top != (1000-13)/2 || left != 0 {
		t.Errorf("fallback box (%d,%d,%d,%d), want (493,0,13,10)", top, left, ch, cw)
	}
	dst := make([]float32, 3*224*224)
	src := &Image{C: 3, H: 300, W: 400, Pix: make([]uint8, 3*300*400)}
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 7)
	}
	if err := tr.Apply(dst, src, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	dst2 := make([]float32, 3*224*224)
	tr.Apply(dst2, src, rand.New(rand.NewPCG(1, 1)))
	for i := range dst {
		if dst[i] != dst2[i] || math.IsNaN(float64(dst[i])) {
			t.Fatalf("not deterministic or NaN at %d: %v %v", i, dst[i], dst2[i])
		}
	}
}

// TestImageNetTestTransformConstant: a constant image stays constant
// through resize and crop (the filter weights sum to 1), and normalises to
// (v/255 - mean)/std.
func TestImageNetTestTransformConstant(t *testing.T) {
	src := &Image{C: 3, H: 300, W: 500, Pix: make([]uint8, 3*300*500)}
	for c := 0; c < 3; c++ {
		for i := 0; i < 300*500; i++ {
			src.Pix[c*300*500+i] = uint8(60 * (c + 1))
		}
	}
	tr := NewImageNetTest(NormImageNet[0], NormImageNet[1])
	dst := make([]float32, 3*224*224)
	if err := tr.Apply(dst, src, nil); err != nil {
		t.Fatal(err)
	}
	for c := 0; c < 3; c++ {
		want := (float32(60*(c+1))/255 - NormImageNet[0][c]) / NormImageNet[1][c]
		for _, v := range dst[c*224*224 : (c+1)*224*224] {
			if math.Abs(float64(v-want)) > 1e-5 {
				t.Fatalf("channel %d: %v, want %v", c, v, want)
			}
		}
	}
	if err := tr.Apply(dst, &Image{C: 3, H: 10, W: 10, Pix: make([]uint8, 300)}, nil); err != nil {
		t.Errorf("small image (upsampled to 256): %v", err)
	}
	if err := tr.Apply(dst, &Image{C: 1, H: 10, W: 10, Pix: make([]uint8, 100)}, nil); err == nil {
		t.Error("1-channel image accepted")
	}
}

func TestDefaultTransforms(t *testing.T) {
	ds, _ := Synthetic(SyntheticConfig{Train: 2, Test: 2, Classes: 2, Size: 16, Seed: 1})
	tr, te, err := DefaultTransforms(ds, 8)
	if err != nil {
		t.Fatal(err)
	}
	cf := tr.(*CropFlip)
	if cf.Size != 16 || cf.Pad != 2 || !cf.Flip || cf.Cutout != 8 {
		t.Errorf("train %+v, want NAS-Bench-201's crop 16 pad 2 + flip, cutout 8", cf)
	}
	if c := te.(*CropFlip); c.Pad != 0 || c.Flip || c.Cutout != 0 {
		t.Errorf("test %+v, want normalisation only", c)
	}
	ds.Train = &Folder{}
	tr, te, _ = DefaultTransforms(ds, 0)
	if _, ok := tr.(*ImageNetTrain); !ok {
		t.Errorf("folder train transform %T", tr)
	}
	if c, h, w := te.OutShape(); c != 3 || h != 224 || w != 224 {
		t.Errorf("folder test shape %d %d %d", c, h, w)
	}
}
