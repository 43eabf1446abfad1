package data

import (
	"io"
	"sync"
)

// readAhead is an io.Reader that reads src on its own goroutine into a few
// large chunks, so decompression (gzip inflate, the bulk of the cost of a
// .tar.gz) overlaps with the consumer's parsing on another core.
type readAhead struct {
	chunks chan []byte
	free   chan []byte
	cur    []byte
	buf    []byte // chunk being consumed, to recycle
	err    error
	done   chan struct{}
	once   sync.Once
	errMu  sync.Mutex
	srcErr error
}

// newReadAhead starts reading src in chunks of size bytes, at most n ahead.
func newReadAhead(src io.Reader, size, n int) *readAhead {
	r := &readAhead{chunks: make(chan []byte, n), free: make(chan []byte, n+2), done: make(chan struct{})}
	for i := 0; i < n+2; i++ {
		r.free <- make([]byte, size)
	}
	go func() {
		defer close(r.chunks)
		for {
			var b []byte
			select {
			case b = <-r.free:
			case <-r.done:
				return
			}
			// Fill b, keeping src's own error (io.ReadFull would turn a
			// clean EOF after a partial chunk and a truncated gzip
			// stream into the same io.ErrUnexpectedEOF).
			k, err := 0, error(nil)
			for k < len(b) && err == nil {
				var m int
				m, err = src.Read(b[k:])
				k += m
			}
			if k > 0 {
				select {
				case r.chunks <- b[:k]:
				case <-r.done:
					return
				}
			}
			if err != nil {
				r.errMu.Lock()
				r.srcErr = err
				r.errMu.Unlock()
				return
			}
		}
	}()
	return r
}

func (r *readAhead) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.buf != nil {
			r.free <- r.buf[:cap(r.buf)]
			r.buf = nil
		}
		b, ok := <-r.chunks
		if !ok {
			r.errMu.Lock()
			defer r.errMu.Unlock()
			if r.srcErr == nil {
				return 0, io.EOF
			}
			return 0, r.srcErr
		}
		r.cur, r.buf = b, b
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// Close stops the reading goroutine.
func (r *readAhead) Close() {
	r.once.Do(func() { close(r.done) })
}
