package bench

import (
	"bufio"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/nasx/nasx/searchspace"
)

// NB101Size is the number of unique cells of NAS-Bench-101 and of records
// in NAR's nasbench101 file.
const NB101Size = 423624

// SynthNB101 writes a synthetic NAS-Bench-101 file in NAR's schema (a JSON
// list, one record per line) with n records, deterministic for a seed, and
// returns the number of bytes written. It exists to benchmark and test the
// loaders at full size without the 717 MB release.
//
// Each record is a distinct valid cell drawn by sampleCell (distinct as a
// labelled, pruned spec), with NAS-Bench-101's distribution of cell sizes. Its trainable_parameters, flops,
// vertex_flops and vertex_params come from searchspace.NB101Cost, the model
// that reproduces NAR's file. The accuracies and training time are made up:
// a smooth function of the parameter count plus seeded noise, in the ranges
// of the real benchmark (validation ≈ 0.80-0.95).
//
// unique_hash is NOT the NAS-Bench-101 hash: isomorphic cells are distinct
// records here, so the field is the md5 of the labelled spec, which keeps
// hashes unique. Look synthetic records up by index or by that hash, not by
// spec.
//
// progress, if not nil, is called after each record with the count so far.
func SynthNB101(w io.Writer, n int, seed uint64, progress func(done int)) (int64, error) {
	if n < 0 {
		return 0, fmt.Errorf("bench: synth: n = %d, want >= 0", n)
	}
	rng := rand.New(rand.NewPCG(seed, 0x6e617378)) // "nasx"
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 1<<20)
	seen := make(map[uint64]bool, n)
	bw.WriteString("[")
	var b []byte
	for done := 0; done < n; {
		spec, ok := sampleCell(rng)
		if !ok {
			continue
		}
		key := labelKey(spec)
		if seen[key] {
			continue
		}
		seen[key] = true
		costs, err := searchspace.NB101Cost(spec)
		if err != nil {
			return cw.n, fmt.Errorf("bench: synth: %w", err)
		}
		b = appendSynthRecord(b[:0], spec, costs, key, rng)
		if done > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n")
		bw.Write(b)
		done++
		if progress != nil {
			progress(done)
		}
	}
	bw.WriteString("\n]\n")
	if err := bw.Flush(); err != nil {
		return cw.n, fmt.Errorf("bench: synth: %w", err)
	}
	return cw.n, nil
}

// synthVertices is the distribution of cell sizes of NAS-Bench-101's
// 423,624 cells (Ying et al. 2019, Table 1 / the released file: 359,082 with
// 7 vertices, 62,010 with 6, 2,441 with 5, 85 with 4, 5 with 3, 1 with 2),
// as cumulative counts.
var synthVertices = []struct{ n, cum int }{{7, 359082}, {6, 421092}, {5, 423533}, {4, 423618}, {3, 423623}, {2, 423624}}

// sampleCell draws a cell that is already pruned and valid: its size from
// synthVertices, then n-1..9 edges placed uniformly above the diagonal, and
// uniform interior ops. It reports false for a draw that pruning would
// shrink (a vertex off every input→output path) or that is invalid.
//
// searchspace.SampleNB101 is not used: its draws (every edge with
// probability 1/2, then pruning) are dominated by a few thousand small
// pruned cells, so collecting 423,624 distinct ones takes many millions of
// draws (measured: 1,000,000 draws gave 83,598 distinct cells).
func sampleCell(rng *rand.Rand) (searchspace.NB101Spec, bool) {
	r := rng.IntN(NB101Size)
	n := 2
	for _, v := range synthVertices {
		if r < v.cum {
			n = v.n
			break
		}
	}
	slots := n * (n - 1) / 2
	edges := n - 1 + rng.IntN(min(searchspace.NB101MaxEdges, slots)-(n-1)+1)
	var pos [21]int // 7*6/2 slots at most
	for i := range slots {
		pos[i] = i
	}
	// rows[r] bit c is the edge r→c; the edges are a partial Fisher-Yates
	// draw of the slots.
	var rows [searchspace.NB101MaxVertices]uint8
	for e := 0; e < edges; e++ {
		j := e + rng.IntN(slots-e)
		pos[e], pos[j] = pos[j], pos[e]
		p := pos[e]
		for row := 0; row < n; row++ { // slot p → (row, col) above the diagonal
			w := n - 1 - row
			if p < w {
				rows[row] |= 1 << (row + 1 + p)
				break
			}
			p -= w
		}
	}
	// Cheap pre-check before searchspace's Prune: every vertex must be
	// reachable from the input and reach the output (edges go forward).
	reach, back := uint8(1), uint8(1)<<(n-1)
	for v := 0; v < n; v++ {
		if reach&(1<<v) != 0 {
			reach |= rows[v]
		}
	}
	for v := n - 1; v >= 0; v-- {
		if rows[v]&back != 0 {
			back |= 1 << v
		}
	}
	if all := uint8(1)<<n - 1; reach&back != all {
		return searchspace.NB101Spec{}, false
	}
	s := searchspace.NB101Spec{Matrix: make([][]int, n), Ops: make([]string, n)}
	for r := range s.Matrix {
		s.Matrix[r] = make([]int, n)
		for c := 0; c < n; c++ {
			s.Matrix[r][c] = int(rows[r] >> c & 1)
		}
	}
	s.Ops[0], s.Ops[n-1] = searchspace.NB101Input, searchspace.NB101Output
	for v := 1; v < n-1; v++ {
		s.Ops[v] = searchspace.NB101Ops[rng.IntN(len(searchspace.NB101Ops))]
	}
	p, err := s.Prune()
	if err != nil || len(p.Ops) != n || p.Validate() != nil {
		return searchspace.NB101Spec{}, false
	}
	return p, true
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// labelKey packs a pruned spec into 64 bits: vertices (3 bits), the upper
// triangle (21 bits), interior op codes (5 × 2 bits).
func labelKey(s searchspace.NB101Spec) uint64 {
	n := len(s.Ops)
	k := uint64(n)
	for r := 0; r < n; r++ {
		for c := r + 1; c < n; c++ {
			k = k<<1 | uint64(s.Matrix[r][c])
		}
	}
	for v := 1; v < n-1; v++ {
		k = k<<2 | uint64(opCode([]byte(s.Ops[v])))
	}
	return k
}

func appendSynthRecord(b []byte, s searchspace.NB101Spec, c searchspace.NB101Costs, key uint64, rng *rand.Rand) []byte {
	b = append(b, `{"module_adjacency": [`...)
	for r, row := range s.Matrix {
		if r > 0 {
			b = append(b, ", "...)
		}
		b = appendInts(b, row)
	}
	b = append(b, `], "module_operations": [`...)
	for v, op := range s.Ops {
		if v > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendQuote(b, op)
	}
	// Made-up but plausible results: bigger cells do better, with noise.
	p := float64(c.TrainableParameters)
	val := 0.78 + 0.15/(1+math.Exp(-(math.Log(p)-14.5))) + 0.01*rng.NormFloat64()
	val = min(max(val, 0.1), 0.99)
	test := min(max(val-0.006+0.003*rng.NormFloat64(), 0.1), 0.99)
	train := min(1, val+0.07)
	secs := 400 + p/1e4 + 20*rng.Float64()
	sum := md5.Sum([]byte(strconv.FormatUint(key, 16)))
	b = append(b, `], "trainable_parameters": `...)
	b = strconv.AppendInt(b, c.TrainableParameters, 10)
	b = append(b, `, "avg_training_time": `...)
	b = strconv.AppendFloat(b, secs, 'g', -1, 64)
	b = append(b, `, "avg_train_accuracy": `...)
	b = strconv.AppendFloat(b, train, 'g', -1, 64)
	b = append(b, `, "avg_validation_accuracy": `...)
	b = strconv.AppendFloat(b, val, 'g', -1, 64)
	b = append(b, `, "avg_test_accuracy": `...)
	b = strconv.AppendFloat(b, test, 'g', -1, 64)
	b = append(b, `, "unique_hash": "`...)
	b = hex.AppendEncode(b, sum[:])
	b = append(b, '"')
	for w, name := range []string{"vertex_flops", "vertex_params"} {
		b = append(b, `, "`...)
		b = append(b, name...)
		b = append(b, `": {`...)
		for ci, cell := range c.Cells {
			if ci > 0 {
				b = append(b, ", "...)
			}
			b = strconv.AppendQuote(b, cell.Key)
			b = append(b, ": "...)
			if w == 0 {
				b = appendInts64(b, cell.VertexFlops)
			} else {
				b = appendInts64(b, cell.VertexParams)
			}
		}
		b = append(b, '}')
	}
	b = append(b, ", "...)
	b = append(b, `"flops": `...)
	b = strconv.AppendInt(b, c.Flops, 10)
	return append(b, '}')
}

func appendInts(b []byte, v []int) []byte {
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendInt(b, int64(x), 10)
	}
	return append(b, ']')
}

func appendInts64(b []byte, v []int64) []byte {
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendInt(b, x, 10)
	}
	return append(b, ']')
}
