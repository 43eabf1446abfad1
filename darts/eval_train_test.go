package darts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"weak"

	G "gorgonia.org/gorgonia"

	"github.com/nasx/nasx/configs"
	"github.com/nasx/nasx/data"
	"github.com/nasx/nasx/internal/nn"
)

// tinyEvalConfig is a DARTS_V2 network small enough for unit tests: 3 cells, C=4, 16×16 synthetic images,
// with drop-path (0.1 in the second epoch) and the schedule, clipping and momentum of the CIFAR recipe.
func tinyEvalConfig() configs.Eval {
	c := configs.DefaultEvalCIFAR()
	c.Dataset = "synthetic"
	c.Layers, c.InitChannels, c.Epochs, c.BatchSize = 3, 4, 2, 8
	c.Auxiliary = false
	c.Cutout = 4
	c.Seed = 3
	c.Workers = 2
	return c
}

func tinyData(t *testing.T) *data.Dataset {
	t.Helper()
	ds, err := data.Synthetic(data.SyntheticConfig{Train: 32, Test: 12, Classes: 4, Size: 16, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func trainTiny(t *testing.T, dir string, cfg configs.Eval, resume bool, onEpoch func(EpochMetrics)) (*EvalResult, error) {
	t.Helper()
	return Train(context.Background(), TrainSpec{Config: cfg, Arch: EvalArch{Genotype: mustGenotype(t, "DARTS_V2")},
		Data: tinyData(t), OutDir: dir, Resume: resume, OnEpoch: onEpoch})
}

// TestTrainResumeBitExact interrupts a run after its first epoch, resumes it, and checks that the final
// weights, momentum buffers and metrics equal those of the uninterrupted run bit for bit.
func TestTrainResumeBitExact(t *testing.T) {
	cfg := tinyEvalConfig()
	full := t.TempDir()
	want, err := trainTiny(t, full, cfg, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Metrics) != 2 || want.Metrics[1].DropPath != 0.1 {
		t.Fatalf("metrics %+v, want 2 epochs with drop-path 0.1 in the second", want.Metrics)
	}

	part := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	_, err = Train(ctx, TrainSpec{Config: cfg, Arch: EvalArch{Genotype: mustGenotype(t, "DARTS_V2")}, Data: tinyData(t),
		OutDir: part, OnEpoch: func(EpochMetrics) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err = %v, want context.Canceled", err)
	}
	cfg.Workers = 1 // the worker count must not change the result
	got, err := trainTiny(t, part, cfg, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{WeightsFile, CheckpointFile} {
		a, _ := os.ReadFile(filepath.Join(full, f))
		b, _ := os.ReadFile(filepath.Join(part, f))
		if f == CheckpointFile { // the metadata holds wall times and the worker count; compare tensors only
			a, b = a[headerLen(a):], b[headerLen(b):]
		}
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between the uninterrupted and the resumed run", f)
		}
	}
	for i := range want.Metrics {
		w, g := want.Metrics[i], got.Metrics[i]
		w.Seconds, g.Seconds = 0, 0
		if w != g {
			t.Errorf("epoch %d metrics: resumed %+v, uninterrupted %+v", i+1, g, w)
		}
	}
}

// headerLen returns the length of a safetensors header (8-byte size + JSON).
func headerLen(b []byte) int {
	if len(b) < 8 {
		return len(b)
	}
	n := int(b[0]) | int(b[1])<<8 | int(b[2])<<16 | int(b[3])<<24
	return min(8+n, len(b))
}

func TestTrainOutputs(t *testing.T) {
	cfg := tinyEvalConfig()
	cfg.Epochs = 1
	dir := t.TempDir()
	res, err := trainTiny(t, dir, cfg, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Params <= 0 || res.MultAdds <= 0 || res.Top1 < 0 || res.Top1 > 100 || res.Top5 < res.Top1 {
		t.Errorf("result %+v", res)
	}
	// The size is that of the network for one image (mult-adds do not depend on the batch).
	want, err := DescribeEval(cfg, EvalArch{Genotype: mustGenotype(t, "DARTS_V2")}, 4, 3, 16, 16)
	if err != nil {
		t.Fatal(err)
	}
	if res.EvalSize != want {
		t.Errorf("size %+v, want %+v (DescribeEval)", res.EvalSize, want)
	}
	// 4 classes: every label is in the top 5.
	if res.Top5 != 100 {
		t.Errorf("top-5 with 4 classes = %v, want 100", res.Top5)
	}
	b, err := os.ReadFile(filepath.Join(dir, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	var m EpochMetrics
	if err := json.Unmarshal(bytes.TrimSpace(b), &m); err != nil || m.Epoch != 1 || m.LR != cfg.LR {
		t.Errorf("metrics.jsonl = %s (%v), want epoch 1 at lr %v", b, err, cfg.LR)
	}
	// Resuming a finished run writes the same result without training.
	again, err := trainTiny(t, dir, cfg, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.Top1 != res.Top1 || again.Params != res.Params {
		t.Errorf("resumed finished run: %+v, want %+v", again, res)
	}
	// Resuming with another configuration is refused, naming the field.
	cfg.LR = 0.5
	if _, err := trainTiny(t, dir, cfg, true, nil); err == nil || !strings.Contains(err.Error(), "lr: checkpoint 0.025, now 0.5") {
		t.Errorf("resume with another lr: err = %v", err)
	}
	if _, err := trainTiny(t, t.TempDir(), cfg, true, nil); err == nil || !strings.Contains(err.Error(), "resume") {
		t.Errorf("resume without checkpoint: err = %v", err)
	}
}

// TestTrainLearns checks that training reduces the loss on the synthetic stripes (a smoke test of the
// whole loop: gradients, clipping, SGD, schedule).
func TestTrainLearns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few epochs")
	}
	cfg := tinyEvalConfig()
	cfg.Space, cfg.Layers, cfg.InitChannels = "nasbench201", 1, 4
	cfg.Nesterov, cfg.DropPath, cfg.Cutout, cfg.Auxiliary = true, 0, 0, false
	cfg.Epochs, cfg.LR = 4, 0.1
	arch := EvalArch{}
	arch.NB201 = [6]int{3, 3, 1, 1, 3, 2}
	ds, err := data.Synthetic(data.SyntheticConfig{Train: 96, Test: 24, Classes: 4, Size: 16, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Train(context.Background(), TrainSpec{Config: cfg, Arch: arch, Data: ds, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	first, last := res.Metrics[0], res.Metrics[len(res.Metrics)-1]
	if !(last.TrainLoss < first.TrainLoss) {
		t.Errorf("train loss %v → %v, want a decrease", first.TrainLoss, last.TrainLoss)
	}
}

// TestTrainReleasesGraph checks that the graph Train compiles has no hash collision and that it (hundreds of MB at
// full size) is garbage once Train returns. It failed before the Read targets moved out of epochRun: a G.Read node points at its target, and
// gorgonia's TapeMachine has a finalizer (runtime.SetFinalizer in NewTapeMachine), so machine → graph → Read op →
// epochRun → machine was a cycle through a finalized object, which the Go runtime never frees.
func TestTrainReleasesGraph(t *testing.T) {
	var graphs []weak.Pointer[G.ExprGraph]
	var hashErr error
	graphBuilt = func(g *G.ExprGraph) {
		graphs = append(graphs, weak.Make(g))
		hashErr = nn.CheckHashes(g)
	}
	defer func() { graphBuilt = nil }()
	cfg := tinyEvalConfig()
	cfg.Epochs = 1
	if _, err := trainTiny(t, t.TempDir(), cfg, false, nil); err != nil {
		t.Fatal(err)
	}
	if len(graphs) != 1 {
		t.Fatalf("Train compiled %d graphs, want 1", len(graphs))
	}
	if hashErr != nil {
		t.Errorf("Train compiled a graph with a hash collision: %v", hashErr)
	}
	// The first GC runs the machines' finalizers, the next ones free what they held.
	for range 3 {
		runtime.GC()
	}
	if graphs[0].Value() != nil {
		t.Error("the graph built by Train is still reachable after Train returned and 3 GCs")
	}
}
