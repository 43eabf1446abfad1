package kernel

import "fmt"

// PoolGeom describes a 2-D max or average pooling on NCHW input (N, C, H, W) with a KH×KW window, stride
// (SH, SW) and padding (PH, PW), as torch.nn.MaxPool2d / AvgPool2d with dilation 1 and ceil_mode=False.
type PoolGeom struct {
	N, C, H, W int
	KH, KW     int
	SH, SW     int
	PH, PW     int
}

// OutH is the output height ⌊(H + 2·PH − KH) / SH⌋ + 1.
func (g PoolGeom) OutH() int { return outSize(g.H, g.KH, g.SH, g.PH, 1) }

// OutW is the output width ⌊(W + 2·PW − KW) / SW⌋ + 1.
func (g PoolGeom) OutW() int { return outSize(g.W, g.KW, g.SW, g.PW, 1) }

// Validate reports the first inconsistency in g. As in PyTorch, padding may be at most half the window, so
// every window holds at least one input element.
func (g PoolGeom) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"N", g.N}, {"C", g.C}, {"H", g.H}, {"W", g.W}, {"kernel h", g.KH}, {"kernel w", g.KW},
		{"stride h", g.SH}, {"stride w", g.SW}} {
		if f.v <= 0 {
			return fmt.Errorf("pool: %s: got %d, want > 0", f.name, f.v)
		}
	}
	if g.PH < 0 || g.PW < 0 || 2*g.PH > g.KH || 2*g.PW > g.KW {
		return fmt.Errorf("pool: padding (%d, %d) must be >= 0 and at most half the kernel %dx%d", g.PH, g.PW, g.KH, g.KW)
	}
	if g.OutH() < 1 || g.OutW() < 1 {
		return fmt.Errorf("pool: kernel %dx%d larger than padded input %dx%d (padding %d,%d)", g.KH, g.KW, g.H, g.W, g.PH, g.PW)
	}
	return nil
}

// window returns the clipped input range [lo, hi) of output position o along one axis.
func window(o, k, s, p, size int) (lo, hi int) {
	lo = o*s - p
	hi = lo + k
	return max(lo, 0), min(hi, size)
}

// MaxPool2dForward overwrites y (N, C, OutH, OutW) with the window maxima of x (N, C, H, W). Padding acts
// as −∞ (it is never selected). A NaN in a window makes its output NaN, as in PyTorch. Parallel over N·C.
func MaxPool2dForward[T Float](g PoolGeom, x, y []T) {
	oh, ow := g.OutH(), g.OutW()
	checkLen("maxpool input", len(x), g.N*g.C*g.H*g.W)
	checkLen("maxpool output", len(y), g.N*g.C*oh*ow)
	maxPoolForwardWide(g, x, y)
}

// MaxPool2dBackward overwrites dx with the gradient of sum(y ⊙ dy) for y = maxpool(x): each dy goes to the
// window position PyTorch selects, the first maximum in row-major window order, or the last NaN when the
// window holds NaNs. y must be MaxPool2dForward's output for x: the selected element is found again as the
// first window element equal to it (no argmax state is kept between the passes).
func MaxPool2dBackward[T Float](g PoolGeom, x, y, dy, dx []T) {
	oh, ow := g.OutH(), g.OutW()
	checkLen("maxpool input", len(x), g.N*g.C*g.H*g.W)
	checkLen("maxpool output", len(y), g.N*g.C*oh*ow)
	checkLen("maxpool output gradient", len(dy), g.N*g.C*oh*ow)
	checkLen("maxpool input gradient", len(dx), len(x))
	maxPoolBackwardWide(g, x, y, dy, dx)
}

// AvgPool2dForward overwrites y with the window means of x, as torch.nn.AvgPool2d(count_include_pad=...,
// ceil_mode=False). Parallel over N·C.
func AvgPool2dForward[T Float](g PoolGeom, countIncludePad bool, x, y []T) {
	oh, ow := g.OutH(), g.OutW()
	checkLen("avgpool input", len(x), g.N*g.C*g.H*g.W)
	checkLen("avgpool output", len(y), g.N*g.C*oh*ow)
	avgPoolForwardWide(g, countIncludePad, x, y)
}

// AvgPool2dBackward overwrites dx with the gradient of sum(y ⊙ dy) for y = AvgPool2dForward(x): each dy is
// spread evenly, divided by its window's divisor, over the window's input elements. Parallel over N·C.
func AvgPool2dBackward[T Float](g PoolGeom, countIncludePad bool, dy, dx []T) {
	oh, ow := g.OutH(), g.OutW()
	checkLen("avgpool output gradient", len(dy), g.N*g.C*oh*ow)
	checkLen("avgpool input gradient", len(dx), g.N*g.C*g.H*g.W)
	avgPoolBackwardWide(g, countIncludePad, dy, dx)
}

// GlobalAvgPoolForward overwrites y (planes) with the mean of each of the planes of x (planes × hw).
func GlobalAvgPoolForward[T Float](planes, hw int, x, y []T) {
	checkLen("global avgpool input", len(x), planes*hw)
	checkLen("global avgpool output", len(y), planes)
	ParallelFor(planes, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			var s T
			for _, v := range x[p*hw : (p+1)*hw] {
				s += v
			}
			y[p] = s / T(hw)
		}
	})
}

// GlobalAvgPoolBackward overwrites dx (planes × hw) with dy[p] / hw on every element of plane p.
func GlobalAvgPoolBackward[T Float](planes, hw int, dy, dx []T) {
	checkLen("global avgpool output gradient", len(dy), planes)
	checkLen("global avgpool input gradient", len(dx), planes*hw)
	ParallelFor(planes, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			v := dy[p] / T(hw)
			row := dx[p*hw : (p+1)*hw]
			for i := range row {
				row[i] = v
			}
		}
	})
}
