// Package bench holds the engine's block benchmarks (testing.B only; the package has no API): one DARTS mixed
// edge, one DARTS search cell and one NAR transformer encoder layer, each a full training step (forward and
// backward) through gorgonia's TapeMachine on the custom ops of internal/op. bench_torch.py, beside them, runs
// the same three blocks in PyTorch CPU at 1 and 2 threads and prints the ratios against the Go figures.
//
// Run the Go side with
//
//	go test ./internal/engine/bench -run XXX -bench . -cpu 1,2 -count 5
//
// and the PyTorch side, with the Go output on stdin, with
//
//	go test ./internal/engine/bench -run XXX -bench . -cpu 1,2 -count 5 | /usr/bin/python3 internal/engine/bench/bench_torch.py
package bench
