package searchspace

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"testing"

	"github.com/nasx/nasx/internal/sharedtest"
)

// nb201CostRecord is the part of a record of NAR's
// nasbench201_with_edge_flops_and_params.json this test needs.
type nb201CostRecord struct {
	ArchStr string `json:"arch_str"`
	C10F    int64  `json:"cifar10-valid_total_flops"`
	C10P    int64  `json:"cifar10-valid_total_params"`
	C100F   int64  `json:"cifar100_total_flops"`
	C100P   int64  `json:"cifar100_total_params"`
	INF     int64  `json:"ImageNet16-120_total_flops"`
	INP     int64  `json:"ImageNet16-120_total_params"`

	C10OptF  map[string][]int64 `json:"cifar10-valid_opt_flops"`
	C10OptP  map[string][]int64 `json:"cifar10-valid_opt_params"`
	C100OptF map[string][]int64 `json:"cifar100_opt_flops"`
	C100OptP map[string][]int64 `json:"cifar100_opt_params"`
	INOptF   map[string][]int64 `json:"ImageNet16-120_opt_flops"`
	INOptP   map[string][]int64 `json:"ImageNet16-120_opt_params"`
}

func (r *nb201CostRecord) dataset(ds string) (flops, params int64, optF, optP map[string][]int64) {
	switch ds {
	case "cifar10-valid":
		return r.C10F, r.C10P, r.C10OptF, r.C10OptP
	case "cifar100":
		return r.C100F, r.C100P, r.C100OptF, r.C100OptP
	}
	return r.INF, r.INP, r.INOptF, r.INOptP
}

func loadNB201CostFile(t *testing.T, rel string, gz bool) map[string]*nb201CostRecord {
	t.Helper()
	p := sharedtest.Path(t, rel)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var dec *json.Decoder
	if gz {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		dec = json.NewDecoder(zr)
	} else {
		dec = json.NewDecoder(f)
	}
	recs := map[string]*nb201CostRecord{}
	if err := dec.Decode(&recs); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return recs
}

func checkNB201Record(t *testing.T, key string, r *nb201CostRecord) {
	t.Helper()
	a, err := ParseNB201(r.ArchStr)
	if err != nil {
		t.Fatalf("record %s: %v", key, err)
	}
	for _, ds := range NB201Datasets {
		wantF, wantP, optF, optP := r.dataset(ds)
		got, err := NB201Cost(a, ds)
		if err != nil {
			t.Fatal(err)
		}
		if got.TotalFlops != wantF || got.TotalParams != wantP {
			t.Fatalf("record %s %s %s: totals flops %d params %d, want %d %d", key, r.ArchStr, ds, got.TotalFlops, got.TotalParams, wantF, wantP)
		}
		if len(optF) != len(got.Cells) || len(optP) != len(got.Cells) {
			t.Fatalf("record %s %s: file has %d/%d cells, model %d", key, ds, len(optF), len(optP), len(got.Cells))
		}
		for _, c := range got.Cells {
			f, p := optF[c.Key], optP[c.Key]
			if len(f) != NB201NumEdges || len(p) != NB201NumEdges {
				t.Fatalf("record %s %s %s: file has %d flops / %d params, want 6 each", key, ds, c.Key, len(f), len(p))
			}
			for e := range NB201NumEdges {
				if f[e] != c.Flops[e] || p[e] != c.Params[e] {
					t.Fatalf("record %s %s %s edge %d: flops %d params %d, want %d %d", key, ds, c.Key, e, c.Flops[e], c.Params[e], f[e], p[e])
				}
			}
		}
	}
}

// TestNB201CostArch0 checks NAR's own example record (verbatim) and the
// skeleton constants derived from it.
func TestNB201CostArch0(t *testing.T) {
	recs := loadNB201CostFile(t, "nasbench201/nar_example_arch0.json", false)
	r, ok := recs["0"]
	if !ok || r.ArchStr != arch0 {
		t.Fatalf("nar_example_arch0.json: want record \"0\" with arch %s", arch0)
	}
	checkNB201Record(t, "0", r)
	// Skeleton params: algorithms.md F (73,306 checked there against the
	// network shapes; 79,156 and 80,456 from the shared data README).
	// Skeleton FLOPs: X_total_flops minus the sum of X_opt_flops of NAR's
	// record 0 (16,315,008 − 8,437,760; 16,320,768 − 8,437,760;
	// 4,086,272 − 2,109,440).
	want := map[string][2]int64{
		"cifar10-valid":  {7877248, 73306},
		"cifar100":       {7883008, 79156},
		"ImageNet16-120": {1976832, 80456},
	}
	for ds, w := range want {
		c, err := NB201Cost(NB201Arch{}, ds)
		if err != nil {
			t.Fatal(err)
		}
		if c.SkeletonFlops != w[0] || c.SkeletonParams != w[1] {
			t.Errorf("%s skeleton = %d flops %d params, want %d %d", ds, c.SkeletonFlops, c.SkeletonParams, w[0], w[1])
		}
		// The all-none cell costs exactly the skeleton.
		if c.TotalFlops != w[0] || c.TotalParams != w[1] {
			t.Errorf("%s all-none totals = %d %d, want the skeleton", ds, c.TotalFlops, c.TotalParams)
		}
	}
}

// TestNB201CostSharedFile walks all 15,625 records of the shared
// NAS-Bench-201 file and matches every per-edge value and both totals for
// the three datasets.
func TestNB201CostSharedFile(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the walk over all 15,625 records (decoding the 68 MB file takes seconds)")
	}
	recs := loadNB201CostFile(t, "nasbench201/nasbench201_with_edge_flops_and_params.json.gz", true)
	if len(recs) != NB201SpaceSize {
		t.Fatalf("%d records, want %d", len(recs), NB201SpaceSize)
	}
	seen := map[NB201Arch]bool{}
	for i := range NB201SpaceSize {
		key := strconv.Itoa(i)
		r, ok := recs[key]
		if !ok {
			t.Fatalf("record %q missing", key)
		}
		checkNB201Record(t, key, r)
		a, _ := ParseNB201(r.ArchStr)
		seen[a] = true
	}
	// The file's cells are the whole space.
	if len(seen) != NB201SpaceSize {
		t.Errorf("%d distinct cells in the file, want %d", len(seen), NB201SpaceSize)
	}
}

func TestResolveNB201Dataset(t *testing.T) {
	for i, s := range NB201DatasetShortNames {
		for _, in := range []string{s, NB201Datasets[i]} {
			if got, err := ResolveNB201Dataset(in); err != nil || got != NB201Datasets[i] {
				t.Errorf("ResolveNB201Dataset(%q) = %q, %v, want %q", in, got, err, NB201Datasets[i])
			}
		}
	}
	if _, err := ResolveNB201Dataset("imagenet"); !errors.Is(err, ErrUnknownDataset) {
		t.Errorf("ResolveNB201Dataset(imagenet) = %v, want ErrUnknownDataset", err)
	}
	if _, err := NB201Cost(NB201Arch{9}, "cifar10"); !errors.Is(err, ErrUnknownOp) {
		t.Errorf("NB201Cost(bad op) = %v, want ErrUnknownOp", err)
	}
}
