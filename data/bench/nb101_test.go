package bench

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/nasx/nasx/internal/sharedtest"
	"github.com/nasx/nasx/searchspace"
)

// narNB101 is NAR's record schema, decoded independently with
// encoding/json.
type narNB101 struct {
	Adjacency    [][]int             `json:"module_adjacency"`
	Ops          []string            `json:"module_operations"`
	Params       int64               `json:"trainable_parameters"`
	Time         float64             `json:"avg_training_time"`
	Train        float64             `json:"avg_train_accuracy"`
	Val          float64             `json:"avg_validation_accuracy"`
	Test         float64             `json:"avg_test_accuracy"`
	Hash         string              `json:"unique_hash"`
	VertexFlops  map[string][]uint32 `json:"vertex_flops"`
	VertexParams map[string][]uint32 `json:"vertex_params"`
	Flops        int64               `json:"flops"`
}

func readNAR101(t *testing.T, path string) []narNB101 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []narNB101
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatal(err)
	}
	return recs
}

// checkNB101 compares table row i with a NAR record; accuracies to relTol.
func checkNB101(t *testing.T, tb *NB101, i int, want narNB101, relTol float64) {
	t.Helper()
	close := func(a, b float64) bool { return math.Abs(a-b) <= relTol*math.Abs(b) }
	if got := tb.Hash(i); got != want.Hash {
		t.Errorf("record %d: hash %s, want %s", i, got, want.Hash)
	}
	s := tb.Spec(i)
	if !equalJSON(s.Matrix, want.Adjacency) || !equalJSON(s.Ops, want.Ops) {
		t.Errorf("record %d: spec %v %v, want %v %v", i, s.Matrix, s.Ops, want.Adjacency, want.Ops)
	}
	if tb.Params(i) != want.Params || tb.Flops(i) != want.Flops {
		t.Errorf("record %d: params %d flops %d, want %d %d", i, tb.Params(i), tb.Flops(i), want.Params, want.Flops)
	}
	secs, train := tb.TrainStats(i)
	if !close(secs, want.Time) || !close(train, want.Train) ||
		!close(tb.Acc(i, CIFAR10, Val), 100*want.Val) || !close(tb.Acc(i, CIFAR10, Test), 100*want.Test) {
		t.Errorf("record %d: time %v train %v val %v test %v, want %v %v %v %v (×100)", i, secs, train,
			tb.Acc(i, CIFAR10, Val), tb.Acc(i, CIFAR10, Test), want.Time, want.Train, want.Val, want.Test)
	}
	vf, vp := tb.VertexCosts(i)
	for c := 0; c < NB101Cells; c++ {
		key := "stack" + string(rune('0'+c/3)) + "/module" + string(rune('0'+c%3))
		if !equalJSON(vf[c], want.VertexFlops[key]) || !equalJSON(vp[c], want.VertexParams[key]) {
			t.Errorf("record %d %s: vertex costs %v %v, want %v %v", i, key, vf[c], vp[c], want.VertexFlops[key], want.VertexParams[key])
		}
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// TestNB101NARExample decodes NAR's own one-record example
// (shared/data/nasbench101/nar_example.json, verbatim).
func TestNB101NARExample(t *testing.T) {
	p := sharedtest.Path(t, "nasbench101/nar_example.json")
	tb, err := Open(p, Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	want := readNAR101(t, p)
	if tb.Len() != 1 {
		t.Fatalf("Len() = %d, want 1", tb.Len())
	}
	checkNB101(t, tb.(*NB101), 0, want[0], 0)
	// Lookup by hash and by an isomorphic spec (NB101 hashing).
	spec := tb.(*NB101).Spec(0)
	if i, err := tb.(*NB101).IndexOfSpec(spec); err != nil || i != 0 {
		t.Errorf("IndexOfSpec = %d, %v", i, err)
	}
	if i, err := tb.Lookup("00005c142e6f48ac74fdcf73e3439874"); err != nil || i != 0 {
		t.Errorf("Lookup(hash) = %d, %v", i, err)
	}
}

// TestTFRecordFixture loads the committed fixture (written by
// internal/gentfrecord) and compares it with the NAR records the generator
// computed from the values it serialized. Averages may differ in the last
// bits (the generator sums x/3, the loader sums x then divides): 1e-15
// relative.
func TestTFRecordFixture(t *testing.T) {
	const tol = 1e-15
	tb, err := Open("testdata/nb101_tiny.tfrecord", Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	want := readNAR101(t, "testdata/nb101_tiny.expected.json")
	if tb.Len() != len(want) {
		t.Fatalf("Len() = %d, want %d", tb.Len(), len(want))
	}
	nb := tb.(*NB101)
	for i, w := range want {
		checkNB101(t, nb, i, w, tol)
		// The fixture's hashes are real NAS-Bench-101 hashes.
		if j, err := nb.IndexOfSpec(nb.Spec(i)); err != nil || j != i {
			t.Errorf("IndexOfSpec(record %d) = %d, %v", i, j, err)
		}
	}
	// The expected file is itself in NAR's schema: both loaders agree.
	js, err := Open("testdata/nb101_tiny.expected.json", Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		a, _ := tb.Record(i, CIFAR10)
		b, _ := js.Record(i, CIFAR10)
		if a.Arch != b.Arch || a.Flops != b.Flops || a.Params != b.Params || math.Abs(a.ValAcc-b.ValAcc) > tol*b.ValAcc {
			t.Errorf("record %d: tfrecord %+v, json %+v", i, a, b)
		}
	}
}

// TestMaskedCRC checks the CRC-32C against its standard check value
// (CRC-32C of "123456789" is 0xe3069283, RFC 3720 B.4 / the CRC catalogue)
// and the TFRecord mask against its definition.
func TestMaskedCRC(t *testing.T) {
	if got := crc32c([]byte("123456789")); got != 0xe3069283 {
		t.Fatalf("crc32c = %08x, want e3069283", got)
	}
	c := uint32(0xe3069283)
	if got, want := maskCRC(c), ((c>>15)|(c<<17))+0xa282ead8; got != want {
		t.Fatalf("maskCRC = %08x, want %08x", got, want)
	}
}

// TestTFRecordBadCRC flips one data byte of frame 2 of the fixture.
func TestTFRecordBadCRC(t *testing.T) {
	b, err := os.ReadFile("testdata/nb101_tiny.tfrecord")
	if err != nil {
		t.Fatal(err)
	}
	// Walk to frame 2.
	off := 0
	for f := 0; f < 2; f++ {
		off += 12 + int(binary.LittleEndian.Uint64(b[off:])) + 4
	}
	b[off+12+5] ^= 0x20
	p := writeTemp(t, "bad.tfrecord", b)
	_, err = Open(p, Options{NoCache: true})
	if !errors.Is(err, ErrChecksum) {
		t.Fatalf("error = %v, want ErrChecksum", err)
	}
	for _, w := range []string{p, "frame 2", "byte offset " + strconv.Itoa(off), "data CRC mismatch"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
	// A truncated file names the frame too.
	orig, _ := os.ReadFile("testdata/nb101_tiny.tfrecord")
	p = writeTemp(t, "cut.tfrecord", orig[:len(orig)-7])
	if _, err := Open(p, Options{NoCache: true}); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated tfrecord: error = %v", err)
	}
}

func TestNB101Errors(t *testing.T) {
	raw, err := os.ReadFile("testdata/nb101_tiny.expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	if err := json.Unmarshal(raw, &recs); err != nil {
		t.Fatal(err)
	}
	enc := func(r []map[string]any) []byte { b, _ := json.Marshal(r); return b }
	tests := []struct {
		name   string
		mutate func(r []map[string]any)
		want   []string
	}{
		{"missing field", func(r []map[string]any) { delete(r[3], "avg_test_accuracy") },
			[]string{"record 3", `required field "avg_test_accuracy" is missing`, "byte offset"}},
		{"bad op", func(r []map[string]any) { r[1]["module_operations"].([]any)[1] = "conv5x5" },
			[]string{"record 1", `unknown op "conv5x5"`}},
		{"bad hash", func(r []map[string]any) { r[2]["unique_hash"] = "xyz" },
			[]string{"record 2", "unique_hash", "32 hex digits"}},
		{"duplicate hash", func(r []map[string]any) { r[4]["unique_hash"] = r[0]["unique_hash"] },
			[]string{"records 0 and 4 have the same unique_hash"}},
		{"vertex count", func(r []map[string]any) {
			r[0]["vertex_flops"].(map[string]any)["stack1/module2"] = []int{0}
		}, []string{"record 0", "vertex_flops", "stack1/module2"}},
		{"lower triangle", func(r []map[string]any) {
			r[5]["module_adjacency"].([]any)[1].([]any)[0] = 1
		}, []string{"record 5", "below the diagonal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r []map[string]any
			json.Unmarshal(raw, &r)
			tt.mutate(r)
			p := writeTemp(t, "bad.json", enc(r))
			_, err := Open(p, Options{NoCache: true})
			if err == nil {
				t.Fatal("Open succeeded, want an error")
			}
			for _, w := range append(tt.want, p) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestSynthNB101 writes a small synthetic file and checks that it loads,
// that its cells are distinct and valid, and that its costs follow the
// searchspace cost model.
func TestSynthNB101(t *testing.T) {
	var buf bytes.Buffer
	if _, err := SynthNB101(&buf, 300, 7, nil); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	SynthNB101(&again, 300, 7, nil)
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("SynthNB101 is not deterministic for a seed")
	}
	tb, err := Open(writeTemp(t, "synth.json", buf.Bytes()), Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	nb := tb.(*NB101)
	if nb.Len() != 300 {
		t.Fatalf("Len() = %d, want 300", nb.Len())
	}
	seen := map[uint64]bool{}
	for i := 0; i < nb.Len(); i++ {
		s := nb.Spec(i)
		if err := s.Validate(); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		k := labelKey(s)
		if seen[k] {
			t.Fatalf("record %d repeats a spec", i)
		}
		seen[k] = true
		c, _ := searchspace.NB101Cost(s)
		if c.TrainableParameters != nb.Params(i) || c.Flops != nb.Flops(i) {
			t.Errorf("record %d: params/flops %d/%d, cost model %d/%d", i, nb.Params(i), nb.Flops(i), c.TrainableParameters, c.Flops)
		}
		if v := nb.Acc(i, CIFAR10, Val); v < 10 || v > 99 {
			t.Errorf("record %d: val acc %v outside [10, 99]", i, v)
		}
	}
}

func TestNB101Lookup(t *testing.T) {
	tb, err := Open("testdata/nb101_tiny.tfrecord", Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	h := tb.(*NB101).Hash(4)
	if i, err := tb.Lookup(h); err != nil || i != 4 {
		t.Errorf("Lookup(%s) = %d, %v", h, i, err)
	}
	if i, err := tb.Lookup("5"); err != nil || i != 5 {
		t.Errorf("Lookup(5) = %d, %v", i, err)
	}
	for _, k := range []string{"ffffffffffffffffffffffffffffffff", "6"} {
		if _, err := tb.Lookup(k); !errors.Is(err, ErrNotFound) {
			t.Errorf("Lookup(%s) error = %v, want ErrNotFound", k, err)
		}
	}
	if _, err := tb.Lookup("not-a-hash"); err == nil {
		t.Error("Lookup(not-a-hash) succeeded")
	}
	if _, err := Best(tb, CIFAR100, Val, 1); err == nil {
		t.Error("Best on CIFAR100 of NB101 succeeded")
	}
	n := 0
	for r := range Records(tb, CIFAR10) {
		if r.Index != n || r.Arch != tb.(*NB101).Hash(n) {
			t.Errorf("Records: got index %d arch %s at position %d", r.Index, r.Arch, n)
		}
		n++
	}
	if n != tb.Len() {
		t.Errorf("Records yielded %d records, want %d", n, tb.Len())
	}
	for range Records(tb, ImageNet16) {
		t.Error("Records(ImageNet16) yielded a record for NB101")
	}
}
