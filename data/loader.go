package data

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// SplitIndices splits the indices [0, n) as DARTS' search does
// (quark0/darts cnn/train_search.py): split = floor(portion·n), the first
// part [0, split) trains the weights and the second [split, n) the
// architecture. portion must be in (0, 1].
func SplitIndices(n int, portion float64) (first, second []int, err error) {
	if !(portion > 0 && portion <= 1) || n < 0 {
		return nil, nil, fmt.Errorf("data: train_portion: got %v, want in (0, 1]", portion)
	}
	split := int(math.Floor(portion * float64(n)))
	first, second = make([]int, split), make([]int, n-split)
	for i := range first {
		first[i] = i
	}
	for i := range second {
		second[i] = split + i
	}
	return first, second, nil
}

// LoaderConfig configures a Loader.
type LoaderConfig struct {
	// BatchSize is the number of samples per batch. There is no default;
	// must be > 0.
	BatchSize int
	// Shuffle draws a new order of the samples each epoch from Seed and
	// the epoch number; otherwise the order is that of the indices.
	Shuffle bool
	// DropLast drops the last batch of an epoch when it is incomplete.
	DropLast bool
	// Seed seeds the shuffling and the augmentation. Two loaders over
	// different splits (DARTS' weight and architecture halves) should
	// use different seeds, or sample k of each draws the same crops.
	Seed uint64
	// Workers is the number of goroutines preparing batches; 0 means
	// runtime.GOMAXPROCS(0).
	Workers int
	// Prefetch bounds the batches prepared ahead of the consumer; 0 means
	// 2·Workers.
	Prefetch int
}

// Batch is a float32 NCHW batch and its labels.
type Batch struct {
	// X holds N×C×H×W values.
	X []float32
	// Y holds N labels.
	Y []int32
	// Index holds the source index of each sample.
	Index []int
	// N, C, H, W is the shape of X.
	N, C, H, W int
	// Epoch and Step locate the batch.
	Epoch, Step int

	pool *sync.Pool
}

// Release hands the batch's buffers back to its loader for reuse. The
// batch must not be used afterwards.
func (b *Batch) Release() {
	if b != nil && b.pool != nil {
		b.pool.Put(b)
	}
}

// Loader serves batches of a Source, transformed, in epochs. The batch at
// (epoch, step) is a pure function of the source, the indices, the
// transform, the seed, epoch and step: a resumed run positioned at the
// same (epoch, step) continues exactly.
type Loader struct {
	src     Source
	idx     []int
	tf      Transform
	cfg     LoaderConfig
	c, h, w int
	pool    sync.Pool

	mu        sync.Mutex
	permEpoch int
	perm      []int
}

// NewLoader returns a loader over the samples idx of src (all of them when
// idx is nil), transformed by tf.
func NewLoader(src Source, idx []int, tf Transform, cfg LoaderConfig) (*Loader, error) {
	if cfg.BatchSize <= 0 {
		return nil, fmt.Errorf("data: loader: batch_size: got %d, want > 0", cfg.BatchSize)
	}
	if cfg.Workers < 0 || cfg.Prefetch < 0 {
		return nil, fmt.Errorf("data: loader: workers %d, prefetch %d: want ≥ 0", cfg.Workers, cfg.Prefetch)
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Prefetch == 0 {
		cfg.Prefetch = 2 * cfg.Workers
	}
	if idx == nil {
		idx = make([]int, src.Len())
		for i := range idx {
			idx[i] = i
		}
	}
	for k, i := range idx {
		if i < 0 || i >= src.Len() {
			return nil, fmt.Errorf("data: loader: index %d (position %d) out of range [0, %d)", i, k, src.Len())
		}
	}
	l := &Loader{src: src, idx: idx, tf: tf, cfg: cfg, permEpoch: -1}
	l.c, l.h, l.w = tf.OutShape()
	return l, nil
}

// Len returns the number of samples per epoch.
func (l *Loader) Len() int { return len(l.idx) }

// StepsPerEpoch returns the number of batches per epoch.
func (l *Loader) StepsPerEpoch() int {
	n, b := len(l.idx), l.cfg.BatchSize
	if l.cfg.DropLast {
		return n / b
	}
	return (n + b - 1) / b
}

// Order returns the source indices of an epoch, in the order served.
func (l *Loader) Order(epoch int) []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.permEpoch == epoch && l.perm != nil {
		return l.perm
	}
	out := make([]int, len(l.idx))
	if l.cfg.Shuffle {
		// One PCG stream per epoch; the stream id separates it from
		// the per-sample streams.
		rng := rand.New(rand.NewPCG(l.cfg.Seed, 0x5348554646_000000^uint64(epoch)))
		for k, j := range rng.Perm(len(l.idx)) {
			out[k] = l.idx[j]
		}
	} else {
		copy(out, l.idx)
	}
	l.permEpoch, l.perm = epoch, out
	return out
}

// sampleStream is the PCG stream of the sample at position pos of epoch:
// a bijective mix so distinct (epoch, pos) never share a stream.
func sampleStream(epoch, pos int) uint64 {
	return uint64(epoch)<<40 ^ uint64(pos)
}

func (l *Loader) newBatch() *Batch {
	if b, ok := l.pool.Get().(*Batch); ok {
		return b
	}
	n := l.cfg.BatchSize
	return &Batch{X: make([]float32, n*l.c*l.h*l.w), Y: make([]int32, n), Index: make([]int, n), pool: &l.pool}
}

// Batch returns the batch at (epoch, step), computed on the calling
// goroutine. Release it when done.
func (l *Loader) Batch(epoch, step int) (*Batch, error) {
	b := l.newBatch()
	if err := l.fill(b, l.Order(epoch), epoch, step, rand.NewPCG(0, 0), nil); err != nil {
		b.Release()
		return nil, err
	}
	return b, nil
}

func (l *Loader) fill(b *Batch, order []int, epoch, step int, pcg *rand.PCG, img *Image) error {
	steps := l.StepsPerEpoch()
	if epoch < 0 || step < 0 || step >= steps {
		return fmt.Errorf("data: loader: step %d of epoch %d out of range [0, %d)", step, epoch, steps)
	}
	bs := l.cfg.BatchSize
	lo := step * bs
	hi := min(lo+bs, len(order))
	n := hi - lo
	per := l.c * l.h * l.w
	b.N, b.C, b.H, b.W, b.Epoch, b.Step = n, l.c, l.h, l.w, epoch, step
	b.X, b.Y, b.Index = b.X[:n*per], b.Y[:n], b.Index[:n]
	rng := rand.New(pcg)
	if img == nil {
		img = &Image{}
	}
	for k := 0; k < n; k++ {
		i := order[lo+k]
		im, err := l.src.Image(i, img)
		if err != nil {
			return fmt.Errorf("data: loader: epoch %d step %d: sample %d: %w", epoch, step, i, err)
		}
		pcg.Seed(l.cfg.Seed, sampleStream(epoch, lo+k))
		if err := l.tf.Apply(b.X[k*per:(k+1)*per], im, rng); err != nil {
			return fmt.Errorf("data: loader: sample %d: %w", i, err)
		}
		b.Y[k] = int32(l.src.Label(i))
		b.Index[k] = i
	}
	return nil
}

// EpochIter delivers the batches of one epoch in order while workers
// prepare the next ones. Call Close when stopping early.
type EpochIter struct {
	results []chan batchResult
	tokens  chan struct{}
	next    int
	from    int
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

type batchResult struct {
	b   *Batch
	err error
}

// ErrDone is returned by EpochIter.Next after the last batch.
var ErrDone = errors.New("data: epoch done")

// Epoch starts serving epoch from step fromStep (0 for a fresh epoch; the
// saved step of a resumed run). Workers stop when ctx is cancelled or the
// iterator is closed.
func (l *Loader) Epoch(ctx context.Context, epoch, fromStep int) (*EpochIter, error) {
	steps := l.StepsPerEpoch()
	if epoch < 0 || fromStep < 0 || fromStep > steps {
		return nil, fmt.Errorf("data: loader: start at step %d of epoch %d out of range [0, %d]", fromStep, epoch, steps)
	}
	ctx, cancel := context.WithCancel(ctx)
	it := &EpochIter{results: make([]chan batchResult, steps-fromStep), tokens: make(chan struct{}, l.cfg.Prefetch),
		next: fromStep, from: fromStep, ctx: ctx, cancel: cancel}
	for i := range it.results {
		it.results[i] = make(chan batchResult, 1)
	}
	order := l.Order(epoch)
	jobs := make(chan int)
	it.wg.Add(1 + l.cfg.Workers)
	go func() { // producer: at most Prefetch batches ahead of the consumer
		defer it.wg.Done()
		defer close(jobs)
		for s := fromStep; s < steps; s++ {
			select {
			case it.tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- s:
			case <-ctx.Done():
				return
			}
		}
	}()
	for w := 0; w < l.cfg.Workers; w++ {
		go func() {
			defer it.wg.Done()
			pcg := rand.NewPCG(0, 0)
			img := &Image{}
			for s := range jobs {
				b := l.newBatch()
				err := l.fill(b, order, epoch, s, pcg, img)
				if err != nil {
					b.Release()
					b = nil
				}
				it.results[s-fromStep] <- batchResult{b, err}
			}
		}()
	}
	return it, nil
}

// Next returns the next batch, ErrDone after the last one, or the error of
// a sample that could not be read.
func (it *EpochIter) Next() (*Batch, error) {
	if it.next-it.from >= len(it.results) {
		return nil, ErrDone
	}
	var r batchResult
	select {
	case r = <-it.results[it.next-it.from]:
	case <-it.ctx.Done():
		return nil, it.ctx.Err()
	}
	<-it.tokens
	it.next++
	return r.b, r.err
}

// Close stops the workers and waits for them.
func (it *EpochIter) Close() {
	it.cancel()
	it.wg.Wait() // results are buffered: no worker blocks on sending
}
