package bench

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/nasx/nasx/internal/sharedtest"
	"github.com/nasx/nasx/searchspace"
)

const nb201Shared = "nasbench201/nasbench201_with_edge_flops_and_params.json.gz"

// loadShared201 opens the shared NB201 file once per test binary (without a
// cache, so the JSON decoder itself is tested).
var loadShared201 = sync.OnceValues(func() (*NB201, error) {
	p := filepath.Join(sharedtest.Dir(), nb201Shared)
	t, err := Open(p, Options{NoCache: true})
	if err != nil {
		return nil, err
	}
	return t.(*NB201), nil
})

func shared201(t *testing.T) *NB201 {
	t.Helper()
	sharedtest.Path(t, nb201Shared)
	tb, err := loadShared201()
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// TestNB201SharedBest checks the optima of the shared file against the
// values published with it (shared/data/README.md: CIFAR-10 94.3733 with
// ties, CIFAR-100 73.5133, ImageNet16-120 47.3111; the CIFAR-100 arch from
// issue 3).
func TestNB201SharedBest(t *testing.T) {
	tb := shared201(t)
	if tb.Len() != searchspace.NB201SpaceSize {
		t.Fatalf("Len() = %d, want %d", tb.Len(), searchspace.NB201SpaceSize)
	}
	tests := []struct {
		ds       Dataset
		want     float64
		wantArch string // "" when not pinned
	}{
		{CIFAR10, 94.3733, ""},
		{CIFAR100, 73.5133, "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"},
		{ImageNet16, 47.3111, ""},
	}
	for _, tt := range tests {
		best, err := Best(tb, tt.ds, Test, 5)
		if err != nil {
			t.Fatal(err)
		}
		// The published figures have 4 decimals.
		if got := math.Round(best[0].TestAcc*1e4) / 1e4; got != tt.want {
			t.Errorf("%s: best test acc = %v (rounded %v), want %v", tt.ds, best[0].TestAcc, got, tt.want)
		}
		if tt.wantArch != "" && best[0].Arch != tt.wantArch {
			t.Errorf("%s: best arch = %s, want %s", tt.ds, best[0].Arch, tt.wantArch)
		}
		for j := 1; j < len(best); j++ {
			a, b := best[j-1], best[j]
			if a.TestAcc < b.TestAcc || (a.TestAcc == b.TestAcc && (a.Index > b.Index || a.Rank != b.Rank)) {
				t.Errorf("%s: entries %d, %d out of order: %+v, %+v", tt.ds, j-1, j, a, b)
			}
		}
	}
	// CIFAR-10: the README says several archs tie at the top.
	best, _ := Best(tb, CIFAR10, Test, 5)
	if best[0].Ties < 2 || best[1].Rank != 1 || best[1].TestAcc != best[0].TestAcc {
		t.Errorf("CIFAR-10 test optimum: want a tie reported, got %+v", best[:2])
	}
}

// TestNB201SharedRoundTrip queries every record by index and by arch string.
func TestNB201SharedRoundTrip(t *testing.T) {
	tb := shared201(t)
	for i := 0; i < tb.Len(); i++ {
		r, err := tb.Record(i, CIFAR100)
		if err != nil {
			t.Fatal(err)
		}
		j, err := tb.Lookup(r.Arch)
		if err != nil || j != i {
			t.Fatalf("Lookup(%q) = %d, %v; want %d", r.Arch, j, err, i)
		}
		k, err := tb.Lookup(strconv.Itoa(i))
		if err != nil || k != i {
			t.Fatalf("Lookup(%d) = %d, %v", i, k, err)
		}
		if got, _ := tb.Record(j, CIFAR100); got != r {
			t.Fatalf("record %d: %+v != %+v", i, got, r)
		}
	}
}

// TestNB201SharedRecord0 compares record 0 with NAR's own example record
// (shared/data/nasbench201/nar_example_arch0.json, verbatim from NAR),
// decoded independently with encoding/json.
func TestNB201SharedRecord0(t *testing.T) {
	tb := shared201(t)
	raw, err := os.ReadFile(sharedtest.Path(t, "nasbench201/nar_example_arch0.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ex map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ex); err != nil {
		t.Fatal(err)
	}
	rec := ex["0"]
	num := func(k string) float64 {
		var v float64
		if err := json.Unmarshal(rec[k], &v); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		return v
	}
	for ds, p := range []string{"cifar10", "cifar100", "imagenet16"} {
		for m, s := range []string{"val", "test"} {
			if got, want := tb.Acc(0, Dataset(ds), Metric(m)), num(p+"_"+s+"_acc"); got != want {
				t.Errorf("%s_%s_acc = %v, want %v", p, s, got, want)
			}
		}
		f, pr := tb.Total(0, Dataset(ds))
		if want := num(nb201CostKeys[ds] + "_total_flops"); float64(f) != want {
			t.Errorf("%s total flops = %d, want %v", nb201CostKeys[ds], f, want)
		}
		if want := num(nb201CostKeys[ds] + "_total_params"); float64(pr) != want {
			t.Errorf("%s total params = %d, want %v", nb201CostKeys[ds], pr, want)
		}
		var opt map[string][]uint32
		if err := json.Unmarshal(rec[nb201CostKeys[ds]+"_opt_flops"], &opt); err != nil {
			t.Fatal(err)
		}
		flops, _ := tb.EdgeCosts(0, Dataset(ds))
		for c := 0; c < NB201Cells; c++ {
			key := fmt.Sprintf("cells%d", c+c/5)
			for e, v := range opt[key] {
				if flops[c][e] != v {
					t.Errorf("%s_opt_flops[%s][%d] = %d, want %d", nb201CostKeys[ds], key, e, flops[c][e], v)
				}
			}
		}
	}
	var archStr string
	json.Unmarshal(rec["arch_str"], &archStr)
	if got := tb.Arch(0).String(); got != archStr {
		t.Errorf("arch 0 = %s, want %s", got, archStr)
	}
	// The shared file has no latency fields (shared/data/README.md).
	if _, ok := tb.Latency(0, CIFAR10); ok {
		t.Errorf("Latency(0) present, want absent in the shared file")
	}
	// NAR's example has them: decoding it alone keeps them.
	one, err := Open(sharedtest.Path(t, "nasbench201/nar_example_arch0.json"), Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := one.(*NB201).Latency(0, CIFAR100); !ok || v != num("cifar100_latency") {
		t.Errorf("example latency = %v, %v; want %v", v, ok, num("cifar100_latency"))
	}
}

// nb201Rec builds a complete record of arch a in NAR's schema with made-up
// values.
func nb201Rec(a searchspace.NB201Arch, seed int) map[string]any {
	adj := a.Adjacency()
	m := map[string]any{"cell_adjacency": adj, "arch_str": a.String()}
	for d, p := range []string{"cifar10", "cifar100", "imagenet16"} {
		m[p+"_val_acc"] = float64(50+seed%40) + 0.25*float64(d)
		m[p+"_test_acc"] = float64(51+seed%40) + 0.25*float64(d)
	}
	for d, p := range nb201CostKeys {
		m[p+"_total_flops"] = 1000 + seed + d
		m[p+"_total_params"] = 100 + seed + d
		cells := map[string][]int{}
		for c := 0; c < NB201Cells; c++ {
			cells[fmt.Sprintf("cells%d", c+c/5)] = []int{c, seed, d, 1, 2, 3}
		}
		m[p+"_opt_flops"] = cells
		m[p+"_opt_params"] = cells
	}
	return m
}

// writeNB201 writes records keyed "0".. as NAR's JSON object.
func writeNB201(t *testing.T, recs []map[string]any) []byte {
	t.Helper()
	obj := map[string]any{}
	for i, r := range recs {
		obj[strconv.Itoa(i)] = r
	}
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func tinyNB201(t *testing.T, n int) []map[string]any {
	all := searchspace.EnumerateNB201()
	recs := make([]map[string]any, n)
	for i := range recs {
		recs[i] = nb201Rec(all[(i*7919)%len(all)], i)
	}
	return recs
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNB201Tiny(t *testing.T) {
	recs := tinyNB201(t, 12)
	p := writeTemp(t, "nb201.json", writeNB201(t, recs))
	tb, err := Open(p, Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	// encoding/json writes keys sorted as strings ("0", "1", "10", "11",
	// "2"...), so this also checks the reordering by key.
	for i, r := range recs {
		got, err := tb.Record(i, CIFAR100)
		if err != nil {
			t.Fatal(err)
		}
		if got.Arch != r["arch_str"] || got.ValAcc != r["cifar100_val_acc"] || got.Flops != int64(1000+i+1) {
			t.Errorf("record %d = %+v, want arch %s val %v flops %d", i, got, r["arch_str"], r["cifar100_val_acc"], 1000+i+1)
		}
		f, _ := tb.(*NB201).EdgeCosts(i, ImageNet16)
		if f[14] != [6]uint32{14, uint32(i), 2, 1, 2, 3} {
			t.Errorf("record %d: cells16 flops = %v", i, f[14])
		}
	}
}

func TestNB201Errors(t *testing.T) {
	base := func() []map[string]any { return tinyNB201(t, 3) }
	tests := []struct {
		name   string
		mutate func(recs []map[string]any) []byte
		want   []string // substrings of the error
	}{
		{"missing field", func(r []map[string]any) []byte {
			delete(r[1], "cifar100_test_acc")
			return writeNB201(t, r)
		}, []string{`record "1"`, `required field "cifar100_test_acc" is missing`}},
		{"wrong arch string", func(r []map[string]any) []byte {
			r[2]["arch_str"] = "|nor_conv_9x9~0|+|none~0|none~1|+|none~0|none~1|none~2|"
			return writeNB201(t, r)
		}, []string{`record "2"`, `arch_str`, `nor_conv_9x9`}},
		{"adjacency disagrees", func(r []map[string]any) []byte {
			r[1]["cell_adjacency"] = [4][4]int{}
			return writeNB201(t, r)
		}, []string{`record "1"`, `cell_adjacency`, `entry [`}},
		{"missing cell", func(r []map[string]any) []byte {
			cells := map[string][]int{}
			for c := 0; c < NB201Cells-1; c++ {
				cells[fmt.Sprintf("cells%d", c+c/5)] = []int{0, 0, 0, 0, 0, 0}
			}
			r[1]["cifar100_opt_params"] = cells
			return writeNB201(t, r)
		}, []string{`record "1"`, `cifar100_opt_params`, `"cells16" is missing`}},
		{"accuracy out of range", func(r []map[string]any) []byte {
			r[0]["cifar10_val_acc"] = 101.5
			return writeNB201(t, r)
		}, []string{`record "0"`, `cifar10_val_acc`, `out of range`}},
		{"negative cost", func(r []map[string]any) []byte {
			r[0]["cifar100_total_flops"] = -3
			return writeNB201(t, r)
		}, []string{`record "0"`, `cifar100_total_flops`, `byte offset`}},
		{"duplicate arch", func(r []map[string]any) []byte {
			r[2] = r[0]
			return writeNB201(t, r)
		}, []string{`records 0 and 2 have the same arch`}},
		{"key gap", func(r []map[string]any) []byte {
			b := writeNB201(t, r)
			return bytes.Replace(b, []byte(`"1":`), []byte(`"7":`), 1)
		}, []string{`"1" is missing`}},
		{"syntax", func(r []map[string]any) []byte {
			b := writeNB201(t, r)
			return bytes.Replace(b, []byte(`"arch_str":`), []byte(`"arch_str"`), 1)
		}, []string{`byte offset`, `want ':'`}},
		{"truncated", func(r []map[string]any) []byte {
			b := writeNB201(t, r)
			return b[:len(b)*2/3]
		}, []string{`record "`, "byte offset", "truncated?"}},
		{"trailing data", func(r []map[string]any) []byte {
			return append(writeNB201(t, r), " {}"...)
		}, []string{`data after the closing '}'`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeTemp(t, "bad.json", tt.mutate(base()))
			_, err := Open(p, Options{NoCache: true})
			if err == nil {
				t.Fatal("Open succeeded, want an error")
			}
			msg := err.Error()
			for _, w := range append(tt.want, p) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
		})
	}
}

// TestTruncatedGzip cuts a gzip file in half: the error names the file and
// the offset reached in the decompressed JSON.
func TestTruncatedGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(writeNB201(t, tinyNB201(t, 20)))
	zw.Close()
	b := buf.Bytes()
	p := writeTemp(t, "cut.json.gz", b[:len(b)/2])
	_, err := Open(p, Options{NoCache: true})
	if err == nil {
		t.Fatal("Open of a truncated gzip succeeded")
	}
	for _, w := range []string{p, "byte offset", "unexpected EOF", "decompressed"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
	// The whole file decodes.
	if _, err := Open(writeTemp(t, "ok.json.gz", b), Options{NoCache: true}); err != nil {
		t.Errorf("Open of the whole gzip: %v", err)
	}
}

func TestNB201LookupErrors(t *testing.T) {
	p := writeTemp(t, "nb201.json", writeNB201(t, tinyNB201(t, 3)))
	tb, err := Open(p, Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"3", "-1", searchspace.EnumerateNB201()[1].String()} {
		if _, err := tb.Lookup(key); !errors.Is(err, ErrNotFound) {
			t.Errorf("Lookup(%q) error = %v, want ErrNotFound", key, err)
		}
	}
	if _, err := tb.Lookup("|bogus~0|"); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("Lookup(bogus) error = %v", err)
	}
	if _, err := tb.Record(0, Dataset(7)); err == nil {
		t.Error("Record with an unknown dataset succeeded")
	}
}
