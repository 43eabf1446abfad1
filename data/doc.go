// Package data reads image datasets (CIFAR-10/100 binary, ImageNet16-120
// pickles, ImageNet and class-per-folder image trees, a synthetic set),
// augments them with seeded, deterministic transforms, and serves float32
// NCHW batches through a prefetching loader that can be positioned at any
// (epoch, step).
//
// Benchmark files (NAS-Bench-101/201) live in the sub-package data/bench.
//
// # Conventions
//
// Images in memory are 8-bit, channel-major (C×H×W, RGB), stored for a whole
// split in one flat []uint8 (N×C×H×W) with one int32 label per image, the
// layout of the CIFAR binary records. Batches are float32 NCHW. Labels are
// 0-based class indices.
//
// Randomness comes from math/rand/v2 PCG generators seeded from the loader
// seed, the epoch and the sample position only, so a batch is a pure
// function of (seed, epoch, step) and never depends on goroutine scheduling.
//
// Errors name the file (and the archive member) and the offset or record
// that was wrong, and end with a hint when there is a fix. Sentinels:
// ErrChecksum, ErrFormat, ErrNotFound.
package data
