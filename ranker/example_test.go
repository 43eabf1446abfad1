package ranker_test

import (
	"fmt"

	"github.com/nasx/nasx/ranker"
)

// Kendall's τ-b counts ties properly; NAR's own variant (sign(0) = +1)
// counts a pair tied in the prediction as concordant.
func ExampleKendallTauB() {
	pred := []float64{0.1, 0.4, 0.4, 0.9}
	acc := []float64{70, 80, 90, 93}
	tb, _ := ranker.KendallTauB(pred, acc)
	tn, _ := ranker.KendallTauNAR(pred, acc)
	fmt.Printf("tau-b %.4f, NAR tau %.4f\n", tb, tn)
	// Output:
	// tau-b 0.9129, NAR tau 0.6667
}
