package kernel

import "fmt"

// ConvGeom describes a 2-D convolution on NCHW input (N, C, H, W) with weights (K, C/Groups, KH, KW), in
// PyTorch's terms: stride (SH, SW), zero padding (PH, PW) on both sides, dilation (DH, DW), Groups groups.
// The output is (N, K, OutH(), OutW()).
type ConvGeom struct {
	N, C, H, W int // input batch, channels, height, width
	K          int // output channels
	KH, KW     int // kernel height and width
	SH, SW     int // stride
	PH, PW     int // padding
	DH, DW     int // dilation
	Groups     int
	// ReLU fuses a ReLU before the convolution: the input is max(x, 0), and the input gradient is masked
	// where x <= 0, as DARTS' ReLU → conv blocks compute it (torch's threshold_backward).
	ReLU bool
}

// OutH is the output height: ⌊(H + 2·PH − DH·(KH−1) − 1) / SH⌋ + 1, as torch.nn.Conv2d.
func (g ConvGeom) OutH() int { return outSize(g.H, g.KH, g.SH, g.PH, g.DH) }

// OutW is the output width, as OutH.
func (g ConvGeom) OutW() int { return outSize(g.W, g.KW, g.SW, g.PW, g.DW) }

func outSize(in, k, s, p, d int) int {
	span := in + 2*p - d*(k-1) - 1
	if span < 0 {
		return 0 // floor division of a negative span: no output position fits
	}
	return span/s + 1
}

// Validate reports the first inconsistency in g: non-positive sizes, strides or dilations, negative padding,
// channel counts not divisible by Groups, or a kernel larger than the padded input.
func (g ConvGeom) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"N", g.N}, {"C", g.C}, {"H", g.H}, {"W", g.W}, {"K", g.K}, {"KH", g.KH}, {"KW", g.KW},
		{"stride h", g.SH}, {"stride w", g.SW}, {"dilation h", g.DH}, {"dilation w", g.DW}, {"groups", g.Groups}} {
		if f.v <= 0 {
			return fmt.Errorf("conv: %s: got %d, want > 0", f.name, f.v)
		}
	}
	if g.PH < 0 || g.PW < 0 {
		return fmt.Errorf("conv: padding: got (%d, %d), want >= 0", g.PH, g.PW)
	}
	if g.C%g.Groups != 0 || g.K%g.Groups != 0 {
		return fmt.Errorf("conv: groups %d must divide input channels %d and output channels %d", g.Groups, g.C, g.K)
	}
	if g.OutH() < 1 || g.OutW() < 1 {
		return fmt.Errorf("conv: kernel %dx%d (dilation %d,%d) larger than padded input %dx%d (padding %d,%d)",
			g.KH, g.KW, g.DH, g.DW, g.H, g.W, g.PH, g.PW)
	}
	return nil
}

// Depthwise reports whether g is a depthwise convolution with channel multiplier 1 (Groups == C == K), which
// runs on the wide layout, one SIMD pass per tap and plane.
func (g ConvGeom) Depthwise() bool { return g.Groups == g.C && g.K == g.C && g.Groups > 1 }

// Pointwise reports whether g is a 1×1 convolution with stride 1 and no padding, whose im2col matrix is the
// input itself.
func (g ConvGeom) Pointwise() bool {
	return g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PH == 0 && g.PW == 0
}

// WeightLen is the number of weights, K·(C/Groups)·KH·KW.
func (g ConvGeom) WeightLen() int { return g.K * (g.C / g.Groups) * g.KH * g.KW }

// validRange returns the output positions o in [lo, hi), clipped to [0, nOut), for which the input position
// o·s + off lies in [0, size).
func validRange(nOut, s, off, size int) (lo, hi int) {
	// o·s + off >= 0  ⇔  o >= ceil(-off / s)
	if off < 0 {
		lo = (-off + s - 1) / s
	}
	// o·s + off <= size-1  ⇔  o <= floor((size-1-off) / s)
	last := size - 1 - off
	if last < 0 {
		return 0, 0
	}
	hi = last/s + 1
	if hi > nOut {
		hi = nOut
	}
	if lo > hi {
		lo = hi
	}
	return lo, hi
}
