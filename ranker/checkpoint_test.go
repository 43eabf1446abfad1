package ranker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nasx/nasx/data/bench"
	"github.com/nasx/nasx/internal/weights"
)

// fixedNow is a clock that never moves, so that every Seconds field is 0
// and two runs can be compared byte for byte.
func fixedNow() time.Time { return time.Unix(1_700_000_000, 0) }

// memCheckpointer keeps every saved state, encoded, per member.
type memCheckpointer struct {
	saved map[int][][]byte
}

func (c *memCheckpointer) Load(member int) (*TrainState, error) {
	s := c.saved[member]
	if len(s) == 0 {
		return nil, nil
	}
	return DecodeTrainState(s[len(s)-1])
}

func (c *memCheckpointer) Save(member int, st *TrainState) error {
	b, err := st.Encode()
	if err != nil {
		return err
	}
	if c.saved == nil {
		c.saved = map[int][][]byte{}
	}
	c.saved[member] = append(c.saved[member], b)
	return nil
}

func resumeFixture(t *testing.T) (*Features, Split) {
	t.Helper()
	f, err := EncodeNB201(loadNB201(t), bench.CIFAR10)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := NewSplit(f.Len(), 24, 16, 5)
	if err != nil {
		t.Fatal(err)
	}
	return f, sp
}

// stopAfter returns a context and an OnEpoch hook that cancels it once
// epoch (0-based) has completed: the run stops at the next batch, as after
// Ctrl-C.
func stopAfter(epoch int) (context.Context, func(EpochStats)) {
	ctx, cancel := context.WithCancel(context.Background())
	return ctx, func(st EpochStats) {
		if st.Epoch == epoch {
			cancel()
		}
	}
}

// A run stopped after epoch 2 of 5 and resumed from its checkpoint takes
// the uninterrupted run's steps bit for bit: every later checkpoint (weights,
// AdamW moments, random streams, batch order, best checkpoint, stats) and
// the final model are byte-identical. Dropout is on (0.1), so the dropout
// streams matter, and the best epoch is not the last one at the stop
// (checked), so the stored best weights matter.
func TestTrainResumeIsBitIdentical(t *testing.T) {
	f, sp := resumeFixture(t)
	mc, tc := tinyNB201Model(), tinyTrainConfig()
	tc.Epochs = 5
	const seed = 11

	var full memCheckpointer
	a, err := TrainWith(context.Background(), mc, tc, f, sp, seed, TrainOptions{Now: fixedNow,
		Checkpoint: func(st *TrainState) error { return full.Save(0, st) }})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Model.Close()

	var part memCheckpointer
	ctx, onEpoch := stopAfter(1)
	_, err = TrainWith(ctx, mc, tc, f, sp, seed, TrainOptions{Now: fixedNow, OnEpoch: onEpoch,
		Checkpoint: func(st *TrainState) error { return part.Save(0, st) }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped run: err %v, want context.Canceled", err)
	}
	if len(part.saved[0]) != 2 {
		t.Fatalf("stopped run saved %d checkpoints, want 2", len(part.saved[0]))
	}
	st, err := part.Load(0)
	if err != nil {
		t.Fatal(err)
	}
	if st.Epoch != 2 || st.Step != 2*3 || len(st.History) != 2 {
		t.Fatalf("checkpoint at epoch %d, step %d, %d stats; want 2, 6, 2", st.Epoch, st.Step, len(st.History))
	}
	// With this seed epoch 0 is the best of the first three (val tier acc
	// 0.125, 0, 0.0625), so the checkpoint must carry the best weights
	// apart from the current ones; a 3-epoch run resumed from it ends with
	// them (the epoch-1 checkpoint's weights).
	if st.BestEpoch != 0 || st.Best == nil {
		t.Fatalf("checkpoint best epoch %d, best weights stored %v; want 0, true (the test needs a best epoch before the last)", st.BestEpoch, st.Best != nil)
	}
	tc3 := tc
	tc3.Epochs = 3
	r3, err := TrainWith(context.Background(), mc, tc3, f, sp, seed, TrainOptions{Now: fixedNow, Resume: st})
	if err != nil {
		t.Fatal(err)
	}
	e1, err := DecodeTrainState(full.saved[0][0])
	if err != nil {
		t.Fatal(err)
	}
	w1, _ := weights.Encode(e1.Weights, nil)
	if got := encodeModel(t, r3.Model); r3.BestEpoch != 0 || !bytes.Equal(got, w1) {
		t.Errorf("3-epoch resume: best epoch %d, final weights equal epoch 1's: %v; want 0, true", r3.BestEpoch, bytes.Equal(got, w1))
	}
	r3.Model.Close()
	if !bytes.Equal(part.saved[0][1], full.saved[0][1]) {
		t.Fatal("the stopped run's epoch-2 checkpoint differs from the uninterrupted run's")
	}
	b, err := TrainWith(context.Background(), mc, tc, f, sp, seed, TrainOptions{Now: fixedNow, Resume: st,
		Checkpoint: func(st *TrainState) error { return part.Save(0, st) }})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Model.Close()
	if len(part.saved[0]) != 5 {
		t.Fatalf("%d checkpoints after resuming, want 5", len(part.saved[0]))
	}
	for e := 2; e < 5; e++ {
		if !bytes.Equal(part.saved[0][e], full.saved[0][e]) {
			t.Errorf("checkpoint after epoch %d differs between the resumed and the uninterrupted run", e+1)
		}
	}
	// The test must exercise the stored best weights: a best epoch before
	// the stop that the resumed run does not replace at once.
	wa, wb := encodeModel(t, a.Model), encodeModel(t, b.Model)
	if !bytes.Equal(wa, wb) {
		t.Error("final (best-checkpoint) weights differ")
	}
	ja, _ := json.Marshal(struct {
		E int
		D []Distri
	}{a.BestEpoch, a.Distri})
	jb, _ := json.Marshal(struct {
		E int
		D []Distri
	}{b.BestEpoch, b.Distri})
	if !bytes.Equal(ja, jb) || math.Float64bits(a.BestAcc) != math.Float64bits(b.BestAcc) {
		t.Errorf("best epoch/acc/distri differ: %s %v vs %s %v", ja, a.BestAcc, jb, b.BestAcc)
	}
	if len(b.History) != 5 {
		t.Fatalf("resumed history has %d epochs, want 5", len(b.History))
	}
	for e := range a.History {
		if historyRow(a.History[e]) != historyRow(b.History[e]) {
			t.Errorf("epoch %d stats: %+v vs %+v", e, a.History[e], b.History[e])
		}
	}
	// Resuming from the final checkpoint trains nothing and gives the same
	// model again.
	last, err := DecodeTrainState(full.saved[0][4])
	if err != nil {
		t.Fatal(err)
	}
	steps := 0
	c, err := TrainWith(context.Background(), mc, tc, f, sp, seed, TrainOptions{Now: fixedNow, Resume: last, OnStep: func() { steps++ }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Model.Close()
	if steps != 0 || !bytes.Equal(encodeModel(t, c.Model), wa) {
		t.Errorf("resuming a finished run: %d steps, weights equal %v; want 0 steps, equal", steps, bytes.Equal(encodeModel(t, c.Model), wa))
	}
}

// Without the right dropout streams a resumed run drifts: the weights after
// the next epoch differ, so the bit-identity test above can fail.
func TestTrainResumeNeedsTheRandomStreams(t *testing.T) {
	f, sp := resumeFixture(t)
	mc, tc := tinyNB201Model(), tinyTrainConfig()
	var full memCheckpointer
	a, err := TrainWith(context.Background(), mc, tc, f, sp, 11, TrainOptions{Now: fixedNow,
		Checkpoint: func(st *TrainState) error { return full.Save(0, st) }})
	if err != nil {
		t.Fatal(err)
	}
	a.Model.Close()
	st, err := DecodeTrainState(full.saved[0][0])
	if err != nil {
		t.Fatal(err)
	}
	// Replace the dropout streams by those of another seed's model.
	other := mc
	other.Tokens, other.DPatch = f.Tokens, f.Dim
	m, err := NewModel(other, tc.Batch, 0, 12)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range m.b.Dropouts {
		if st.DropoutRNG[i], err = d.RNGState(); err != nil {
			t.Fatal(err)
		}
	}
	m.Close()
	var got memCheckpointer
	b, err := TrainWith(context.Background(), mc, tc, f, sp, 11, TrainOptions{Now: fixedNow, Resume: st,
		Checkpoint: func(st *TrainState) error { return got.Save(0, st) }})
	if err != nil {
		t.Fatal(err)
	}
	b.Model.Close()
	gs, err := got.Load(0)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := DecodeTrainState(full.saved[0][1])
	if err != nil {
		t.Fatal(err)
	}
	ga, _ := weights.Encode(gs.Weights, nil)
	wa, _ := weights.Encode(ws.Weights, nil)
	if bytes.Equal(ga, wa) {
		t.Error("other dropout streams gave the same weights after epoch 2: the comparison cannot detect a lost stream")
	}
}

func encodeModel(t *testing.T, m *Model) []byte {
	t.Helper()
	sd, err := m.Params().StateDict()
	if err != nil {
		t.Fatal(err)
	}
	b, err := weights.Encode(sd, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Resuming refuses other settings (naming each differing field), fewer
// epochs than done, another split, and damaged files.
func TestTrainResumeRefusals(t *testing.T) {
	f, sp := resumeFixture(t)
	mc, tc := tinyNB201Model(), tinyTrainConfig()
	tc.Epochs = 2
	var cp memCheckpointer
	a, err := TrainWith(context.Background(), mc, tc, f, sp, 11, TrainOptions{Now: fixedNow,
		Checkpoint: func(st *TrainState) error { return cp.Save(0, st) }})
	if err != nil {
		t.Fatal(err)
	}
	a.Model.Close()
	st, err := cp.Load(0)
	if err != nil {
		t.Fatal(err)
	}
	otherSplit, _ := NewSplit(f.Len(), 24, 16, 6)
	mc2 := mc
	mc2.DInner++
	tc2 := tc
	tc2.LRMul, tc2.Epochs = 0.1, 1
	tc3 := tc
	tc3.LRMul = 0.1
	for _, c := range []struct {
		name string
		mc   ModelConfig
		tc   TrainConfig
		seed uint64
		sp   Split
		want string
	}{
		{"model", mc2, tc, 11, sp, "model.d_ffn_inner: checkpoint 16, now 17"},
		{"lr and seed", mc, tc3, 12, sp, "train.lr_mul: checkpoint 0.07, now 0.1; seed: checkpoint 11, now 12"},
		{"fewer epochs", mc, func() TrainConfig { c := tc; c.Epochs = 1; return c }(), 11, sp, "checkpoint is at epoch 2, past the 1 epochs"},
		{"split", mc, tc, 11, otherSplit, "not this run's"},
	} {
		_, err := TrainWith(context.Background(), c.mc, c.tc, f, c.sp, c.seed, TrainOptions{Resume: st})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want one with %q", c.name, err, c.want)
		}
	}
	// Another micro-batch is memory, not training: the run continues.
	tc4 := tc
	tc4.Epochs, tc4.MicroBatch = 3, tc.Batch/2
	if r, err := TrainWith(context.Background(), mc, tc4, f, sp, 11, TrainOptions{Resume: st}); err != nil {
		t.Errorf("resume with micro_batch %d: %v", tc4.MicroBatch, err)
	} else {
		if len(r.History) != 3 {
			t.Errorf("resume with another micro_batch: %d epochs of history, want 3", len(r.History))
		}
		r.Model.Close()
	}
	b := cp.saved[0][len(cp.saved[0])-1]
	if _, err := DecodeTrainState(b[:len(b)/2]); err == nil {
		t.Error("a truncated checkpoint decoded")
	}
	plain, _ := weights.Encode([]weights.Tensor{{Name: "w", Shape: []int{1}, Data: []float32{1}}}, nil)
	if _, err := DecodeTrainState(plain); err == nil || !strings.Contains(err.Error(), "not a nasx rank training checkpoint") {
		t.Errorf("a plain safetensors file: %v", err)
	}
	dir := t.TempDir()
	dc := DirCheckpointer{Dir: dir}
	if st, err := dc.Load(0); st != nil || err != nil {
		t.Errorf("empty folder: %v, %v; want nil, nil", st, err)
	}
	os.WriteFile(dc.Path(0), []byte("junk"), 0o644)
	if _, err := dc.Load(0); err == nil || !strings.Contains(err.Error(), dc.Path(0)) {
		t.Errorf("junk file: %v, want an error naming %s", err, dc.Path(0))
	}
	if err := dc.Save(1, st); err != nil {
		t.Fatal(err)
	}
	file, _ := os.ReadFile(dc.Path(1))
	if enc, _ := st.Encode(); !bytes.Equal(file, enc) {
		t.Error("DirCheckpointer.Save (streamed) wrote other bytes than Encode")
	}
	back, err := dc.Load(1)
	if err != nil || back.Epoch != st.Epoch || !strings.HasSuffix(dc.Path(1), "train_member1.safetensors") {
		t.Errorf("member 1 round trip: %+v, %v", back, err)
	}
}

// A whole Run stopped during training and resumed gives the uninterrupted
// run's report and model, byte for byte; resuming with no checkpoint is
// refused.
// tinyRunConfig is a whole run of the tiny model: NB201's sampler and search
// settings (configs/nar_nb201.json) with 3 iterations of one batch.
func tinyRunConfig() RunConfig {
	tc := tinyTrainConfig()
	return RunConfig{Model: tinyNB201Model(), Train: tc,
		Sampler:   SamplerConfig{FlopsThr: 0.35, ParamsThr: 0.3, EdgesThr: 1.5, ForceUniform: true, ReuseStep: 25, MaxTrails: 100},
		Search:    SearchConfig{Iterations: 3, SampleSize: tc.Batch, NoisyFactor: 0.5, TopK: []int{1, 5}},
		TrainSize: 24, ValSize: 16, EvalSize: 100, Seed: 5}
}

func TestRunResumeIsBitIdentical(t *testing.T) {
	tab := loadNB201(t)
	cfg := tinyRunConfig()
	run := func(ctx context.Context, cp Checkpointer, resume bool, onEpoch func(EpochStats)) (*Report, []byte, error) {
		f, s, err := Load(tab, bench.CIFAR10, cfg.Sampler, cfg.Seed)
		if err != nil {
			t.Fatal(err)
		}
		rep, tr, err := Run(ctx, cfg, f, s, Hooks{Checkpoints: cp, Resume: resume, Now: fixedNow, OnEpoch: onEpoch})
		if err != nil {
			return nil, nil, err
		}
		defer tr.Model.Close()
		return rep, encodeModel(t, tr.Model), nil
	}
	var full memCheckpointer
	repA, wA, err := run(context.Background(), &full, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	var part memCheckpointer
	ctx, onEpoch := stopAfter(0)
	if _, _, err = run(ctx, &part, false, onEpoch); !errors.Is(err, context.Canceled) || len(part.saved[0]) != 1 {
		t.Fatalf("stopped run: err %v, %d checkpoints; want context.Canceled, 1", err, len(part.saved[0]))
	}
	repB, wB, err := run(context.Background(), &part, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(repA)
	jb, _ := json.Marshal(repB)
	if !bytes.Equal(ja, jb) {
		t.Errorf("reports differ:\nuninterrupted %s\nresumed       %s", ja, jb)
	}
	if !bytes.Equal(wA, wB) {
		t.Error("models differ")
	}
	if _, _, err := run(context.Background(), &memCheckpointer{}, true, nil); err == nil || !strings.Contains(err.Error(), "no training checkpoint") {
		t.Errorf("resume without a checkpoint: %v", err)
	}
}

// Ensemble members checkpoint and resume on their own (member k under its
// own number and seed): member 1 stopped after one epoch and resumed ends
// where an uninterrupted member 1 does; with no state of its own it starts
// afresh even when resuming.
func TestEnsembleMemberResume(t *testing.T) {
	f, sp := resumeFixture(t)
	tc := tinyTrainConfig()
	cfg := RunConfig{Model: tinyNB201Model(), Train: tc, TrainSize: 24, ValSize: 16, Seed: 5, Ensemble: 2}
	train := func(ctx context.Context, cp *memCheckpointer, resume bool, onEpoch func(EpochStats)) (*Trained, error) {
		return Hooks{Checkpoints: cp, Resume: resume, Now: fixedNow, OnEpoch: onEpoch}.train(ctx, cfg, f, sp, 1, memberSeed(cfg.Seed, 1), "train 2/2")
	}
	var full memCheckpointer
	a, err := train(context.Background(), &full, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Model.Close()
	if len(full.saved[0]) != 0 || len(full.saved[1]) != tc.Epochs {
		t.Fatalf("member 1 saved %d states as member 0 and %d as member 1; want 0, %d", len(full.saved[0]), len(full.saved[1]), tc.Epochs)
	}
	var part memCheckpointer
	ctx, onEpoch := stopAfter(0)
	if _, err := train(ctx, &part, false, onEpoch); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "ensemble member 1") {
		t.Fatalf("stopped member: %v, want context.Canceled naming ensemble member 1", err)
	}
	b, err := train(context.Background(), &part, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Model.Close()
	if !bytes.Equal(encodeModel(t, a.Model), encodeModel(t, b.Model)) || !bytes.Equal(full.saved[1][tc.Epochs-1], part.saved[1][tc.Epochs-1]) {
		t.Error("resumed member 1 differs from the uninterrupted one")
	}
	var none memCheckpointer
	c, err := train(context.Background(), &none, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Model.Close()
	if !bytes.Equal(encodeModel(t, a.Model), encodeModel(t, c.Model)) {
		t.Error("member 1 resumed without a state of its own differs from a fresh one")
	}
}
