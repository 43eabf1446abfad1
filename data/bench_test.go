package data

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/nasx/nasx/internal/sharedtest"
)

var sinkDS *Dataset

// BenchmarkLoadCIFAR10Archive reads the shared cifar-10-binary.tar.gz
// (173 MB) in one streaming pass. Target (issue 4): ≤ 3 s.
func BenchmarkLoadCIFAR10Archive(b *testing.B) {
	p := sharedtest.Path(b, "cifar10/cifar-10-binary.tar.gz")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ds, err := LoadCIFAR("cifar10", p, CIFAROptions{})
		if err != nil {
			b.Fatal(err)
		}
		sinkDS = ds
	}
}

// BenchmarkAugmentBatch measures the CIFAR training pipeline (crop 32 pad
// 4, flip, normalise, cutout 16) through the loader into float32 batches
// of 96 (DARTS' evaluation batch), on GOMAXPROCS workers. Target (issue
// 4): ≥ 20,000 images/s on 2 cores.
func BenchmarkAugmentBatch(b *testing.B) {
	ds, err := Synthetic(SyntheticConfig{Train: 9600, Test: 1, Classes: 10, Size: 32, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	tf, _ := NewCropFlip(32, 4, true, 16, NormCIFAR10[0], NormCIFAR10[1])
	l, err := NewLoader(ds.Train, nil, tf, LoaderConfig{BatchSize: 96, Shuffle: true, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	images := 0
	for i := 0; i < b.N; i++ {
		it, _ := l.Epoch(context.Background(), i, 0)
		for {
			bt, err := it.Next()
			if errors.Is(err, ErrDone) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			images += bt.N
			bt.Release()
		}
		it.Close()
	}
	b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
}

// BenchmarkPrefetch shows prefetching hiding data time behind compute: a
// simulated training step (a 4 ms sleep, which leaves the CPUs free like a
// GPU step) follows each batch of 256 augmented images. "sync" prepares
// each batch on the caller before its step (time ≈ data + compute per
// batch); "prefetch" lets the workers prepare the next batches during the
// step (time ≈ max(data, compute)).
func BenchmarkPrefetch(b *testing.B) {
	ds, err := Synthetic(SyntheticConfig{Train: 256 * 8, Test: 1, Classes: 10, Size: 32, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	tf, _ := NewCropFlip(32, 4, true, 16, NormCIFAR10[0], NormCIFAR10[1])
	const step = 4 * time.Millisecond
	l, _ := NewLoader(ds.Train, nil, tf, LoaderConfig{BatchSize: 256, Shuffle: true, Seed: 1})
	b.Run("sync", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for s := 0; s < l.StepsPerEpoch(); s++ {
				bt, err := l.Batch(i, s)
				if err != nil {
					b.Fatal(err)
				}
				time.Sleep(step)
				bt.Release()
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*l.StepsPerEpoch()), "µs/batch")
	})
	b.Run("prefetch", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			it, _ := l.Epoch(context.Background(), i, 0)
			for {
				bt, err := it.Next()
				if errors.Is(err, ErrDone) {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				time.Sleep(step)
				bt.Release()
			}
			it.Close()
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*l.StepsPerEpoch()), "µs/batch")
	})
}

var sinkF []float32

// BenchmarkImageNetTrainTransform: RandomResizedCrop 224 + flip + colour
// jitter + normalise of one 375×500 image (a typical ILSVRC-2012 size),
// after decoding; one goroutine.
func BenchmarkImageNetTrainTransform(b *testing.B) {
	src := &Image{C: 3, H: 375, W: 500, Pix: make([]uint8, 3*375*500)}
	for i := range src.Pix {
		src.Pix[i] = uint8(i*7 + i/500)
	}
	tf := NewImageNetTrain(224, NormImageNet[0], NormImageNet[1])
	dst := make([]float32, 3*224*224)
	rng := rand.New(rand.NewPCG(1, 1))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := tf.Apply(dst, src, rng); err != nil {
			b.Fatal(err)
		}
	}
	sinkF = dst
}
