package bench

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/nasx/nasx/internal/sharedtest"
)

var sink Table

// plainNB201 gunzips the shared NB201 file into a temp folder once per test
// binary, so that plain and gzip loads can be compared.
var plainNB201 = sync.OnceValues(func() (string, error) {
	src, err := os.Open(filepath.Join(sharedtest.Dir(), nb201Shared))
	if err != nil {
		return "", err
	}
	defer src.Close()
	zr, err := gzip.NewReader(src)
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "nasx-bench-nb201-")
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "nasbench201_with_edge_flops_and_params.json")
	f, err := os.Create(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	_, err = io.Copy(f, zr)
	return p, err
})

// BenchmarkNB201Load loads the shared NB201 file: "first" decodes the JSON
// and writes the cache (a fresh cache folder each time), "cached" reads the
// cache. Both for the plain JSON and the .gz.
func BenchmarkNB201Load(b *testing.B) {
	gz := sharedtest.Path(b, nb201Shared)
	plain, err := plainNB201()
	if err != nil {
		b.Fatal(err)
	}
	for _, src := range []struct{ name, path string }{{"plain", plain}, {"gzip", gz}} {
		b.Run("first/"+src.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				dir := b.TempDir()
				t, err := Open(src.path, Options{CacheDir: dir})
				if err != nil {
					b.Fatal(err)
				}
				sink = t
			}
		})
		b.Run("cached/"+src.name, func(b *testing.B) {
			dir := b.TempDir()
			if _, err := Open(src.path, Options{CacheDir: dir}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t, err := Open(src.path, Options{CacheDir: dir, Logf: func(f string, a ...any) { b.Fatalf(f, a...) }})
				if err != nil {
					b.Fatal(err)
				}
				sink = t
			}
		})
	}
}

// synthNB101Path returns a full-size synthetic NB101 file: $NASX_BENCH_NB101
// when set (generate one with `nasx bench synth nasbench101 -o FILE`), else
// one generated (seed 1, 423,624 records, 741 MB, about 45 s) into b's temp
// folder, removed when the benchmark ends.
func synthNB101Path(b *testing.B) string {
	if p := os.Getenv("NASX_BENCH_NB101"); p != "" {
		return p
	}
	p := filepath.Join(b.TempDir(), "nb101_synth.json")
	b.Logf("generating %s (423,624 records; set NASX_BENCH_NB101 to reuse a file)", p)
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := SynthNB101(f, NB101Size, 1, nil); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkNB101SynthLoad loads the full-size synthetic NB101 file (see
// synthNB101Path): "first" decodes and writes the cache, "cached" reads it.
func BenchmarkNB101SynthLoad(b *testing.B) {
	if testing.Short() {
		b.Skip("full-size NB101 file: skipped with -short")
	}
	path := synthNB101Path(b)
	b.Run("first", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			t, err := Open(path, Options{CacheDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			sink = t
		}
	})
	b.Run("cached", func(b *testing.B) {
		dir := b.TempDir()
		if _, err := Open(path, Options{CacheDir: dir}); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			t, err := Open(path, Options{CacheDir: dir, Logf: func(f string, a ...any) { b.Fatalf(f, a...) }})
			if err != nil {
				b.Fatal(err)
			}
			sink = t
		}
	})
}

// BenchmarkBest ranks the shared NB201 file by CIFAR-100 test accuracy.
func BenchmarkBest(b *testing.B) {
	sharedtest.Path(b, nb201Shared)
	t, err := loadShared201()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r, err := Best(t, CIFAR100, Test, 10)
		if err != nil || len(r) != 10 {
			b.Fatal(err)
		}
	}
}
