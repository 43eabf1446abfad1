// Command gentfrecord writes the NAS-Bench-101 TFRecord test fixture of
// data/bench in the real format of nasbench_only108.tfrecord, and the NAR
// records the loader must turn it into.
//
// Regenerate (from the module root):
//
//	go run ./data/bench/internal/gentfrecord -out data/bench/testdata
//
// It writes nb101_tiny.tfrecord and nb101_tiny.expected.json. The cells are
// drawn with searchspace.SampleNB101 (seed 101) and hashed with
// searchspace's NAS-Bench-101 hash; the accuracies are made up. Each cell has
// 3 runs at 108 epochs, interleaved across cells, plus one 36-epoch row
// (as in nasbench_full.tfrecord) that the loader must skip.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/nasx/nasx/data/bench"
	"github.com/nasx/nasx/searchspace"
)

const cells = 6

// expected mirrors NAR's record schema (algorithms.md B.6).
type expected struct {
	Adjacency    [][]int            `json:"module_adjacency"`
	Ops          []string           `json:"module_operations"`
	Params       int64              `json:"trainable_parameters"`
	Time         float64            `json:"avg_training_time"`
	Train        float64            `json:"avg_train_accuracy"`
	Val          float64            `json:"avg_validation_accuracy"`
	Test         float64            `json:"avg_test_accuracy"`
	Hash         string             `json:"unique_hash"`
	VertexFlops  map[string][]int64 `json:"vertex_flops"`
	VertexParams map[string][]int64 `json:"vertex_params"`
	Flops        int64              `json:"flops"`
}

func main() {
	out := flag.String("out", "data/bench/testdata", "output folder")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gentfrecord:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	rng := rand.New(rand.NewPCG(101, 0))
	var specs []searchspace.NB101Spec
	var hashes []string
	seen := map[string]bool{}
	for len(specs) < cells {
		s := searchspace.SampleNB101(rng, 1)[0]
		h, err := s.Hash()
		if err != nil {
			return err
		}
		if seen[h] {
			continue
		}
		seen[h] = true
		specs = append(specs, s)
		hashes = append(hashes, h)
	}
	var file []byte
	want := make([]expected, cells)
	// Round-robin over cells: run 0 of every cell, then run 1, ...; a
	// 36-epoch row comes after the first round.
	for run := 0; run < 3; run++ {
		for c, s := range specs {
			costs, err := searchspace.NB101Cost(s)
			if err != nil {
				return err
			}
			final := bench.EvalData{
				Epoch:        108,
				TrainingTime: 1000 + 500*rng.Float64(),
				TrainAcc:     0.95 + 0.05*rng.Float64(),
				ValAcc:       0.85 + 0.1*rng.Float64(),
				TestAcc:      0.85 + 0.1*rng.Float64(),
			}
			m := bench.ModelMetrics{
				Evals: []bench.EvalData{
					{Epoch: 0, TrainAcc: 0.1, ValAcc: 0.1, TestAcc: 0.1},
					{Epoch: 54, TrainingTime: final.TrainingTime / 2, TrainAcc: 0.8, ValAcc: 0.75, TestAcc: 0.74},
					final,
				},
				TrainableParameters: costs.TrainableParameters,
				TotalTime:           final.TrainingTime + 60,
			}
			row, err := bench.AppendRow(nil, bench.Row{Hash: hashes[c], Epochs: 108, Spec: s, Metrics: m})
			if err != nil {
				return err
			}
			file = bench.AppendFrame(file, row)
			w := &want[c]
			if run == 0 {
				*w = expected{Adjacency: s.Matrix, Ops: s.Ops, Params: costs.TrainableParameters, Hash: hashes[c],
					VertexFlops: costs.VertexFlops(), VertexParams: costs.VertexParams(), Flops: costs.Flops}
			}
			w.Time += final.TrainingTime / 3
			w.Train += final.TrainAcc / 3
			w.Val += final.ValAcc / 3
			w.Test += final.TestAcc / 3
		}
		if run == 0 {
			short := bench.ModelMetrics{Evals: []bench.EvalData{{}, {Epoch: 18}, {Epoch: 36, ValAcc: 0.99, TestAcc: 0.99}}}
			row, err := bench.AppendRow(nil, bench.Row{Hash: hashes[0], Epochs: 36, Spec: specs[0], Metrics: short})
			if err != nil {
				return err
			}
			file = bench.AppendFrame(file, row)
		}
	}
	if err := os.WriteFile(filepath.Join(out, "nb101_tiny.tfrecord"), file, 0o644); err != nil {
		return err
	}
	b, err := json.MarshalIndent(want, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "nb101_tiny.expected.json"), append(b, '\n'), 0o644)
}
