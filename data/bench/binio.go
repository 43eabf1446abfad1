package bench

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"unsafe"
)

// nativeLE reports whether the host is little-endian, the byte order of the
// cache. There, flat arrays are written and read as their raw memory: a
// 250 MB NB101 cache then loads with a few large reads and no conversion
// loop. Big-endian hosts convert element by element.
var nativeLE = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// word is an element type of the cache's flat arrays.
type word interface {
	uint32 | uint64 | int64 | float64
}

// rawBytes returns the memory of v as bytes.
func rawBytes[T word](v []T) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*int(unsafe.Sizeof(v[0])))
}

// castagnoli is the CRC-32C table (hardware-accelerated on amd64 and arm64),
// used for cache checksums and TFRecord framing.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// binWriter writes little-endian flat arrays and keeps a CRC-32C of all it
// wrote.
type binWriter struct {
	w   *bufio.Writer
	crc uint32
	n   int64
	buf [1 << 16]byte
	err error
}

func newBinWriter(w io.Writer) *binWriter { return &binWriter{w: bufio.NewWriterSize(w, 1<<20)} }

func (b *binWriter) write(p []byte) {
	if b.err != nil {
		return
	}
	b.crc = crc32.Update(b.crc, castagnoli, p)
	b.n += int64(len(p))
	_, b.err = b.w.Write(p)
}

func (b *binWriter) u64(v uint64) {
	var t [8]byte
	binary.LittleEndian.PutUint64(t[:], v)
	b.write(t[:])
}

func (b *binWriter) bytes(p []byte) { b.write(p) }

func (b *binWriter) flush() error {
	if b.err != nil {
		return b.err
	}
	return b.w.Flush()
}

// binReader reads what binWriter wrote, keeping a CRC-32C of all it read and
// never reading past limit bytes.
type binReader struct {
	r     io.Reader
	crc   uint32
	n     int64 // bytes read
	limit int64
	buf   [1 << 16]byte
	err   error
}

func (b *binReader) read(p []byte) {
	if b.err != nil {
		return
	}
	if b.n+int64(len(p)) > b.limit {
		b.err = fmt.Errorf("payload is longer than the %d bytes its header declares", b.limit)
		return
	}
	if _, err := io.ReadFull(b.r, p); err != nil {
		b.err = fmt.Errorf("payload truncated at byte %d of %d: %w", b.n, b.limit, err)
		return
	}
	b.crc = crc32.Update(b.crc, castagnoli, p)
	b.n += int64(len(p))
}

func (b *binReader) u64() uint64 {
	var t [8]byte
	b.read(t[:])
	return binary.LittleEndian.Uint64(t[:])
}

func (b *binReader) bytes(p []byte) { b.read(p) }

func (b *binWriter) u32s(v []uint32)  { writeWords(b, v) }
func (b *binWriter) u64s(v []uint64)  { writeWords(b, v) }
func (b *binWriter) i64s(v []int64)   { writeWords(b, v) }
func (b *binWriter) f64s(v []float64) { writeWords(b, v) }

func (b *binReader) u32s(v []uint32)  { readWords(b, v) }
func (b *binReader) u64s(v []uint64)  { readWords(b, v) }
func (b *binReader) i64s(v []int64)   { readWords(b, v) }
func (b *binReader) f64s(v []float64) { readWords(b, v) }

// writeWords writes v in little-endian order: its raw memory on a
// little-endian host, converted through b.buf elsewhere.
func writeWords[T word](b *binWriter, v []T) {
	raw := rawBytes(v)
	if nativeLE {
		b.write(raw)
		return
	}
	size := wordSize[T]()
	for len(raw) > 0 && b.err == nil {
		n := min(len(raw), len(b.buf)/size*size)
		for i := 0; i < n; i += size {
			if size == 4 {
				binary.LittleEndian.PutUint32(b.buf[i:], binary.NativeEndian.Uint32(raw[i:]))
			} else {
				binary.LittleEndian.PutUint64(b.buf[i:], binary.NativeEndian.Uint64(raw[i:]))
			}
		}
		b.write(b.buf[:n])
		raw = raw[n:]
	}
}

// readWords reads len(v) little-endian words into v, converting them in place
// to the host's order where that is not little-endian.
func readWords[T word](b *binReader, v []T) {
	raw := rawBytes(v)
	b.read(raw)
	if nativeLE || b.err != nil {
		return
	}
	size := wordSize[T]()
	for i := 0; i < len(raw); i += size {
		if size == 4 {
			binary.NativeEndian.PutUint32(raw[i:], binary.LittleEndian.Uint32(raw[i:]))
		} else {
			binary.NativeEndian.PutUint64(raw[i:], binary.LittleEndian.Uint64(raw[i:]))
		}
	}
}

// wordSize is the size of T in bytes (4 or 8).
func wordSize[T word]() int {
	var z T
	return int(unsafe.Sizeof(z))
}
