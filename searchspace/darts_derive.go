package searchspace

import (
	"fmt"
	"math"
	"sort"
)

// Derive turns the architecture weights of a DARTS search into a genotype
// with the rule of quark0/darts cnn/model_search.py Network.genotype():
//
//  1. each row of α (one per candidate edge, DARTSEdges order; one column
//     per op, DARTSPrimitives order) goes through a softmax;
//  2. for each intermediate node, the 2 incoming edges with the largest
//     max-over-non-"none" weight are kept, strongest first;
//  3. each kept edge gets its argmax op among the non-"none" ops.
//
// Both concat lists are [2, 3, 4, 5]. "none" is never picked, whatever its
// weight. Ties are broken as the reference does: edges are ranked with
// Python's stable sorted(key=-max), so among equal edges the lower input
// state wins; ops are scanned in order keeping the first maximum, so among
// equal ops the lower DARTSPrimitives index wins. The softmax is computed in
// float64 (the reference uses the float32 of its α tensors).
//
// alphaNormal and alphaReduce must be DARTSNumEdges×len(DARTSPrimitives)
// with finite values; otherwise the error names the table, the row and the
// width. Derive does not modify its arguments.
func Derive(alphaNormal, alphaReduce [][]float64) (Genotype, error) {
	normal, err := deriveCell("alpha_normal", alphaNormal)
	if err != nil {
		return Genotype{}, err
	}
	reduce, err := deriveCell("alpha_reduce", alphaReduce)
	if err != nil {
		return Genotype{}, err
	}
	concat := func() []int {
		c := make([]int, DARTSNodes)
		for i := range c {
			c[i] = 2 + i
		}
		return c
	}
	return Genotype{Normal: normal, NormalConcat: concat(), Reduce: reduce, ReduceConcat: concat()}, nil
}

// checkAlpha checks the shape and values of an α table.
func checkAlpha(table string, alpha [][]float64) error {
	edges := DARTSEdges()
	if len(alpha) != DARTSNumEdges {
		return fmt.Errorf("searchspace: %s: got %d rows, want %d (one per DARTS edge, order of DARTSEdges)", table, len(alpha), DARTSNumEdges)
	}
	for r, row := range alpha {
		if len(row) != len(DARTSPrimitives) {
			return fmt.Errorf("searchspace: %s: row %d (edge %d->%d): got %d columns, want %d (one per op of DARTSPrimitives)",
				table, r, edges[r][0], edges[r][1], len(row), len(DARTSPrimitives))
		}
		for c, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("searchspace: %s[%d][%d] (edge %d->%d, op %s): got %v, want a finite number",
					table, r, c, edges[r][0], edges[r][1], DARTSPrimitives[c], v)
			}
		}
	}
	return nil
}

// dartsSoftmax returns exp(x - max x) / Σ exp(x - max x), the max subtracted for
// stability as torch.nn.functional.softmax does.
func dartsSoftmax(x []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	out := make([]float64, len(x))
	var s float64
	for i, v := range x {
		out[i] = math.Exp(v - m)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

func deriveCell(table string, alpha [][]float64) ([]GenotypeEdge, error) {
	if err := checkAlpha(table, alpha); err != nil {
		return nil, err
	}
	const none = 0 // DARTSPrimitives[0] == "none"
	var gene []GenotypeEdge
	start := 0
	for i := 0; i < DARTSNodes; i++ {
		n := 2 + i
		w := make([][]float64, n)
		best := make([]int, n)         // argmax non-none op per incoming edge
		strength := make([]float64, n) // its weight
		for j := 0; j < n; j++ {
			w[j] = dartsSoftmax(alpha[start+j])
			best[j] = -1
			for k := range w[j] {
				if k == none {
					continue
				}
				if best[j] < 0 || w[j][k] > w[j][best[j]] {
					best[j] = k
				}
			}
			strength[j] = w[j][best[j]]
		}
		order := make([]int, n)
		for j := range order {
			order[j] = j
		}
		sort.SliceStable(order, func(a, b int) bool { return strength[order[a]] > strength[order[b]] })
		for _, j := range order[:DARTSEdgesPerNode] {
			gene = append(gene, GenotypeEdge{Op: DARTSPrimitives[best[j]], Input: j})
		}
		start += n
	}
	return gene, nil
}
