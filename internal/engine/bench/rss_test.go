package bench

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/nasx/nasx/internal/op"
)

// rssMB returns the resident set size of this process in MiB from /proc/self/status (Linux), or -1 where
// that file does not exist.
func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		f := bytes.Fields(s.Bytes())
		if len(f) >= 2 && string(f[0]) == "VmRSS:" {
			kb, err := strconv.ParseFloat(string(f[1]), 64)
			if err != nil {
				return -1
			}
			return kb / 1024
		}
	}
	return -1
}

// BenchmarkMixedEdgeRSS runs the mixed-edge training step b.N times on one machine and reports, to show that
// memory does not grow with the number of steps: the peak resident set size over the first and the second
// half of the steps (sampled every 10 steps: rss-peak1-MB, rss-peak2-MB, and rss-growth-MB, their
// difference), and the live Go heap after a GC at the half-way step and at the end (heap-growth-MB). Run it
// with -benchtime 1000x. A leak grows both with the number of steps; the RSS of a healthy run moves by a few
// MiB between GC cycles, as the heap reaches its GC goal and the scavenger returns pages.
func BenchmarkMixedEdgeRSS(b *testing.B) {
	if rssMB() < 0 {
		b.Skip("no /proc/self/status: cannot read the RSS here")
	}
	bl := newMixedEdge()
	m := G.NewTapeMachine(bl.g, G.BindDualValues(bl.params...), G.FreeIntermediates(op.Buffers))
	defer m.Close()
	half := max(b.N/2, 1)
	var peak [2]float64
	var heapHalf float64
	b.ResetTimer()
	for i := 1; i <= b.N; i++ { // not b.Loop: the halves need b.N up front
		m.Reset()
		if err := m.RunAll(); err != nil {
			b.Fatal(err)
		}
		if i%10 == 0 {
			h := min(2*(i-1)/b.N, 1)
			peak[h] = max(peak[h], rssMB())
		}
		if i == half {
			heapHalf = liveHeapMB()
		}
	}
	heapEnd := liveHeapMB()
	b.ReportMetric(peak[0], "rss-peak1-MB")
	b.ReportMetric(peak[1], "rss-peak2-MB")
	b.ReportMetric(peak[1]-peak[0], "rss-growth-MB")
	b.ReportMetric(heapEnd-heapHalf, "heap-growth-MB")
}

// liveHeapMB runs a GC and returns the bytes of live Go heap objects in MiB.
func liveHeapMB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}
