package weights

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// refExpected is testdata/ref_expected.json, written with
// testdata/ref.safetensors by testdata/gen_safetensors.py (numpy 1.24.2, an
// independent writer that follows the safetensors spec and the Rust crate).
type refExpected struct {
	Metadata map[string]string `json:"metadata"`
	Tensors  map[string]struct {
		DType  DType     `json:"dtype"`
		Shape  []int     `json:"shape"`
		Values []float64 `json:"values"`
	} `json:"tensors"`
}

func loadRef(t *testing.T) ([]byte, refExpected) {
	t.Helper()
	b, err := os.ReadFile("testdata/ref.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	jb, err := os.ReadFile("testdata/ref_expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var want refExpected
	if err := json.Unmarshal(jb, &want); err != nil {
		t.Fatal(err)
	}
	if len(want.Tensors) == 0 {
		t.Fatal("ref_expected.json has no tensors; re-run testdata/gen_safetensors.py")
	}
	return b, want
}

// refTensors converts the expected values into Tensors, in map (random) order.
func refTensors(t *testing.T, want refExpected) []Tensor {
	t.Helper()
	var out []Tensor
	for name, e := range want.Tensors {
		tt := Tensor{Name: name, Shape: e.Shape}
		switch e.DType {
		case F32:
			d := make([]float32, len(e.Values))
			for i, v := range e.Values {
				d[i] = float32(v)
			}
			tt.Data = d
		case F64:
			tt.Data = append([]float64(nil), e.Values...)
		case I64:
			// JSON numbers are float64s: the reference int64s (-1, 2^40, 3,
			// -2^62) are all exact in float64.
			d := make([]int64, len(e.Values))
			for i, v := range e.Values {
				d[i] = int64(v)
			}
			tt.Data = d
		default:
			t.Fatalf("tensor %q: dtype %q", name, e.DType)
		}
		out = append(out, tt)
	}
	return out
}

func TestDecodeReference(t *testing.T) {
	b, want := loadRef(t)
	f, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Metadata, want.Metadata) {
		t.Errorf("metadata = %v, want %v", f.Metadata, want.Metadata)
	}
	if len(f.Tensors) != len(want.Tensors) {
		t.Fatalf("got %d tensors, want %d", len(f.Tensors), len(want.Tensors))
	}
	for _, wt := range refTensors(t, want) {
		got, ok := f.Tensor(wt.Name)
		if !ok {
			t.Errorf("tensor %q missing", wt.Name)
			continue
		}
		if !reflect.DeepEqual(got.Shape, wt.Shape) && !(len(got.Shape) == 0 && len(wt.Shape) == 0) {
			t.Errorf("%q: shape %v, want %v", wt.Name, got.Shape, wt.Shape)
		}
		if !reflect.DeepEqual(got.Data, wt.Data) {
			t.Errorf("%q: data %v, want %v", wt.Name, got.Data, wt.Data)
		}
	}
	// Data order: I64, then F64, then F32, each by name (the Rust layout).
	var names []string
	for _, tt := range f.Tensors {
		names = append(names, tt.Name)
	}
	wantOrder := []string{"stem.1.num_batches_tracked", "step.counts", "odd \"name\"\\with\tescapes",
		"stem.1.running_var", "alphas_normal", "cells.0._ops.3.op.1.weight", "classifier.bias", "empty.weight"}
	if !reflect.DeepEqual(names, wantOrder) {
		t.Errorf("data order %q, want %q", names, wantOrder)
	}
}

// TestEncodeMatchesReferenceBytes checks that our writer, given the same
// tensors in any order, produces the reference file byte for byte.
func TestEncodeMatchesReferenceBytes(t *testing.T) {
	b, want := loadRef(t)
	got, err := Encode(refTensors(t, want), want.Metadata)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b) {
		n := min(len(got), len(b))
		i := 0
		for i < n && got[i] == b[i] {
			i++
		}
		t.Fatalf("Encode differs from testdata/ref.safetensors at byte %d (len %d vs %d)\ngot  %q\nwant %q",
			i, len(got), len(b), got[max(0, i-40):min(len(got), i+40)], b[max(0, i-40):min(len(b), i+40)])
	}
}

func TestWriteReadFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.safetensors")
	in := []Tensor{
		{Name: "w", Shape: []int{2, 2}, Data: []float32{1, -2, 3.5, 0}},
		{Name: "b", Shape: []int{}, Data: []float64{0.25}},
		{Name: "n", Shape: []int{3}, Data: []int64{-1, 0, 1 << 62}},
	}
	if err := WriteFile(path, in, nil); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata != nil {
		t.Errorf("metadata = %v, want none", f.Metadata)
	}
	for _, want := range in {
		got, ok := f.Tensor(want.Name)
		if !ok || !reflect.DeepEqual(got.Data, want.Data) || len(got.Shape) != len(want.Shape) {
			t.Errorf("tensor %q: got %+v, want %+v", want.Name, got, want)
		}
	}
	// The header is 8-byte aligned, as the Rust crate pads it.
	b, _ := os.ReadFile(path)
	if n := binary.LittleEndian.Uint64(b); n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   []Tensor
		want string
	}{
		{"shape mismatch", []Tensor{{Name: "w", Shape: []int{2, 3}, Data: []float32{1}}}, `tensor "w": shape [2 3] needs 6 elements, data has 1`},
		{"bad type", []Tensor{{Name: "w", Shape: []int{1}, Data: []int32{1}}}, `tensor "w": data is []int32`},
		{"duplicate", []Tensor{{Name: "w", Data: []float32{1}}, {Name: "w", Data: []float32{1}}}, `tensor "w" appears twice`},
		{"reserved", []Tensor{{Name: MetadataKey, Data: []float32{1}}}, "reserved"},
		{"empty name", []Tensor{{Name: "", Data: []float32{1}}}, "empty name"},
		{"negative dim", []Tensor{{Name: "w", Shape: []int{-1}, Data: []float32{}}}, "negative dimension"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Encode(tt.in, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Encode error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// mk builds a file from a raw header and data.
func mk(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

func TestDecodeErrors(t *testing.T) {
	ref, _ := os.ReadFile("testdata/ref.safetensors")
	eight := make([]byte, 8)
	for _, tt := range []struct {
		name string
		in   []byte
		want string
	}{
		{"short", []byte{1, 2, 3}, "file is 3 bytes, shorter than the 8-byte header length"},
		{"huge header", binary.LittleEndian.AppendUint64(nil, 1<<40), "exceeds the 100000000-byte limit"},
		{"header past end", binary.LittleEndian.AppendUint64(nil, 100), "runs past the end of the 8-byte file"},
		{"truncated", ref[:len(ref)-10], `tensor "classifier.bias": data_offsets [200, 216] end past the 206 bytes of data (truncated file?)`},
		{"not json", mk("nope", nil), "header: not JSON"},
		{"not object", mk("[1]", nil), "want a JSON object"},
		{"bad utf8", mk("{\"\xff\":1}", nil), "not valid UTF-8"},
		{"missing dtype", mk(`{"a":{"shape":[1],"data_offsets":[0,4]}}`, eight[:4]), `tensor "a": missing "dtype"`},
		{"missing shape", mk(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, eight[:4]), `tensor "a": missing "shape"`},
		{"offsets arity", mk(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}`, eight[:4]), `"data_offsets" has 1 values`},
		{"unknown field", mk(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, eight[:4]), `tensor "a": json: unknown field "x"`},
		{"negative shape", mk(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, eight[:4]), `tensor "a"`},
		{"unsupported dtype", mk(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, eight[:4]), `tensor "a": dtype "F16" is not supported`},
		{"size mismatch", mk(`{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,8]}}`, eight), `tensor "a": data_offsets [0, 8] hold 8 bytes, want 24 for F32 [2 3]`},
		{"reversed", mk(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}`, eight[:4]), "end before they begin"},
		{"gap", mk(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), `tensor "a": data starts at byte 4, want 0`},
		{"overlap", mk(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), `tensor "b": data starts at byte 4, want 8`},
		{"trailing data", mk(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, eight), "4 bytes of data follow the last tensor"},
		{"duplicate key", mk(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, eight[:4]), `key "a" appears twice`},
		{"bad metadata", mk(`{"__metadata__":{"k":1}}`, nil), "__metadata__: want an object of strings"},
		{"garbage after", mk(`{} x`, nil), "unexpected data after the JSON object"},
		{"huge shape", mk(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, eight[:4]), "too large"},
		{"huge dim, zero size", mk(`{"a":{"dtype":"F32","shape":[0,18446744073709551615],"data_offsets":[0,0]}}`, nil), "too large"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode error = %v, want it to contain %q", err, tt.want)
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("error %v does not wrap ErrFormat", err)
			}
		})
	}
}

func TestReadFileNamesPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.safetensors")
	if err := os.WriteFile(path, []byte("xx"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(path)
	if err == nil || !strings.Contains(err.Error(), "bad.safetensors: malformed safetensors file: file is 2 bytes") {
		t.Errorf("ReadFile error = %v, want the path and the problem", err)
	}
}

func FuzzDecode(f *testing.F) {
	ref, err := os.ReadFile("testdata/ref.safetensors")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ref)
	f.Add(ref[:len(ref)-3])
	f.Add(mk(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Add(mk(`{}`, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Decode(b)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode and decode to the same tensors.
		enc, err := Encode(file.Tensors, file.Metadata)
		if err != nil {
			t.Fatalf("re-encoding a decoded file: %v", err)
		}
		again, err := Decode(enc)
		if err != nil {
			t.Fatalf("decoding our own encoding: %v", err)
		}
		for _, want := range file.Tensors {
			got, ok := again.Tensor(want.Name)
			if !ok || !sameBits(got.Data, want.Data) {
				t.Fatalf("tensor %q changed in a round trip", want.Name)
			}
		}
	})
}

// sameBits compares data bitwise (NaNs included).
func sameBits(a, b any) bool {
	ea, _ := Encode([]Tensor{{Name: "x", Shape: []int{lenOf(a)}, Data: a}}, nil)
	eb, _ := Encode([]Tensor{{Name: "x", Shape: []int{lenOf(b)}, Data: b}}, nil)
	return bytes.Equal(ea, eb)
}

func lenOf(a any) int { return Tensor{Data: a}.dataLen() }

// Write streams the bytes of Encode: the reference file, and a tensor larger
// than one chunk (so that chunk boundaries are crossed); a failing writer's
// error comes back.
func TestWriteMatchesEncode(t *testing.T) {
	b, want := loadRef(t)
	var got bytes.Buffer
	if err := Write(&got, refTensors(t, want), want.Metadata); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), b) {
		t.Error("Write differs from testdata/ref.safetensors")
	}
	big := make([]float64, writeChunk/8*2+3) // two chunks and 3 elements
	for i := range big {
		big[i] = float64(i) / 7
	}
	ts := []Tensor{{Name: "big", Shape: []int{len(big)}, Data: big}, {Name: "i", Shape: []int{2}, Data: []int64{-1, 5}},
		{Name: "s", Shape: []int{}, Data: []float32{3.5}}}
	enc, err := Encode(ts, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	got.Reset()
	if err := Write(&got, ts, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), enc) {
		t.Errorf("Write of %d bytes differs from Encode", len(enc))
	}
	if err := Write(failWriter{}, ts, nil); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("failing writer: %v", err)
	}
	if err := Write(&got, []Tensor{{Name: "", Shape: []int{1}, Data: []float32{1}}}, nil); err == nil {
		t.Error("Write accepted an empty name")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// errReader fails every read after the first n bytes.
type errReader struct {
	b   []byte
	n   int
	err error
}

func (r *errReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, r.err
	}
	k := copy(p[:min(len(p), r.n)], r.b)
	r.b, r.n = r.b[k:], r.n-k
	return k, nil
}

// TestReadStreams checks Read against Decode on the reference file, and its two ways to fail mid-stream: a
// stream shorter than the size it was given reads as a truncated file (ErrFormat), and a read error is
// returned as it is, named by the tensor being read.
func TestReadStreams(t *testing.T) {
	ref, err := os.ReadFile("testdata/ref.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	want, err := Decode(ref)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read(bytes.NewReader(ref), int64(len(ref)))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Read = %+v, %v; Decode = %+v", got, err, want)
	}
	if _, err := Read(bytes.NewReader(ref[:len(ref)-3]), int64(len(ref))); !errors.Is(err, ErrFormat) ||
		!strings.Contains(err.Error(), "ends early") {
		t.Errorf("short stream: error %v, want ErrFormat, the file ends early", err)
	}
	boom := errors.New("disk on fire")
	hdr := 8 + int(binary.LittleEndian.Uint64(ref))
	_, err = Read(&errReader{b: ref, n: hdr + 1, err: boom}, int64(len(ref)))
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "tensor \"") {
		t.Errorf("read error: got %v, want %v named by its tensor", err, boom)
	}
}
