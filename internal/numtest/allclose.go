package numtest

import (
	"fmt"
	"math"
	"testing"
)

// Float is the element type of the slices AllClose compares.
type Float interface {
	~float32 | ~float64
}

// Close reports whether got and want agree element-wise within |got-want| <= atol + rtol*|want| (numpy's
// allclose rule), and otherwise describes the first mismatch and the worst one. NaN never matches, not even
// NaN; equal infinities match.
func Close[T Float](got, want []T, atol, rtol float64) (ok bool, msg string) {
	if len(got) != len(want) {
		return false, fmt.Sprintf("length mismatch: got %d elements, want %d", len(got), len(want))
	}
	first, worst, bad := -1, -1, 0
	var worstErr float64
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if g == w && !math.IsNaN(g) {
			continue
		}
		d := math.Abs(g - w)
		if d <= atol+rtol*math.Abs(w) {
			continue
		}
		bad++
		if first < 0 {
			first = i
		}
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		if worst < 0 || d > worstErr {
			worst, worstErr = i, d
		}
	}
	if bad == 0 {
		return true, ""
	}
	return false, fmt.Sprintf("%d of %d elements differ (atol %g, rtol %g): first at [%d]: got %.8g, want %.8g; worst at [%d]: got %.8g, want %.8g (|Δ| %.3g)",
		bad, len(got), atol, rtol, first, float64(got[first]), float64(want[first]),
		worst, float64(got[worst]), float64(want[worst]), worstErr)
}

// AllClose fails t unless got and want agree element-wise within |got-want| <= atol + rtol*|want|. The
// failure names the first and the worst mismatching flat index.
func AllClose[T Float](t testing.TB, got, want []T, atol, rtol float64) {
	t.Helper()
	if ok, msg := Close(got, want, atol, rtol); !ok {
		t.Error(msg)
	}
}
