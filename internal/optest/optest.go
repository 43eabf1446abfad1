// Package optest holds the TestMain of the packages whose tests run nasx ops (nn, engine/bench, darts, mim,
// ranker): their tests run with the ops' outputs and the kernels' scratch space poisoned with NaN
// (op.PoisonOutputs), so that a kernel path that leaves part of its output unwritten, or reads scratch space
// before writing it, fails them. The op package's own TestMain does the same for its tests (it cannot import
// this package).
package optest

import (
	"flag"
	"os"
	"testing"

	"github.com/nasx/nasx/internal/numtest"
	"github.com/nasx/nasx/internal/op"
)

// Main runs m's tests with op.PoisonOutputs on, and its benchmarks (-test.bench) without it, so that they time
// what training runs, then exits with m's status. Call it as a package's TestMain.
func Main(m *testing.M) {
	flag.Parse()
	op.PoisonOutputs(!numtest.Benchmarking())
	os.Exit(m.Run())
}
