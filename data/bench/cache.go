package bench

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"github.com/nasx/nasx/internal/atomicio"
)

// Cache file layout (all little-endian), version cacheVersion:
//
//	[0:8)   magic "NASXBCH\n"
//	[8:12)  format version (uint32)
//	[12:16) kind: 1 nasbench201, 2 nasbench101 (uint32)
//	[16:24) source size in bytes (uint64)
//	[24:32) source mtime, Unix nanoseconds (int64)
//	[32:36) source content hash, CRC-32C (uint32): of the whole file when it
//	        is at most sampleLimit bytes, else of its size, first and last
//	        MiB (a 717 MB JSON file is not re-read on every load)
//	[36:40) 0 (reserved)
//	[40:48) payload length in bytes (uint64)
//	[48:52) payload CRC-32C (uint32)
//	[52:64) 0 (reserved)
//	[64:)   payload: the table's flat arrays (see writePayload)
//
// A cache is used only if magic, version, kind, size, mtime, content hash,
// payload length and payload CRC all match; otherwise it is rebuilt.
const (
	cacheMagic   = "NASXBCH\n"
	cacheVersion = 1
	cacheHeader  = 64
	// sampleLimit is the largest source hashed in full for the cache key.
	sampleLimit = 256 << 20
	sampleSpan  = 1 << 20
)

// ErrCache marks a cache file that cannot be used; the loader rebuilds it.
var ErrCache = errors.New("unusable cache")

// sourceKey identifies the version of a source file a cache was built from.
type sourceKey struct {
	size  int64
	mtime int64
	hash  uint32
}

// keyOf computes the cache key of the source file path.
func keyOf(path string) (sourceKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return sourceKey{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return sourceKey{}, err
	}
	k := sourceKey{size: st.Size(), mtime: st.ModTime().UnixNano()}
	h := crc32.New(castagnoli)
	if k.size <= sampleLimit {
		// Large reads: io.Copy's 32 KB chunks cost 1,800 syscalls for the
		// 58 MB NB201 file.
		if _, err := io.CopyBuffer(h, struct{ io.Reader }{f}, make([]byte, 4<<20)); err != nil {
			return sourceKey{}, err
		}
	} else {
		var sz [8]byte
		binary.LittleEndian.PutUint64(sz[:], uint64(k.size))
		h.Write(sz[:])
		if _, err := io.Copy(h, io.NewSectionReader(f, 0, sampleSpan)); err != nil {
			return sourceKey{}, err
		}
		if _, err := io.Copy(h, io.NewSectionReader(f, k.size-sampleSpan, sampleSpan)); err != nil {
			return sourceKey{}, err
		}
	}
	k.hash = h.Sum32()
	return k, nil
}

// cacheKinds numbers the kinds in the cache header.
var cacheKinds = map[Kind]uint32{KindNB201: 1, KindNB101: 2}

// cachePaths returns where the cache of src may live, in order of
// preference: dir (when set), else beside src, then userDir.
func cachePaths(src, dir, userDir string) []string {
	base := filepath.Base(src) + ".nasx-cache"
	if dir != "" || userDir != "" {
		abs, err := filepath.Abs(src)
		if err != nil {
			abs = src
		}
		// Sources with one name in different folders get different caches.
		named := fmt.Sprintf("%s-%08x.nasx-cache", filepath.Base(src), crc32.Checksum([]byte(abs), castagnoli))
		if dir != "" {
			return []string{filepath.Join(dir, named)}
		}
		return []string{filepath.Join(filepath.Dir(src), base), filepath.Join(userDir, named)}
	}
	return []string{filepath.Join(filepath.Dir(src), base)}
}

// payloadWriter is a table that can write itself into a cache.
type payloadWriter interface {
	Table
	payloadLen() int64
	writePayload(w *binWriter)
}

// writeCache writes t's cache for a source with key k to path, atomically.
func writeCache(path string, k sourceKey, t payloadWriter) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicio.Write(path, 0o644, func(w io.Writer) error {
		var hdr [cacheHeader]byte
		// The payload CRC is not known yet: write a placeholder header, the
		// payload, then patch the header through the file handle.
		f, ok := w.(*os.File)
		if !ok {
			return fmt.Errorf("bench: cache writer is not a file")
		}
		if _, err := f.Write(hdr[:]); err != nil {
			return err
		}
		bw := newBinWriter(f)
		t.writePayload(bw)
		if err := bw.flush(); err != nil {
			return err
		}
		if bw.n != t.payloadLen() {
			return fmt.Errorf("bench: internal error: cache payload is %d bytes, want %d", bw.n, t.payloadLen())
		}
		copy(hdr[0:8], cacheMagic)
		binary.LittleEndian.PutUint32(hdr[8:], cacheVersion)
		binary.LittleEndian.PutUint32(hdr[12:], cacheKinds[t.Kind()])
		binary.LittleEndian.PutUint64(hdr[16:], uint64(k.size))
		binary.LittleEndian.PutUint64(hdr[24:], uint64(k.mtime))
		binary.LittleEndian.PutUint32(hdr[32:], k.hash)
		binary.LittleEndian.PutUint64(hdr[40:], uint64(bw.n))
		binary.LittleEndian.PutUint32(hdr[48:], bw.crc)
		_, err := f.WriteAt(hdr[:], 0)
		return err
	})
}

// readCache reads the cache at path for a source with key k. Every mismatch
// is an error wrapping ErrCache that says what did not match.
func readCache(path string, k sourceKey, kind Kind) (Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(f, 1<<20)
	var hdr [cacheHeader]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return nil, fmt.Errorf("%s: header truncated (%d bytes, want %d): %w", path, st.Size(), cacheHeader, ErrCache)
	}
	switch {
	case string(hdr[0:8]) != cacheMagic:
		return nil, fmt.Errorf("%s: byte offset 0: not a nasx cache (bad magic %q): %w", path, hdr[0:8], ErrCache)
	case binary.LittleEndian.Uint32(hdr[8:]) != cacheVersion:
		return nil, fmt.Errorf("%s: byte offset 8: written by cache format version %d, this nasx reads version %d: %w", path, binary.LittleEndian.Uint32(hdr[8:]), cacheVersion, ErrCache)
	case binary.LittleEndian.Uint32(hdr[12:]) != cacheKinds[kind]:
		return nil, fmt.Errorf("%s: byte offset 12: cache of another benchmark kind (%d, want %d): %w", path, binary.LittleEndian.Uint32(hdr[12:]), cacheKinds[kind], ErrCache)
	case int64(binary.LittleEndian.Uint64(hdr[16:])) != k.size || int64(binary.LittleEndian.Uint64(hdr[24:])) != k.mtime:
		return nil, fmt.Errorf("%s: stale: built for a source of %d bytes and mtime %d, the source now has %d bytes and mtime %d: %w", path, int64(binary.LittleEndian.Uint64(hdr[16:])), int64(binary.LittleEndian.Uint64(hdr[24:])), k.size, k.mtime, ErrCache)
	case binary.LittleEndian.Uint32(hdr[32:]) != k.hash:
		return nil, fmt.Errorf("%s: stale: source content hash %08x, cache built for %08x: %w", path, k.hash, binary.LittleEndian.Uint32(hdr[32:]), ErrCache)
	}
	plen := int64(binary.LittleEndian.Uint64(hdr[40:]))
	if plen != st.Size()-cacheHeader {
		return nil, fmt.Errorf("%s: byte offset 40: header declares a %d-byte payload, the file holds %d: %w", path, plen, st.Size()-cacheHeader, ErrCache)
	}
	r := &binReader{r: br, limit: plen}
	var t Table
	switch kind {
	case KindNB201:
		t, err = readNB201Payload(r)
	case KindNB101:
		t, err = readNB101Payload(r)
	}
	if err == nil && r.err != nil {
		err = r.err
	}
	if err != nil {
		return nil, fmt.Errorf("%s: byte offset %d: %v: %w", path, cacheHeader+r.n, err, ErrCache)
	}
	if r.n != plen {
		return nil, fmt.Errorf("%s: payload has %d unread bytes: %w", path, plen-r.n, ErrCache)
	}
	if want := binary.LittleEndian.Uint32(hdr[48:]); r.crc != want {
		return nil, fmt.Errorf("%s: payload checksum %08x, header says %08x (corrupt): %w", path, r.crc, want, ErrCache)
	}
	return t, nil
}

// payloadLen is the size of NB201's cache payload.

func (t *NB201) payloadLen() int64 { return nb201PayloadLen(t.n, len(t.rows)/6) }

func nb201PayloadLen(n, rows int) int64 {
	return 8 + int64(n)*(6+6*8+3*8+6*8+nb201RowStride*4) + 8 + int64(rows)*6*4
}

func (t *NB201) writePayload(w *binWriter) {
	w.u64(uint64(t.n))
	w.bytes(t.arch)
	w.f64s(t.acc)
	w.f64s(t.latency)
	w.i64s(t.total)
	w.u32s(t.edgeIdx)
	w.u64(uint64(len(t.rows) / 6))
	w.u32s(t.rows)
}

func readNB201Payload(r *binReader) (*NB201, error) {
	n := r.u64()
	if r.err != nil {
		return nil, r.err
	}
	if n > 1<<24 || nb201PayloadLen(int(n), 0) > r.limit {
		return nil, fmt.Errorf("record count %d does not fit the payload length %d", n, r.limit)
	}
	t := newNB201(int(n))
	r.bytes(t.arch)
	r.f64s(t.acc)
	r.f64s(t.latency)
	r.i64s(t.total)
	r.u32s(t.edgeIdx)
	rows := r.u64()
	if r.err != nil {
		return nil, r.err
	}
	if rows > 1<<26 || nb201PayloadLen(int(n), int(rows)) != r.limit {
		return nil, fmt.Errorf("%d records and %d cost rows do not match the payload length %d", n, rows, r.limit)
	}
	t.rows = make([]uint32, rows*6)
	r.u32s(t.rows)
	if r.err != nil {
		return nil, r.err
	}
	for j, idx := range t.edgeIdx {
		if uint64(idx) >= rows {
			return nil, fmt.Errorf("cost row index %d of %d out of range [0, %d)", j, idx, rows)
		}
	}
	if err := t.index(); err != nil {
		return nil, err
	}
	return t, nil
}
