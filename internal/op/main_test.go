package op

import (
	"flag"
	"os"
	"testing"

	"github.com/nasx/nasx/internal/numtest"
)

// TestMain runs every op test on machines that free values after their last use and reuse their buffers (see
// Buffers), the configuration training uses, with every output that newOut hands out poisoned with NaN (see
// PoisonOutputs), so that a kernel that does not overwrite its whole output fails its golden and gradient
// tests. Benchmarks run without the poison.
func TestMain(m *testing.M) {
	flag.Parse()
	numtest.Recycler = Buffers
	PoisonOutputs(!numtest.Benchmarking())
	os.Exit(m.Run())
}
