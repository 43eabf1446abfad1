package mim

import "fmt"

// Float is the set of element types of the slice functions of this package.
type Float interface{ ~float32 | ~float64 }

// Geometry describes a batch of images and its patch grid.
type Geometry struct {
	N, C, H, W int // batch, channels, height, width
	P          int // patch size; must divide H and W
}

// Validate reports whether g describes a usable patch grid.
func (g Geometry) Validate() error {
	if g.N <= 0 || g.C <= 0 || g.H <= 0 || g.W <= 0 {
		return fmt.Errorf("mim: image shape (%d, %d, %d, %d): every dimension must be > 0", g.N, g.C, g.H, g.W)
	}
	if g.P <= 0 || g.H%g.P != 0 || g.W%g.P != 0 {
		return fmt.Errorf("mim: patch size %d must be > 0 and divide the image size %d×%d (valid for 32×32: 1, 2, 4, 8, 16, 32)", g.P, g.H, g.W)
	}
	return nil
}

// L returns the number of patches per image.
func (g Geometry) L() int { return (g.H / g.P) * (g.W / g.P) }

// D returns the number of values per patch, p·p·C.
func (g Geometry) D() int { return g.P * g.P * g.C }

// patchIndex returns, for image element (c, y, x), its patch l and its
// offset d inside the patch in nhwpqc order.
func (g Geometry) patchIndex(c, y, x int) (l, d int) {
	gw := g.W / g.P
	l = (y/g.P)*gw + x/g.P
	d = ((y%g.P)*g.P+x%g.P)*g.C + c
	return l, d
}

// Patchify writes the patches of the images x (N, C, H, W) into dst
// (N, L, p·p·C), as MAE's patchify: x.reshape(N, C, h, p, w, p) →
// einsum("nchpwq->nhwpqc") → reshape(N, h·w, p·p·C).
func Patchify[T Float](dst, x []T, g Geometry) error {
	if err := g.check(len(dst), len(x)); err != nil {
		return err
	}
	g.walk(func(i, j int) { dst[j] = x[i] })
	return nil
}

// Unpatchify is the inverse of Patchify: it writes the images of the
// patches p (N, L, p·p·C) into dst (N, C, H, W).
func Unpatchify[T Float](dst, p []T, g Geometry) error {
	if err := g.check(len(p), len(dst)); err != nil {
		return err
	}
	g.walk(func(i, j int) { dst[i] = p[j] })
	return nil
}

// check validates g and the lengths of a patch slice and an image slice.
func (g Geometry) check(nPatch, nImage int) error {
	if err := g.Validate(); err != nil {
		return err
	}
	want := g.N * g.C * g.H * g.W
	if nPatch != want || nImage != want {
		return fmt.Errorf("mim: patches have %d values and images %d, want %d each for (%d, %d, %d, %d)",
			nPatch, nImage, want, g.N, g.C, g.H, g.W)
	}
	return nil
}

// walk calls fn with the flat image index i and the flat patch index j of
// every element.
func (g Geometry) walk(fn func(i, j int)) {
	L, D := g.L(), g.D()
	for n := 0; n < g.N; n++ {
		for c := 0; c < g.C; c++ {
			for y := 0; y < g.H; y++ {
				for x := 0; x < g.W; x++ {
					l, d := g.patchIndex(c, y, x)
					fn(((n*g.C+c)*g.H+y)*g.W+x, (n*L+l)*D+d)
				}
			}
		}
	}
}
