package data

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestSplitIndices(t *testing.T) {
	// DARTS: split = floor(0.5 · 50000) = 25000.
	a, b, err := SplitIndices(50000, 0.5)
	if err != nil || len(a) != 25000 || len(b) != 25000 || a[0] != 0 || a[24999] != 24999 || b[0] != 25000 || b[24999] != 49999 {
		t.Fatalf("SplitIndices(50000, 0.5): %d %d %v", len(a), len(b), err)
	}
	// floor(0.3 · 7) = 2.
	a, b, _ = SplitIndices(7, 0.3)
	if !slices.Equal(a, []int{0, 1}) || !slices.Equal(b, []int{2, 3, 4, 5, 6}) {
		t.Errorf("SplitIndices(7, 0.3) = %v %v", a, b)
	}
	for _, p := range []float64{0, -1, 1.5} {
		if _, _, err := SplitIndices(10, p); err == nil {
			t.Errorf("portion %v accepted", p)
		}
	}
}

func testLoader(t *testing.T, n int, cfg LoaderConfig) (*Loader, *Dataset) {
	t.Helper()
	ds, err := Synthetic(SyntheticConfig{Train: n, Test: 1, Classes: 5, Size: 8, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	tf, _ := NewCropFlip(8, 2, true, 4, ds.Mean, ds.Std)
	l, err := NewLoader(ds.Train, nil, tf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l, ds
}

func collect(t *testing.T, l *Loader, epoch, from int) []*Batch {
	t.Helper()
	it, err := l.Epoch(context.Background(), epoch, from)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out []*Batch
	for {
		b, err := it.Next()
		if errors.Is(err, ErrDone) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		// Copy: the batch goes back to the pool.
		c := &Batch{X: slices.Clone(b.X), Y: slices.Clone(b.Y), Index: slices.Clone(b.Index), N: b.N, C: b.C, H: b.H, W: b.W, Epoch: b.Epoch, Step: b.Step}
		b.Release()
		out = append(out, c)
	}
}

func sameBatch(a, b *Batch) bool {
	return a.N == b.N && a.Epoch == b.Epoch && a.Step == b.Step && slices.Equal(a.X, b.X) && slices.Equal(a.Y, b.Y) && slices.Equal(a.Index, b.Index)
}

// TestLoaderDeterministicAndResumable: the batches do not depend on the
// number of workers or on where iteration started, and equal the
// synchronous Batch(epoch, step).
func TestLoaderDeterministicAndResumable(t *testing.T) {
	cfg := LoaderConfig{BatchSize: 7, Shuffle: true, Seed: 42, Workers: 1}
	l1, _ := testLoader(t, 50, cfg)
	cfg.Workers, cfg.Prefetch = 4, 3
	l4, _ := testLoader(t, 50, cfg)
	for epoch := 0; epoch < 2; epoch++ {
		a := collect(t, l1, epoch, 0)
		b := collect(t, l4, epoch, 0)
		if len(a) != 8 || len(b) != 8 { // ceil(50/7)
			t.Fatalf("epoch %d: %d and %d batches, want 8", epoch, len(a), len(b))
		}
		if a[7].N != 1 {
			t.Errorf("last batch has %d samples, want 50-49 = 1", a[7].N)
		}
		resumed := collect(t, l4, epoch, 5)
		for s := range a {
			if !sameBatch(a[s], b[s]) {
				t.Fatalf("epoch %d step %d: 1 worker and 4 workers differ", epoch, s)
			}
			sync, err := l1.Batch(epoch, s)
			if err != nil {
				t.Fatal(err)
			}
			if !sameBatch(a[s], sync) {
				t.Fatalf("epoch %d step %d: Batch() differs from the iterator", epoch, s)
			}
			sync.Release()
			if s >= 5 && !sameBatch(a[s], resumed[s-5]) {
				t.Fatalf("epoch %d step %d: resumed iteration differs", epoch, s)
			}
		}
		// Each epoch serves every index exactly once.
		var seen []int
		for _, bt := range a {
			seen = append(seen, bt.Index...)
		}
		slices.Sort(seen)
		for i, v := range seen {
			if v != i {
				t.Fatalf("epoch %d: indices served %v", epoch, seen)
			}
		}
	}
	if slices.Equal(l1.Order(0), l1.Order(1)) {
		t.Error("epochs 0 and 1 have the same order")
	}
	e0, e1 := collect(t, l1, 0, 0), collect(t, l1, 1, 0)
	if slices.Equal(e0[0].Index, e1[0].Index) && slices.Equal(e0[0].X, e1[0].X) {
		t.Error("epochs 0 and 1 start with the same batch")
	}
	other, _ := testLoader(t, 50, LoaderConfig{BatchSize: 7, Shuffle: true, Seed: 43})
	if slices.Equal(l1.Order(0), other.Order(0)) {
		t.Error("seeds 42 and 43 give the same order")
	}
}

func TestLoaderDropLastAndSubset(t *testing.T) {
	ds, _ := Synthetic(SyntheticConfig{Train: 20, Test: 1, Classes: 4, Size: 4, Seed: 1})
	tf, _ := NewCropFlip(4, 0, false, 0, ds.Mean, ds.Std)
	_, second, _ := SplitIndices(20, 0.5)
	l, err := NewLoader(ds.Train, second, tf, LoaderConfig{BatchSize: 3, DropLast: true})
	if err != nil {
		t.Fatal(err)
	}
	if l.StepsPerEpoch() != 3 { // floor(10/3)
		t.Fatalf("StepsPerEpoch = %d, want 3", l.StepsPerEpoch())
	}
	bs := collect(t, l, 0, 0)
	var idx []int
	for _, b := range bs {
		if b.N != 3 || len(b.X) != 3*3*4*4 {
			t.Errorf("batch N=%d len(X)=%d", b.N, len(b.X))
		}
		idx = append(idx, b.Index...)
	}
	// No shuffle: positions 10..18 in order.
	if !slices.Equal(idx, []int{10, 11, 12, 13, 14, 15, 16, 17, 18}) {
		t.Errorf("indices %v", idx)
	}
	for _, b := range bs {
		for k, i := range b.Index {
			if int(b.Y[k]) != ds.Train.Label(i) {
				t.Errorf("label of %d = %d, want %d", i, b.Y[k], ds.Train.Label(i))
			}
		}
	}
	if _, err := NewLoader(ds.Train, []int{0, 20}, tf, LoaderConfig{BatchSize: 1}); err == nil || !strings.Contains(err.Error(), "index 20 (position 1)") {
		t.Errorf("bad index: %v", err)
	}
	if _, err := NewLoader(ds.Train, nil, tf, LoaderConfig{}); err == nil {
		t.Error("batch size 0 accepted")
	}
	if _, err := l.Epoch(context.Background(), 0, 4); err == nil {
		t.Error("start beyond the epoch accepted")
	}
	if _, err := l.Batch(0, 3); err == nil {
		t.Error("step 3 of 3 accepted")
	}
}

// failingSource fails on one index.
type failingSource struct {
	*Images
	bad int
}

func (f failingSource) Image(i int, buf *Image) (*Image, error) {
	if i == f.bad {
		return nil, fmt.Errorf("decode img_%d.png: broken", i)
	}
	return f.Images.Image(i, buf)
}

func TestLoaderErrorAndEarlyClose(t *testing.T) {
	ds, _ := Synthetic(SyntheticConfig{Train: 40, Test: 1, Classes: 4, Size: 4, Seed: 1})
	tf, _ := NewCropFlip(4, 0, false, 0, ds.Mean, ds.Std)
	l, _ := NewLoader(failingSource{ds.Train.(*Images), 13}, nil, tf, LoaderConfig{BatchSize: 4, Workers: 2})
	it, _ := l.Epoch(context.Background(), 0, 0)
	var err error
	for s := 0; err == nil; s++ {
		var b *Batch
		b, err = it.Next()
		b.Release()
	}
	it.Close()
	if err == nil || !strings.Contains(err.Error(), "img_13.png") || !strings.Contains(err.Error(), "step 3") {
		t.Errorf("error %v, want one naming img_13.png at step 3", err)
	}
	// Closing after one batch of many returns promptly.
	l2, _ := NewLoader(ds.Train, nil, tf, LoaderConfig{BatchSize: 1, Workers: 2, Prefetch: 1})
	it2, _ := l2.Epoch(context.Background(), 0, 0)
	if _, err := it2.Next(); err != nil {
		t.Fatal(err)
	}
	it2.Close()
	// A cancelled context ends iteration with its error.
	ctx, cancel := context.WithCancel(context.Background())
	it3, _ := l2.Epoch(ctx, 0, 0)
	cancel()
	for {
		_, err := it3.Next()
		if err != nil {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, ErrDone) {
				t.Errorf("after cancel: %v", err)
			}
			break
		}
	}
	it3.Close()
}

// TestSyntheticLearnable: nearest class-mean on the 3 channel means
// classifies the test split almost perfectly (the class colours differ),
// so a tiny network learns it within a few steps. Also deterministic.
func TestSyntheticLearnable(t *testing.T) {
	cfg := SyntheticConfig{Train: 500, Test: 200, Classes: 10, Size: 16, Seed: 9}
	ds, err := Synthetic(cfg)
	if err != nil {
		t.Fatal(err)
	}
	feat := func(m *Images, i int) [3]float64 {
		var f [3]float64
		px := m.At(i)
		n := m.H * m.W
		for c := 0; c < 3; c++ {
			for _, v := range px[c*n : (c+1)*n] {
				f[c] += float64(v) / float64(n)
			}
		}
		return f
	}
	tr, te := ds.Train.(*Images), ds.Test.(*Images)
	cent := make([][3]float64, 10)
	for i := 0; i < tr.Len(); i++ {
		f := feat(tr, i)
		for c := range f {
			cent[tr.Label(i)][c] += f[c] / 50
		}
	}
	correct := 0
	for i := 0; i < te.Len(); i++ {
		f := feat(te, i)
		best, bd := -1, 1e18
		for k, c := range cent {
			d := (f[0]-c[0])*(f[0]-c[0]) + (f[1]-c[1])*(f[1]-c[1]) + (f[2]-c[2])*(f[2]-c[2])
			if d < bd {
				best, bd = k, d
			}
		}
		if best == te.Label(i) {
			correct++
		}
	}
	if correct < 190 { // ≥ 95% of 200
		t.Errorf("nearest class mean: %d/200 correct, want ≥ 190", correct)
	}
	ds2, _ := Synthetic(cfg)
	if !slices.Equal(ds2.Train.(*Images).Pix, tr.Pix) {
		t.Error("same config, different images")
	}
	if h := Histogram(tr, 10); h[0] != 50 || h[9] != 50 {
		t.Errorf("histogram %v", h)
	}
	if _, err := Synthetic(SyntheticConfig{Train: 1, Classes: 1, Size: 8}); err == nil {
		t.Error("1 class accepted")
	}
}
