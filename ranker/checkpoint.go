package ranker

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/nasx/nasx/internal/atomicio"
	"github.com/nasx/nasx/internal/weights"
)

// TrainState is a training checkpoint taken after a completed epoch:
// everything Train carries from one epoch to the next, so that a run
// continued from it (TrainOptions.Resume) takes the same steps, bit for bit,
// as one that was never stopped.
type TrainState struct {
	// Epoch is the number of completed epochs; Step the optimiser steps
	// taken (the Noam schedule's position).
	Epoch, Step int
	// Order is the training batch order of the last epoch; the next epoch
	// shuffles it in place, as Train does.
	Order []int
	// ShuffleRNG and DropoutRNG are the states of the batch-order stream
	// and of every dropout layer's stream (PCG.MarshalBinary), in the
	// model's dropout order.
	ShuffleRNG []byte
	DropoutRNG [][]byte
	// Weights are the current weights (state-dict names); Optim AdamW's
	// moments and step counts (optim.StateTensors, prefix "optim.").
	Weights, Optim []weights.Tensor
	// Best is the best checkpoint's weights, flat in the model's parameter
	// order; nil when the best epoch is the last completed one (Best equals
	// Weights then).
	Best []float32
	// BestEpoch, BestAcc and Distri are Trained's for the best epoch so far;
	// History has one EpochStats per completed epoch.
	BestEpoch int
	BestAcc   float64
	Distri    []Distri
	History   []EpochStats
	// Model, Train and Seed are the settings the run was started with;
	// resuming checks them (Train.Epochs may grow).
	Model ModelConfig
	Train TrainConfig
	Seed  uint64
}

// trainStateFormat tags TrainState files so that other safetensors files
// are refused.
const trainStateFormat = "nasx-rank-train/1"

// stateMeta is the JSON part of an encoded TrainState (its metadata entry
// "state"). Floats that may be NaN (History, BestAcc) travel in tensors.
type stateMeta struct {
	Epoch      int         `json:"epoch"`
	Step       int         `json:"step"`
	ShuffleRNG []byte      `json:"shuffle_rng"`
	DropoutRNG [][]byte    `json:"dropout_rng"`
	BestEpoch  int         `json:"best_epoch"`
	BestIsLast bool        `json:"best_is_last"`
	Distri     []Distri    `json:"distri"`
	Model      ModelConfig `json:"model"`
	Train      TrainConfig `json:"train"`
	Seed       uint64      `json:"seed"`
}

// Tensor names of an encoded TrainState besides "model.*" and "optim.*".
const (
	tensorOrder   = "state.order"
	tensorHistory = "state.history"
	tensorBestAcc = "state.best_acc"
	tensorBest    = "state.best_weights"
	modelPrefix   = "model."
	optimPrefix   = "optim."
)

// historyCols is the number of float64 columns per epoch of state.history,
// in the order of historyRow.
const historyCols = 10

func historyRow(s EpochStats) [historyCols]float64 {
	return [historyCols]float64{float64(s.Epoch), s.TrainLoss, s.TrainCE, s.TrainRank, s.TrainAcc, s.ValAcc, s.ValTau,
		s.LR, b2f(s.Best), s.Seconds}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Encode returns st as a safetensors file: the weights under "model.", the
// optimiser state under "optim.", the batch order, per-epoch stats, best
// accuracy and best weights under "state.", and the rest as JSON in the
// metadata entry "state".
func (st *TrainState) Encode() ([]byte, error) {
	ts, meta, err := st.tensors()
	if err != nil {
		return nil, err
	}
	return weights.Encode(ts, meta)
}

// Write writes Encode's bytes to w without holding them all in memory.
func (st *TrainState) Write(w io.Writer) error {
	ts, meta, err := st.tensors()
	if err != nil {
		return err
	}
	return weights.Write(w, ts, meta)
}

// tensors returns the tensors and metadata of Encode.
func (st *TrainState) tensors() ([]weights.Tensor, map[string]string, error) {
	ts := make([]weights.Tensor, 0, len(st.Weights)+len(st.Optim)+4)
	for _, t := range st.Weights {
		t.Name = modelPrefix + t.Name
		ts = append(ts, t)
	}
	ts = append(ts, st.Optim...)
	order := make([]int64, len(st.Order))
	for i, v := range st.Order {
		order[i] = int64(v)
	}
	hist := make([]float64, 0, len(st.History)*historyCols)
	for _, h := range st.History {
		row := historyRow(h)
		hist = append(hist, row[:]...)
	}
	ts = append(ts,
		weights.Tensor{Name: tensorOrder, Shape: []int{len(order)}, Data: order},
		weights.Tensor{Name: tensorHistory, Shape: []int{len(st.History), historyCols}, Data: hist},
		weights.Tensor{Name: tensorBestAcc, Shape: []int{}, Data: []float64{st.BestAcc}})
	if st.Best != nil {
		ts = append(ts, weights.Tensor{Name: tensorBest, Shape: []int{len(st.Best)}, Data: st.Best})
	}
	meta, err := json.Marshal(stateMeta{Epoch: st.Epoch, Step: st.Step, ShuffleRNG: st.ShuffleRNG, DropoutRNG: st.DropoutRNG,
		BestEpoch: st.BestEpoch, BestIsLast: st.Best == nil, Distri: st.Distri, Model: st.Model, Train: st.Train, Seed: st.Seed})
	if err != nil {
		return nil, nil, fmt.Errorf("ranker: encode training state: %w", err)
	}
	return ts, map[string]string{"format": trainStateFormat, "state": string(meta)}, nil
}

// DecodeTrainState parses a file written by TrainState.Encode. It checks
// the file's own consistency; Train checks it against the run.
func DecodeTrainState(b []byte) (*TrainState, error) {
	f, err := weights.Decode(b)
	if err != nil {
		return nil, err
	}
	return trainStateOf(f)
}

// trainStateOf reads a TrainState out of a decoded checkpoint file.
func trainStateOf(f *weights.File) (*TrainState, error) {
	if f.Metadata["format"] != trainStateFormat {
		return nil, fmt.Errorf("metadata format %q, want %q (not a nasx rank training checkpoint)", f.Metadata["format"], trainStateFormat)
	}
	var m stateMeta
	dec := json.NewDecoder(strings.NewReader(f.Metadata["state"]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("metadata state: %w", err)
	}
	st := &TrainState{Epoch: m.Epoch, Step: m.Step, ShuffleRNG: m.ShuffleRNG, DropoutRNG: m.DropoutRNG,
		BestEpoch: m.BestEpoch, Distri: m.Distri, Model: m.Model, Train: m.Train, Seed: m.Seed}
	var order, hist, bestAcc, best *weights.Tensor
	for i := range f.Tensors {
		t := &f.Tensors[i]
		switch {
		case t.Name == tensorOrder:
			order = t
		case t.Name == tensorHistory:
			hist = t
		case t.Name == tensorBestAcc:
			bestAcc = t
		case t.Name == tensorBest:
			best = t
		case strings.HasPrefix(t.Name, modelPrefix):
			w := *t
			w.Name = strings.TrimPrefix(t.Name, modelPrefix)
			st.Weights = append(st.Weights, w)
		case strings.HasPrefix(t.Name, optimPrefix):
			st.Optim = append(st.Optim, *t)
		default:
			return nil, fmt.Errorf("unexpected tensor %q", t.Name)
		}
	}
	if order == nil || hist == nil || bestAcc == nil {
		return nil, fmt.Errorf("missing tensor %s, %s or %s", tensorOrder, tensorHistory, tensorBestAcc)
	}
	o, ok := order.Data.([]int64)
	if !ok {
		return nil, fmt.Errorf("tensor %s holds %T, want int64", tensorOrder, order.Data)
	}
	st.Order = make([]int, len(o))
	for i, v := range o {
		st.Order[i] = int(v)
	}
	h, ok := hist.Data.([]float64)
	if !ok || len(hist.Shape) != 2 || hist.Shape[1] != historyCols {
		return nil, fmt.Errorf("tensor %s: %T of shape %v, want float64 of shape [epochs %d]", tensorHistory, hist.Data, hist.Shape, historyCols)
	}
	for r := range hist.Shape[0] {
		v := h[r*historyCols : (r+1)*historyCols]
		st.History = append(st.History, EpochStats{Epoch: int(v[0]), TrainLoss: v[1], TrainCE: v[2], TrainRank: v[3], TrainAcc: v[4],
			ValAcc: v[5], ValTau: v[6], LR: v[7], Best: v[8] != 0, Seconds: v[9]})
	}
	ba, ok := bestAcc.Data.([]float64)
	if !ok || len(ba) != 1 {
		return nil, fmt.Errorf("tensor %s: %T, want one float64", tensorBestAcc, bestAcc.Data)
	}
	st.BestAcc = ba[0]
	if best != nil {
		if m.BestIsLast {
			return nil, fmt.Errorf("tensor %s present, but the metadata says the best epoch is the last", tensorBest)
		}
		if st.Best, ok = best.Data.([]float32); !ok {
			return nil, fmt.Errorf("tensor %s holds %T, want float32", tensorBest, best.Data)
		}
	} else if !m.BestIsLast {
		return nil, fmt.Errorf("missing tensor %s", tensorBest)
	}
	switch {
	case st.Epoch < 1:
		return nil, fmt.Errorf("epoch %d, want >= 1", st.Epoch)
	case st.Step < 0:
		return nil, fmt.Errorf("step %d, want >= 0", st.Step)
	case len(st.Distri) == 0:
		return nil, errors.New("no distri entries, want one per training batch of the best epoch")
	case len(st.History) != st.Epoch:
		return nil, fmt.Errorf("%d epochs of stats for epoch %d", len(st.History), st.Epoch)
	case st.BestEpoch < 0 || st.BestEpoch >= st.Epoch:
		return nil, fmt.Errorf("best epoch %d, want in [0, %d)", st.BestEpoch, st.Epoch)
	case st.Best == nil && st.BestEpoch != st.Epoch-1:
		return nil, fmt.Errorf("best epoch %d without best weights, want the last epoch %d", st.BestEpoch, st.Epoch-1)
	}
	for i, d := range st.Distri {
		if err := d.Validate(st.Model.NTier); err != nil {
			return nil, fmt.Errorf("distri[%d]: %w", i, err)
		}
	}
	return st, nil
}

// checkResume reports why st cannot continue a run of mc, tc and seed on
// the training split train: every setting must be the one the checkpoint
// was written with, except that tc.Epochs may be larger (more epochs only
// append to the history: no setting depends on the epoch count).
func (st *TrainState) checkResume(mc ModelConfig, tc TrainConfig, seed uint64, train []int) error {
	var diffs []string
	mc.Tokens, mc.DPatch = 0, 0
	diffs = append(diffs, fieldDiffs("model", st.Model, mc)...)
	a, b := st.Train, tc
	// Epochs may be raised; MicroBatch changes memory, not the training
	// (with dropout, the continued run draws other decoder masks than an
	// uninterrupted one would).
	a.Epochs, b.Epochs = 0, 0
	a.MicroBatch, b.MicroBatch = 0, 0
	diffs = append(diffs, fieldDiffs("train", a, b)...)
	if st.Seed != seed {
		diffs = append(diffs, fmt.Sprintf("seed: checkpoint %d, now %d", st.Seed, seed))
	}
	if len(diffs) > 0 {
		return fmt.Errorf("the checkpoint was written with other settings (%s)", strings.Join(diffs, "; "))
	}
	if st.Epoch > tc.Epochs {
		return fmt.Errorf("the checkpoint is at epoch %d, past the %d epochs asked for (ask for at least %d)", st.Epoch, tc.Epochs, st.Epoch)
	}
	got, want := slices.Clone(st.Order), slices.Clone(train)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return errors.New("the checkpoint's training architectures are not this run's (another split: --train-size, --val-size or --seed)")
	}
	return nil
}

// fieldDiffs names the fields (by JSON key, under prefix) whose values
// differ between a and b, two values of one struct type.
func fieldDiffs(prefix string, a, b any) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var out []string
	for i := range va.NumField() {
		fa, fb := va.Field(i).Interface(), vb.Field(i).Interface()
		if reflect.DeepEqual(fa, fb) {
			continue
		}
		name := strings.Split(va.Type().Field(i).Tag.Get("json"), ",")[0]
		out = append(out, fmt.Sprintf("%s.%s: checkpoint %v, now %v", prefix, name, fa, fb))
	}
	return out
}

// Checkpointer loads and saves the training states of a run's models
// (member 0 is the single model, or the first of an ensemble).
type Checkpointer interface {
	// Load returns member's saved state, or nil and no error when there is
	// none.
	Load(member int) (*TrainState, error)
	// Save stores member's state, atomically.
	Save(member int, st *TrainState) error
}

// DirCheckpointer keeps training states as files in a folder:
// train.safetensors for member 0 and train_member<k>.safetensors for
// ensemble member k > 0, each written atomically.
type DirCheckpointer struct {
	Dir string
}

var _ Checkpointer = DirCheckpointer{}

// Path returns the file of member's state.
func (c DirCheckpointer) Path(member int) string {
	if member == 0 {
		return filepath.Join(c.Dir, "train.safetensors")
	}
	return filepath.Join(c.Dir, fmt.Sprintf("train_member%d.safetensors", member))
}

// Load implements Checkpointer.
func (c DirCheckpointer) Load(member int) (*TrainState, error) {
	p := c.Path(member)
	// weights.ReadFile streams the file: the checkpoint (126 MB for the
	// NB201 preset) is never held as raw bytes beside its tensors.
	f, err := weights.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ranker: %w", err)
	}
	st, err := trainStateOf(f)
	if err != nil {
		return nil, fmt.Errorf("ranker: %s: %w", p, err)
	}
	return st, nil
}

// Save implements Checkpointer.
func (c DirCheckpointer) Save(member int, st *TrainState) error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("ranker: %w", err)
	}
	// Streamed: a whole encoded state is 4 times the model's size.
	if err := atomicio.Write(c.Path(member), 0o644, st.Write); err != nil {
		return fmt.Errorf("ranker: save checkpoint: %w", err)
	}
	return nil
}
