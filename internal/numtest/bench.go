package numtest

import (
	"flag"
	"testing"
	"time"
)

// ReportCPU adds the metric "cpu-ms/op", the process CPU time (all threads, GC included) per iteration since
// start (a CPUTime value taken just before the loop). On a machine shared with other jobs, wall time per op
// grows with the load, but CPU time much less, so with GOMAXPROCS=1 it is the fairer figure to compare with
// PyTorch's time.process_time at one thread.
func ReportCPU(b *testing.B, start time.Duration) {
	if b.N > 0 {
		b.ReportMetric(float64(CPUTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	}
}

// Benchmarking reports whether the test binary was asked to run benchmarks (-test.bench set). A TestMain
// that turns on a checking mode that costs time, such as op.PoisonOutputs, leaves it off then, so that the
// benchmarks time what training runs. Call it after flag.Parse.
func Benchmarking() bool {
	f := flag.Lookup("test.bench")
	return f != nil && f.Value.String() != ""
}
