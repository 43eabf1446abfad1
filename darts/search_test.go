package darts

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/nasx/nasx/data"
	"github.com/nasx/nasx/mim"
)

type memRecorder struct {
	epochs []EpochRecord
	states []*State
	stopAt int // return errStop after this many epochs (0: never)
}

var errStop = errors.New("stop")

func (m *memRecorder) Step(epoch, step, steps int, loss float64) {}
func (m *memRecorder) Epoch(r EpochRecord, st *State) error {
	m.epochs = append(m.epochs, r)
	b, err := st.Encode()
	if err != nil {
		return err
	}
	dec, err := DecodeState(b)
	if err != nil {
		return err
	}
	m.states = append(m.states, dec)
	if m.stopAt > 0 && len(m.epochs) == m.stopAt {
		return errStop
	}
	return nil
}

func smokeConfig(space Space, task mim.Task) SearchConfig {
	layers := 3
	if space == SpaceNB201 {
		layers = 1
	}
	return SearchConfig{
		Net:    NetConfig{Space: space, C: 4, Layers: layers, Batch: 8, Task: task},
		Epochs: 2, LR: 0.025, LRMin: 0.001, Momentum: 0.9, WeightDecay: 3e-4, GradClip: 5,
		ArchLR: 3e-4, ArchBeta1: 0.5, ArchBeta2: 0.999, ArchWeightDecay: 1e-3,
		Seed: 2, TrainPortion: 0.5, Subset: 64, Mask: mim.DefaultMaskConfig(), Workers: 1,
	}
}

func synthetic(t *testing.T) *data.Dataset {
	t.Helper()
	// 16×16 keeps the test fast (a C=4 DARTS supernet at 32×32 takes ~1 s per pass on this busy machine)
	ds, err := data.Synthetic(data.SyntheticConfig{Train: 64, Test: 8, Classes: 10, Size: 16, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func search(t *testing.T, cfg SearchConfig, ds *data.Dataset, rec *memRecorder, restore *State) error {
	t.Helper()
	s, err := NewSearcher(cfg, ds)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := 0
	if restore != nil {
		if start, err = s.Restore(restore); err != nil {
			t.Fatal(err)
		}
	}
	return s.Run(context.Background(), start, rec)
}

// TestResumeBitExact: a run stopped after epoch 1 and resumed from its
// checkpoint ends with exactly the state (weights, BatchNorm statistics, α,
// optimiser states) and the records of an uninterrupted run with the same
// seed; the second epoch runs in two processes' worth of fresh objects, so
// this also checks that a run is deterministic.
func TestResumeBitExact(t *testing.T) {
	for _, tc := range []struct {
		space Space
		task  mim.Task
	}{{SpaceDARTS, mim.TaskClsMask}, {SpaceNB201, mim.TaskCls}} {
		t.Run(string(tc.space)+"/"+string(tc.task), func(t *testing.T) {
			cfg := smokeConfig(tc.space, tc.task)
			ds := synthetic(t)
			var full, part, rest memRecorder
			if err := search(t, cfg, ds, &full, nil); err != nil {
				t.Fatal(err)
			}
			part.stopAt = 1
			if err := search(t, cfg, ds, &part, nil); !errors.Is(err, errStop) {
				t.Fatalf("interrupted run: %v", err)
			}
			if err := search(t, cfg, ds, &rest, part.states[0]); err != nil {
				t.Fatal(err)
			}
			last := full.states[len(full.states)-1]
			if !reflect.DeepEqual(last, rest.states[0]) {
				t.Error("resumed run: final state differs from the uninterrupted run")
			}
			for i, r := range rest.epochs {
				want, got := full.epochs[i+1], r
				want.Seconds, got.Seconds = 0, 0
				if !reflect.DeepEqual(want, got) {
					t.Errorf("resumed epoch %d record differs:\n got %+v\nwant %+v", r.Epoch, got, want)
				}
			}
			for _, r := range full.epochs {
				if math.IsNaN(r.TrainLoss) || r.TrainLoss <= 0 {
					t.Errorf("epoch %d: train loss %v", r.Epoch, r.TrainLoss)
				}
			}
		})
	}
}

// TestNonFiniteStops: a NaN weight makes the next step's loss NaN; Run
// stops with ErrNonFinite and never reports the broken epoch, so the last
// checkpoint a Recorder wrote stays the last good one.
func TestNonFiniteStops(t *testing.T) {
	cfg := smokeConfig(SpaceNB201, mim.TaskCls)
	ds := synthetic(t)
	var first memRecorder
	first.stopAt = 1
	if err := search(t, cfg, ds, &first, nil); !errors.Is(err, errStop) {
		t.Fatal(err)
	}
	st := first.states[0]
	for i, ts := range st.Tensors { // poison the stem weight
		if ts.Name == "stem.0.weight" {
			d := append([]float32(nil), ts.Data.([]float32)...)
			d[0] = float32(math.NaN())
			st.Tensors[i].Data = d
		}
	}
	var rest memRecorder
	err := search(t, cfg, ds, &rest, st)
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "loss is NaN") || !strings.Contains(err.Error(), "epoch 1 step 0") {
		t.Errorf("Run = %v, want ErrNonFinite naming the epoch and step", err)
	}
	if len(rest.epochs) != 0 {
		t.Errorf("the broken epoch was reported: %+v", rest.epochs)
	}
}
