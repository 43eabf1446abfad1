package bench

import (
	"cmp"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
)

// Kind names a benchmark.
type Kind string

// The benchmarks nasx reads.
const (
	KindNB201 Kind = "nasbench201"
	KindNB101 Kind = "nasbench101"
)

// Dataset names a dataset of a benchmark. NAS-Bench-201 has all three;
// NAS-Bench-101 has only CIFAR10.
type Dataset int

// The datasets, in the order of NAR's file.
const (
	CIFAR10 Dataset = iota
	CIFAR100
	ImageNet16
)

// DatasetNames are the command-line names of the datasets, indexed by Dataset.
var DatasetNames = []string{"cifar10", "cifar100", "imagenet16"}

// String returns the command-line name of d.
func (d Dataset) String() string {
	if d >= 0 && int(d) < len(DatasetNames) {
		return DatasetNames[d]
	}
	return fmt.Sprintf("dataset(%d)", int(d))
}

// ParseDataset parses a command-line dataset name.
func ParseDataset(s string) (Dataset, error) {
	for i, n := range DatasetNames {
		if s == n {
			return Dataset(i), nil
		}
	}
	return 0, fmt.Errorf("bench: unknown dataset %q (valid: %s)", s, strings.Join(DatasetNames, ", "))
}

// Metric selects the validation or the test accuracy.
type Metric int

// The metrics.
const (
	Val Metric = iota
	Test
)

// String returns "val" or "test".
func (m Metric) String() string {
	if m == Test {
		return "test"
	}
	return "val"
}

// ParseMetric parses "val" or "test".
func ParseMetric(s string) (Metric, error) {
	switch s {
	case "val":
		return Val, nil
	case "test":
		return Test, nil
	}
	return 0, fmt.Errorf("bench: unknown metric %q (valid: val, test)", s)
}

// Record is the summary of one architecture on one dataset, as
// `nasx bench query --json` prints it.
type Record struct {
	// Index is the benchmark index: the NB201 key, or the position in the
	// NB101 file.
	Index int `json:"index"`
	// Arch is the NB201 arch string, or the NB101 module hash.
	Arch string `json:"arch"`
	// ValAcc and TestAcc are percentages: the 200-epoch values for NB201, the
	// mean of the 3 runs at 108 epochs times 100 for NB101.
	ValAcc  float64 `json:"val_acc"`
	TestAcc float64 `json:"test_acc"`
	// Flops and Params are the network totals (NB201: X_total_flops and
	// X_total_params of the dataset; NB101: flops and trainable_parameters).
	Flops  int64 `json:"flops"`
	Params int64 `json:"params"`
}

// Table is the query interface shared by both benchmarks.
type Table interface {
	// Kind returns the benchmark.
	Kind() Kind
	// Len returns the number of architectures; indices are 0..Len()-1.
	Len() int
	// Datasets lists the datasets the table has results for.
	Datasets() []Dataset
	// Acc returns the accuracy (percent) of architecture i. It panics if i
	// is out of range or the dataset is absent (check with Datasets).
	Acc(i int, ds Dataset, m Metric) float64
	// Record returns the summary of architecture i on ds.
	Record(i int, ds Dataset) (Record, error)
	// Lookup finds an architecture by its decimal index, NB201 arch string
	// or NB101 hash.
	Lookup(key string) (int, error)
}

// ErrNotFound is returned (wrapped) by lookups of keys that are not in a
// table.
var ErrNotFound = errors.New("not in the benchmark")

// hasDataset reports whether t has results for ds.
func hasDataset(t Table, ds Dataset) bool {
	return slices.Contains(t.Datasets(), ds)
}

// checkQuery validates an index and a dataset against t.
func checkQuery(t Table, i int, ds Dataset) error {
	if i < 0 || i >= t.Len() {
		return fmt.Errorf("bench: %s: index %d out of range [0, %d): %w", t.Kind(), i, t.Len(), ErrNotFound)
	}
	if !hasDataset(t, ds) {
		return fmt.Errorf("bench: %s has no results for dataset %s (valid: %v)", t.Kind(), ds, t.Datasets())
	}
	return nil
}

// Ranked is a record in a best-first list.
type Ranked struct {
	Record
	// Rank is the standard competition rank (1, 1, 3, ...): records with
	// equal accuracy share a rank.
	Rank int `json:"rank"`
	// Ties is the number of records in the whole table with exactly this
	// accuracy, this one included (1 when there is no tie).
	Ties int `json:"ties"`
}

// Best returns the k best architectures of t on ds by metric m, best first.
// Equal accuracies are ordered by index and share a rank; Ties says how
// many records share the value, so a cut at k that splits a tie is visible.
// k <= 0 means 1.
func Best(t Table, ds Dataset, m Metric, k int) ([]Ranked, error) {
	if !hasDataset(t, ds) {
		return nil, fmt.Errorf("bench: %s has no results for dataset %s (valid: %v)", t.Kind(), ds, t.Datasets())
	}
	n := t.Len()
	if n == 0 {
		return nil, fmt.Errorf("bench: %s table is empty", t.Kind())
	}
	if k <= 0 {
		k = 1
	}
	k = min(k, n)
	order := make([]int32, n)
	vals := make([]float64, n)
	for i := range order {
		order[i] = int32(i)
		vals[i] = t.Acc(i, ds, m)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := cmp.Compare(vals[b], vals[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	out := make([]Ranked, 0, k)
	for pos := 0; pos < k; {
		v := vals[order[pos]]
		end := pos + 1
		for end < n && vals[order[end]] == v {
			end++
		}
		for j := pos; j < end && j < k; j++ {
			r, err := t.Record(int(order[j]), ds)
			if err != nil {
				return nil, err
			}
			out = append(out, Ranked{Record: r, Rank: pos + 1, Ties: end - pos})
		}
		pos = end
	}
	return out, nil
}

// Records iterates over the records of t on ds in index order. It yields
// nothing if t has no results for ds.
func Records(t Table, ds Dataset) iter.Seq[Record] {
	return func(yield func(Record) bool) {
		if !hasDataset(t, ds) {
			return
		}
		for i := 0; i < t.Len(); i++ {
			r, err := t.Record(i, ds)
			if err != nil || !yield(r) {
				return
			}
		}
	}
}
