package weights

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/nasx/nasx/internal/atomicio"
)

// DType is a safetensors element type.
type DType string

// The supported dtypes.
const (
	F32 DType = "F32" // float32
	F64 DType = "F64" // float64
	I64 DType = "I64" // int64 (for example BatchNorm's num_batches_tracked)
)

// Size returns the size of one element in bytes, or 0 for an unsupported dtype.
func (d DType) Size() int {
	switch d {
	case F32:
		return 4
	case F64, I64:
		return 8
	}
	return 0
}

// rank orders dtypes as the Rust crate's Dtype enum (declaration order).
func (d DType) rank() int {
	switch d {
	case F32:
		return 11
	case F64:
		return 12
	case I64:
		return 13
	}
	return -1
}

// MaxHeaderSize is the largest header accepted, as in the Rust crate (100 MB).
const MaxHeaderSize = 100_000_000

// maxElems bounds the elements of one tensor (and each dimension) so that
// byte counts cannot overflow: 2^37, far above any nasx model.
const maxElems = 1 << 37

// MetadataKey is the reserved header key of the string metadata.
const MetadataKey = "__metadata__"

// ErrFormat is wrapped by every error about a malformed file.
var ErrFormat = errors.New("malformed safetensors file")

// Tensor is one named array. Data is []float32 (F32), []float64 (F64) or
// []int64 (I64) with one element per entry of Shape, in C order. An empty
// Shape is a scalar with one element.
type Tensor struct {
	Name  string
	Shape []int
	Data  any
}

// DType returns the dtype of t.Data, or an error if its type is unsupported.
func (t Tensor) DType() (DType, error) {
	switch t.Data.(type) {
	case []float32:
		return F32, nil
	case []float64:
		return F64, nil
	case []int64:
		return I64, nil
	}
	return "", fmt.Errorf("weights: tensor %q: data is %T, want []float32, []float64 or []int64", t.Name, t.Data)
}

func (t Tensor) dataLen() int {
	switch d := t.Data.(type) {
	case []float32:
		return len(d)
	case []float64:
		return len(d)
	case []int64:
		return len(d)
	}
	return -1
}

// File is the content of a safetensors file.
type File struct {
	Tensors  []Tensor          // in data order
	Metadata map[string]string // nil when the header has no __metadata__
}

// Tensor returns the tensor named name.
func (f *File) Tensor(name string) (Tensor, bool) {
	for _, t := range f.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return Tensor{}, false
}

// WriteFile atomically writes tensors and metadata to path; see Encode.
func WriteFile(path string, tensors []Tensor, metadata map[string]string) error {
	b, err := Encode(tensors, metadata)
	if err != nil {
		return fmt.Errorf("%w (writing %s)", err, path)
	}
	if err := atomicio.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("weights: %s: %w", path, err)
	}
	return nil
}

// ReadFile reads and validates the safetensors file at path; see Decode. It
// streams the file (Read), so a large checkpoint is never held twice, as
// raw bytes and as tensors.
func ReadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	f, err := Read(fh, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("weights: %s: %w", path, err)
	}
	return f, nil
}

// Encode returns the safetensors bytes of tensors and metadata, laid out as
// the reference Rust crate does (see the package doc). Names must be
// non-empty, valid UTF-8, unique and not "__metadata__"; each tensor's data
// length must equal the product of its shape. metadata may be nil; an empty
// map is written as no metadata.
func Encode(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	h, es, dataLen, err := prepare(tensors, metadata)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 8, 8+len(h)+int(dataLen))
	binary.LittleEndian.PutUint64(out, uint64(len(h)))
	out = append(out, h...)
	for _, e := range es {
		out = appendData(out, e.t.Data, 0, e.t.dataLen())
	}
	return out, nil
}

// Write writes the bytes Encode returns to w without holding them all in
// memory: the tensor data goes out in chunks of writeChunk bytes.
func Write(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	h, es, _, err := prepare(tensors, metadata)
	if err != nil {
		return err
	}
	buf := make([]byte, 8, writeChunk)
	binary.LittleEndian.PutUint64(buf, uint64(len(h)))
	if _, err := w.Write(append(buf, h...)); err != nil {
		return err
	}
	for _, e := range es {
		n, per := e.t.dataLen(), e.dtype.Size()
		for lo := 0; lo < n; lo += writeChunk / per {
			hi := min(n, lo+writeChunk/per)
			if _, err := w.Write(appendData(buf[:0], e.t.Data, lo, hi)); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeChunk is the size of Write's data chunks (1 MiB).
const writeChunk = 1 << 20

// encEntry is one tensor to encode with its dtype.
type encEntry struct {
	t     Tensor
	dtype DType
}

// appendData appends elements [lo, hi) of data (little-endian) to out.
func appendData(out []byte, data any, lo, hi int) []byte {
	switch d := data.(type) {
	case []float32:
		for _, v := range d[lo:hi] {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
		}
	case []float64:
		for _, v := range d[lo:hi] {
			out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
		}
	case []int64:
		for _, v := range d[lo:hi] {
			out = binary.LittleEndian.AppendUint64(out, uint64(v))
		}
	}
	return out
}

// prepare checks tensors and metadata (see Encode) and returns the padded
// JSON header, the tensors in file order and the data length in bytes.
func prepare(tensors []Tensor, metadata map[string]string) ([]byte, []encEntry, uint64, error) {
	es := make([]encEntry, len(tensors))
	seen := make(map[string]bool, len(tensors))
	var dataLen uint64
	for i, t := range tensors {
		dt, err := t.DType()
		if err != nil {
			return nil, nil, 0, err
		}
		switch {
		case t.Name == "":
			return nil, nil, 0, fmt.Errorf("weights: tensor %d has an empty name", i)
		case t.Name == MetadataKey:
			return nil, nil, 0, fmt.Errorf("weights: tensor %d: the name %q is reserved", i, MetadataKey)
		case !utf8.ValidString(t.Name):
			return nil, nil, 0, fmt.Errorf("weights: tensor %d: name %q is not valid UTF-8", i, t.Name)
		case seen[t.Name]:
			return nil, nil, 0, fmt.Errorf("weights: tensor %q appears twice", t.Name)
		}
		seen[t.Name] = true
		n := 1
		for _, d := range t.Shape {
			if d < 0 {
				return nil, nil, 0, fmt.Errorf("weights: tensor %q: negative dimension in shape %v", t.Name, t.Shape)
			}
			hi, lo := bits.Mul64(uint64(n), uint64(d))
			if hi != 0 || lo > maxElems {
				return nil, nil, 0, fmt.Errorf("weights: tensor %q: shape %v is too large", t.Name, t.Shape)
			}
			n = int(lo)
		}
		if got := t.dataLen(); got != n {
			return nil, nil, 0, fmt.Errorf("weights: tensor %q: shape %v needs %d elements, data has %d", t.Name, t.Shape, n, got)
		}
		es[i] = encEntry{t, dt}
		dataLen += uint64(n * dt.Size())
	}
	sort.Slice(es, func(i, j int) bool {
		ri, rj := es[i].dtype.rank(), es[j].dtype.rank()
		return ri > rj || (ri == rj && es[i].t.Name < es[j].t.Name)
	})

	var h bytes.Buffer
	h.WriteByte('{')
	first := true
	if len(metadata) > 0 {
		h.WriteString(`"` + MetadataKey + `":{`)
		ks := make([]string, 0, len(metadata))
		for k := range metadata {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		for i, k := range ks {
			if !utf8.ValidString(k) || !utf8.ValidString(metadata[k]) {
				return nil, nil, 0, fmt.Errorf("weights: metadata %q is not valid UTF-8", k)
			}
			if i > 0 {
				h.WriteByte(',')
			}
			writeJSONString(&h, k)
			h.WriteByte(':')
			writeJSONString(&h, metadata[k])
		}
		h.WriteByte('}')
		first = false
	}
	var off uint64
	for _, e := range es {
		if !first {
			h.WriteByte(',')
		}
		first = false
		writeJSONString(&h, e.t.Name)
		h.WriteString(`:{"dtype":"` + string(e.dtype) + `","shape":[`)
		for i, d := range e.t.Shape {
			if i > 0 {
				h.WriteByte(',')
			}
			h.WriteString(strconv.Itoa(d))
		}
		end := off + uint64(e.t.dataLen()*e.dtype.Size())
		fmt.Fprintf(&h, `],"data_offsets":[%d,%d]}`, off, end)
		off = end
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	if h.Len() > MaxHeaderSize {
		return nil, nil, 0, fmt.Errorf("weights: header of %d bytes exceeds the %d-byte limit", h.Len(), MaxHeaderSize)
	}
	return h.Bytes(), es, dataLen, nil
}

// writeJSONString writes s as a JSON string escaped as serde_json does:
// only '"', '\\' and control characters are escaped.
func writeJSONString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\f':
			b.WriteString(`\f`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// rawInfo is one header entry as written in the file.
type rawInfo struct {
	DType       *string  `json:"dtype"`
	Shape       []uint64 `json:"shape"`
	DataOffsets []uint64 `json:"data_offsets"`
}

type headerEntry struct {
	name       string
	dtype      DType
	shape      []int
	n          int // elements
	begin, end uint64
}

// Decode parses and validates a whole safetensors file held in b. Errors
// wrap ErrFormat and name the tensor and the offending value.
func Decode(b []byte) (*File, error) {
	return Read(bytes.NewReader(b), int64(len(b)))
}

// Read parses and validates a safetensors file of size bytes from r, as
// Decode does, reading one tensor at a time: besides the tensors it holds
// only the header and the bytes of the largest tensor. I/O errors are
// returned as they are; a file shorter than size reads as truncated.
func Read(r io.Reader, size int64) (*File, error) {
	var n8 [8]byte
	if size < 8 {
		return nil, fmt.Errorf("%w: file is %d bytes, shorter than the 8-byte header length", ErrFormat, size)
	}
	if err := readFull(r, n8[:]); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint64(n8[:])
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("%w: header length %d exceeds the %d-byte limit (not a safetensors file?)", ErrFormat, n, MaxHeaderSize)
	}
	if n > uint64(size-8) {
		return nil, fmt.Errorf("%w: header length %d runs past the end of the %d-byte file (truncated?)", ErrFormat, n, size)
	}
	hdr := make([]byte, n)
	if err := readFull(r, hdr); err != nil {
		return nil, err
	}
	dataLen := uint64(size-8) - n
	entries, meta, err := parseHeader(hdr)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(entries, func(i, j int) bool {
		return entries[i].begin < entries[j].begin || (entries[i].begin == entries[j].begin && entries[i].end < entries[j].end)
	})
	var pos, largest uint64
	for _, e := range entries {
		if e.end > dataLen {
			return nil, fmt.Errorf("%w: tensor %q: data_offsets [%d, %d] end past the %d bytes of data (truncated file?)", ErrFormat, e.name, e.begin, e.end, dataLen)
		}
		if e.begin != pos {
			return nil, fmt.Errorf("%w: tensor %q: data starts at byte %d, want %d (tensor data must be contiguous and not overlap)", ErrFormat, e.name, e.begin, pos)
		}
		pos = e.end
		largest = max(largest, e.end-e.begin)
	}
	if pos != dataLen {
		return nil, fmt.Errorf("%w: %d bytes of data follow the last tensor (the header covers %d of %d)", ErrFormat, dataLen-pos, pos, dataLen)
	}
	f := &File{Tensors: make([]Tensor, len(entries)), Metadata: meta}
	buf := make([]byte, largest)
	for i, e := range entries {
		b := buf[:e.end-e.begin]
		if err := readFull(r, b); err != nil {
			return nil, fmt.Errorf("tensor %q: %w", e.name, err)
		}
		f.Tensors[i] = Tensor{Name: e.name, Shape: e.shape, Data: decodeData(e.dtype, b, e.n)}
	}
	return f, nil
}

// readFull fills b from r; a short read means the file ended early.
func readFull(r io.Reader, b []byte) error {
	if _, err := io.ReadFull(r, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: the file ends early (truncated?)", ErrFormat)
		}
		return err
	}
	return nil
}

func parseHeader(hdr []byte) ([]headerEntry, map[string]string, error) {
	if !utf8.Valid(hdr) {
		return nil, nil, fmt.Errorf("%w: header is not valid UTF-8", ErrFormat)
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.DisallowUnknownFields()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: header: "+format, append([]any{ErrFormat}, args...)...)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, bad("not JSON: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, bad("want a JSON object, got %v", tok)
	}
	var (
		entries []headerEntry
		meta    map[string]string
		seen    = map[string]bool{}
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, bad("%v", err)
		}
		name := tok.(string) // object keys are always strings
		if seen[name] {
			return nil, nil, bad("key %q appears twice", name)
		}
		seen[name] = true
		if name == MetadataKey {
			if err := dec.Decode(&meta); err != nil {
				return nil, nil, bad("%s: want an object of strings: %v", MetadataKey, err)
			}
			continue
		}
		var ri rawInfo
		if err := dec.Decode(&ri); err != nil {
			return nil, nil, bad("tensor %q: %v (want {\"dtype\", \"shape\", \"data_offsets\"})", name, err)
		}
		e, err := checkInfo(name, ri)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, nil, bad("%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, bad("unexpected data after the JSON object")
	}
	return entries, meta, nil
}

func checkInfo(name string, ri rawInfo) (headerEntry, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: tensor %q: "+format, append([]any{ErrFormat, name}, args...)...)
	}
	if name == "" {
		return headerEntry{}, bad("empty tensor name")
	}
	if ri.DType == nil {
		return headerEntry{}, bad(`missing "dtype"`)
	}
	if ri.Shape == nil {
		return headerEntry{}, bad(`missing "shape"`)
	}
	if len(ri.DataOffsets) != 2 {
		return headerEntry{}, bad(`"data_offsets" has %d values, want [begin, end]`, len(ri.DataOffsets))
	}
	dt := DType(*ri.DType)
	if dt.Size() == 0 {
		return headerEntry{}, bad("dtype %q is not supported (want F32, F64 or I64; convert the tensor before saving)", *ri.DType)
	}
	e := headerEntry{name: name, dtype: dt, begin: ri.DataOffsets[0], end: ri.DataOffsets[1], n: 1}
	e.shape = make([]int, len(ri.Shape))
	var nb uint64 = uint64(dt.Size())
	var count uint64 = 1
	for i, d := range ri.Shape {
		hi, lo := bits.Mul64(count, d)
		if hi != 0 || lo > maxElems || d > maxElems {
			return headerEntry{}, bad("shape %v is too large", ri.Shape)
		}
		count = lo
		e.shape[i] = int(d)
	}
	e.n = int(count)
	if e.end < e.begin {
		return headerEntry{}, bad("data_offsets [%d, %d] end before they begin", e.begin, e.end)
	}
	if want := count * nb; e.end-e.begin != want {
		return headerEntry{}, bad("data_offsets [%d, %d] hold %d bytes, want %d for %s %v", e.begin, e.end, e.end-e.begin, want, dt, ri.Shape)
	}
	return e, nil
}

func decodeData(dt DType, b []byte, n int) any {
	switch dt {
	case F32:
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return out
	case F64:
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		return out
	default: // I64; checkInfo admits no other dtype
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
		}
		return out
	}
}
