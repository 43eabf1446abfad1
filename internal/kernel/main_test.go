package kernel

import (
	"flag"
	"os"
	"testing"

	"github.com/nasx/nasx/internal/numtest"
)

// TestMain runs the package's tests with the scratch space of the kernels poisoned with NaN (PoisonScratch), so
// that a kernel that reads scratch space before writing it fails them. Benchmarks run without it.
func TestMain(m *testing.M) {
	flag.Parse()
	PoisonScratch(!numtest.Benchmarking())
	os.Exit(m.Run())
}
