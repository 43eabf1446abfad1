package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/nasx/nasx/searchspace"
)

// FuzzDecodeNB201 feeds arbitrary bytes to the NB201 JSON decoder: it must
// return a table or an error, never panic, and a table it returns must
// answer every query.
func FuzzDecodeNB201(f *testing.F) {
	rec := nb201Rec(searchspace.EnumerateNB201()[77], 3)
	b, _ := json.Marshal(map[string]any{"0": rec})
	f.Add(b)
	f.Add([]byte(`{"0": {"arch_str": "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"}}`))
	f.Add([]byte(`{"0": {"cell_adjacency": [[0,1],[2]], "x": [1e999, "\u00e9\ud83d\ude00", null, true]}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := decodeNB201(bytes.NewReader(data), 0)
		if err != nil {
			return
		}
		for i := 0; i < tb.Len(); i++ {
			r, err := tb.Record(i, ImageNet16)
			if err != nil {
				t.Fatal(err)
			}
			if j, err := tb.Lookup(r.Arch); err != nil || j != i {
				t.Fatalf("Lookup(%q) = %d, %v; want %d", r.Arch, j, err, i)
			}
		}
	})
}

// FuzzDecodeNB101 does the same for the NB101 JSON decoder.
func FuzzDecodeNB101(f *testing.F) {
	if b, err := os.ReadFile("testdata/nb101_tiny.expected.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`[{"module_adjacency": [[0,1],[0,0]], "module_operations": ["input","output"]}]`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := decodeNB101(bytes.NewReader(data), 0)
		if err != nil {
			return
		}
		for i := 0; i < tb.Len(); i++ {
			r, err := tb.Record(i, CIFAR10)
			if err != nil {
				t.Fatal(err)
			}
			if j, err := tb.Lookup(r.Arch); err != nil || j != i {
				t.Fatalf("Lookup(%q) = %d, %v; want %d", r.Arch, j, err, i)
			}
			tb.Spec(i)
			tb.VertexCosts(i)
		}
	})
}

// FuzzTFRecord feeds arbitrary bytes to the TFRecord loader.
func FuzzTFRecord(f *testing.F) {
	if b, err := os.ReadFile("testdata/nb101_tiny.tfrecord"); err == nil {
		f.Add(b)
		f.Add(b[:200])
	}
	row, _ := AppendRow(nil, Row{Hash: "00005c142e6f48ac74fdcf73e3439874", Epochs: 108,
		Spec: searchspace.NB101Spec{Matrix: [][]int{{0, 1}, {0, 0}}, Ops: []string{"input", "output"}}})
	f.Add(AppendFrame(nil, row))
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := decodeTFRecord(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i := 0; i < tb.Len(); i++ {
			if _, err := tb.Record(i, CIFAR10); err != nil {
				t.Fatal(err)
			}
		}
	})
}
