package ranker

import (
	"encoding/json"
	"math"
	"os"
	"sync"
	"testing"

	"github.com/nasx/nasx/data/bench"
	"github.com/nasx/nasx/internal/sharedtest"
	"github.com/nasx/nasx/searchspace"
)

var (
	nb201Once  sync.Once
	nb201Table *bench.NB201
	nb201Err   error
)

// loadNB201 opens the shared NB201 file once per test binary (it skips when
// the shared data is absent).
func loadNB201(t testing.TB) *bench.NB201 {
	t.Helper()
	p := sharedtest.Path(t, "nasbench201/nasbench201_with_edge_flops_and_params.json.gz")
	nb201Once.Do(func() {
		var tab bench.Table
		tab, nb201Err = bench.Open(p, bench.Options{CacheDir: os.TempDir()})
		if nb201Err == nil {
			nb201Table = tab.(*bench.NB201)
		}
	})
	if nb201Err != nil {
		t.Fatal(nb201Err)
	}
	return nb201Table
}

type encodeRef struct {
	NB101 []float64            `json:"nb101"`
	NB201 map[string][]float64 `json:"nb201"`
	Pad   struct {
		Adj    [][]int    `json:"adj"`
		Ops    []string   `json:"ops"`
		Flops  [][]uint32 `json:"flops"`
		Params [][]uint32 `json:"params"`
		Want   []float64  `json:"want"`
	} `json:"pad"`
}

func loadEncodeRef(t *testing.T) encodeRef {
	t.Helper()
	b, err := os.ReadFile("testdata/encode_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var r encodeRef
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// equalF32 compares exactly: the encodings are integers or integer/1e7
// quotients, which float32(float64 quotient) reproduces bit for bit.
func equalF32(t *testing.T, name string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	for i := range got {
		if got[i] != float32(want[i]) {
			t.Fatalf("%s: value %d (token %d) = %v, want %v", name, i, i/16, got[i], float32(want[i]))
		}
	}
}

func TestEncodeNB201MatchesNARExample(t *testing.T) {
	ref := loadEncodeRef(t)
	tab := loadNB201(t)
	for ds, key := range []string{"cifar10-valid", "cifar100", "ImageNet16-120"} {
		f, err := EncodeNB201(tab, bench.Dataset(ds))
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float32, f.Size())
		f.Encode(0, got) // record 0 equals NAR's example (data/README.md)
		equalF32(t, key, got, ref.NB201[key])
		if f.OpCounts[0] != [5]int{0, 3, 2, 0, 1} { // |avg~0|+|1x1~0|skip~1|+|1x1~0|skip~1|skip~2|
			t.Errorf("OpCounts[0] = %v", f.OpCounts[0])
		}
	}
}

func TestEncodeNB101MatchesNARExample(t *testing.T) {
	ref := loadEncodeRef(t)
	p := sharedtest.Path(t, "nasbench101/nar_example.json")
	tab, err := bench.Open(p, bench.Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	f, err := EncodeNB101(tab.(*bench.NB101))
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float32, f.Size())
	f.Encode(0, got)
	equalF32(t, "nb101 example", got, ref.NB101)

	// The 5-vertex cell checks the padding before the output vertex.
	var fl, pa [bench.NB101Cells][]uint32
	for c := range fl {
		fl[c], pa[c] = ref.Pad.Flops[c], ref.Pad.Params[c]
	}
	EncodeNB101Cell(got, searchspace.NB101Spec{Matrix: ref.Pad.Adj, Ops: ref.Pad.Ops}, fl, pa)
	equalF32(t, "nb101 padded", got, ref.Pad.Want)
}

// encodeTwiceNB201 returns two independent encodings of the real NB201 file
// on CIFAR-10: one to keep raw, one to transform.
func encodeTwiceNB201(t *testing.T) (raw, f *Features) {
	t.Helper()
	tab := loadNB201(t)
	var err error
	if raw, err = EncodeNB201(tab, bench.CIFAR10); err != nil {
		t.Fatal(err)
	}
	if f, err = EncodeNB201(tab, bench.CIFAR10); err != nil {
		t.Fatal(err)
	}
	return raw, f
}

// TestScaleTokens checks the improved mode's scaled features on the real
// NB201 file: every token is divided by its largest magnitude over the
// benchmark, so each token's maximum becomes exactly 1 and ratios within a
// token are kept. Token 0 holds the op codes 0–4 (algorithms.md B.2), so it
// becomes code/4; a raw FLOPs token of architecture 0 keeps its ratios.
func TestScaleTokens(t *testing.T) {
	raw, f := encodeTwiceNB201(t)
	if err := f.ScaleTokens(); err != nil {
		t.Fatal(err)
	}
	size, dim := f.Size(), f.Dim
	for tok := range f.Tokens {
		var rawMax, scaledMax float64
		for i := range f.Len() {
			for j := range dim {
				rawMax = max(rawMax, math.Abs(float64(raw.x[i*size+tok*dim+j])))
				scaledMax = max(scaledMax, math.Abs(float64(f.x[i*size+tok*dim+j])))
			}
		}
		if rawMax == 0 {
			t.Fatalf("token %d is zero in every architecture; every NB201 token has a conv edge somewhere", tok)
		}
		if scaledMax != 1 {
			t.Errorf("token %d: largest scaled magnitude %v, want 1 (raw largest %v)", tok, scaledMax, rawMax)
		}
		for i := range f.Len() {
			for j := range dim {
				r, s := float64(raw.x[i*size+tok*dim+j]), float64(f.x[i*size+tok*dim+j])
				if want := float64(float32(r / rawMax)); s != want {
					t.Fatalf("arch %d token %d [%d]: scaled %v, want raw %v / %v = %v", i, tok, j, s, r, rawMax, want)
				}
			}
		}
	}
	// Token 0 is the op-code matrix: its largest code is avg_pool_3x3 = 4.
	for j := range dim {
		if got, want := f.x[j], raw.x[j]/4; got != want {
			t.Errorf("arch 0 op-code entry %d: %v, want %v/4", j, got, raw.x[j])
		}
	}
	raw.x = nil
	if err := raw.ScaleTokens(); err == nil {
		t.Error("ScaleTokens without precomputed tensors (NB101) succeeded; want an error")
	}
}

// TestAddOpTokens checks the one-hot op tokens on the real NB201 file.
// Architecture 0 is |avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+
// |nor_conv_1x1~0|skip_connect~1|skip_connect~2| (data README), so its
// avg_pool token marks 0→1, nor_conv_1x1 marks 0→2 and 0→3, skip_connect
// marks 1→2, 1→3 and 2→3, and none and nor_conv_3x3 are empty. Every
// architecture marks exactly its 6 edges, and NAR's 31 tokens are kept.
func TestAddOpTokens(t *testing.T) {
	raw, f := encodeTwiceNB201(t)
	if err := f.AddOpTokens(); err != nil {
		t.Fatal(err)
	}
	if f.Tokens != NB201Tokens+5 {
		t.Fatalf("tokens %d, want %d", f.Tokens, NB201Tokens+5)
	}
	x := make([]float32, f.Size())
	f.Encode(0, x)
	want := map[[3]int]bool{{4, 0, 1}: true, {2, 0, 2}: true, {2, 0, 3}: true, {1, 1, 2}: true, {1, 1, 3}: true, {1, 2, 3}: true}
	for op := range 5 {
		for r := range 4 {
			for c := range 4 {
				got := x[(NB201Tokens+op)*16+r*4+c]
				if w := want[[3]int{op, r, c}]; got != map[bool]float32{false: 0, true: 1}[w] {
					t.Errorf("arch 0 op %d [%d][%d] = %v, want %v", op, r, c, got, w)
				}
			}
		}
	}
	old := raw.Size()
	for i := range f.Len() {
		var sum float32
		for _, v := range f.x[i*f.Size()+old : (i+1)*f.Size()] {
			sum += v
		}
		if sum != 6 {
			t.Fatalf("arch %d: op tokens mark %v edges, want 6", i, sum)
		}
		for j := range old {
			if f.x[i*f.Size()+j] != raw.x[i*old+j] {
				t.Fatalf("arch %d value %d: NAR's token changed", i, j)
			}
		}
	}
}
