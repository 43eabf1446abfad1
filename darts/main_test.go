package darts

import (
	"flag"
	"os"
	"testing"

	"github.com/nasx/nasx/internal/numtest"
	"github.com/nasx/nasx/internal/op"
)

// TestMain runs the package's tests with every op output that is meant to be overwritten whole poisoned with
// NaN (op.PoisonOutputs), so that a kernel path that leaves part of its output unwritten fails them. Benchmarks
// run without it.
func TestMain(m *testing.M) {
	flag.Parse()
	op.PoisonOutputs(!numtest.Benchmarking())
	os.Exit(m.Run())
}
