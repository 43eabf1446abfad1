package darts

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/nasx/nasx/internal/op"
	"github.com/nasx/nasx/internal/optim"
	"github.com/nasx/nasx/internal/weights"
)

// State is a search checkpoint after a completed epoch: the weights (torch
// names, BatchNorm buffers included), the α, and both optimisers' states
// (prefixed optim.w. and optim.a.). The data order, augmentation and masks
// are functions of the seed and the epoch, so nothing else is needed to
// continue bit for bit.
type State struct {
	Epoch   int // completed epochs
	Tensors []weights.Tensor
}

// State returns the checkpoint of the searcher after epoch completed epochs.
func (s *Searcher) State(epoch int) (*State, error) {
	w, err := s.net.Weights().StateDict()
	if err != nil {
		return nil, err
	}
	a, err := s.net.Alphas().StateDict()
	if err != nil {
		return nil, err
	}
	shapes := map[string][]int{}
	for _, e := range append(s.net.Weights().Entries(), s.net.Alphas().Entries()...) {
		if e.Node != nil {
			shapes[e.Name] = []int(e.Node.Shape().Clone())
		}
	}
	ow, err := optim.StateTensors(s.wOpt.StateDict(), shapes, "optim.w.")
	if err != nil {
		return nil, err
	}
	oa, err := optim.StateTensors(s.aOpt.StateDict(), shapes, "optim.a.")
	if err != nil {
		return nil, err
	}
	ts := append(append(append(append(w, a...), ow...), oa...), s.net.bnStateTensors()...)
	return &State{Epoch: epoch, Tensors: ts}, nil
}

// Encode returns the state as a safetensors file with the epoch in its
// metadata.
func (st *State) Encode() ([]byte, error) {
	return weights.Encode(st.Tensors, map[string]string{"format": "nasx-darts-search", "epoch": strconv.Itoa(st.Epoch)})
}

// DecodeState parses a file written by Encode.
func DecodeState(b []byte) (*State, error) {
	f, err := weights.Decode(b)
	if err != nil {
		return nil, err
	}
	if f.Metadata["format"] != "nasx-darts-search" {
		return nil, fmt.Errorf("darts: checkpoint: metadata format %q, want \"nasx-darts-search\" (not a search checkpoint)", f.Metadata["format"])
	}
	e, err := strconv.Atoi(f.Metadata["epoch"])
	if err != nil || e < 0 {
		return nil, fmt.Errorf("darts: checkpoint: metadata epoch %q, want an integer >= 0", f.Metadata["epoch"])
	}
	return &State{Epoch: e, Tensors: f.Tensors}, nil
}

// Restore loads st into the searcher and returns the epoch to continue
// from. The supernet must have the configuration that wrote st.
func (s *Searcher) Restore(st *State) (int, error) {
	var w, a, ow, oa, bn []weights.Tensor
	alphaNames := map[string]bool{}
	for _, e := range s.net.Alphas().Entries() {
		alphaNames[e.Name] = true
	}
	for _, t := range st.Tensors {
		switch {
		case strings.HasPrefix(t.Name, "optim.w."):
			ow = append(ow, t)
		case strings.HasPrefix(t.Name, "optim.a."):
			oa = append(oa, t)
		case strings.HasPrefix(t.Name, bn64Prefix):
			bn = append(bn, t)
		case alphaNames[t.Name]:
			a = append(a, t)
		default:
			w = append(w, t)
		}
	}
	if err := s.net.Weights().LoadStateDict(w, true); err != nil {
		return 0, fmt.Errorf("darts: checkpoint weights: %w", err)
	}
	if err := s.net.setBNState(bn); err != nil {
		return 0, err
	}
	if err := s.net.Alphas().LoadStateDict(a, true); err != nil {
		return 0, fmt.Errorf("darts: checkpoint alphas: %w", err)
	}
	sw, err := optim.StateFromTensors[float32](ow, "optim.w.")
	if err != nil {
		return 0, err
	}
	if err := s.wOpt.LoadStateDict(sw); err != nil {
		return 0, fmt.Errorf("darts: checkpoint weight optimiser: %w", err)
	}
	sa, err := optim.StateFromTensors[float32](oa, "optim.a.")
	if err != nil {
		return 0, err
	}
	if err := s.aOpt.LoadStateDict(sa); err != nil {
		return 0, fmt.Errorf("darts: checkpoint α optimiser: %w", err)
	}
	if st.Epoch > s.cfg.Epochs {
		return 0, fmt.Errorf("darts: checkpoint is at epoch %d, past the configured %d epochs", st.Epoch, s.cfg.Epochs)
	}
	return st.Epoch, nil
}

// bnOps returns every BatchNorm op of the supernet once, in a fixed order
// (blocks in construction order, depth first through exported fields,
// then the decoder's).
func (s *Supernet) bnOps() []*op.BatchNorm2d {
	var out []*op.BatchNorm2d
	seen := map[*op.BatchNorm2d]bool{}
	visited := map[uintptr]bool{}
	bnType := reflect.TypeOf((*op.BatchNorm2d)(nil))
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Pointer:
			if v.IsNil() {
				return
			}
			if v.Type() == bnType {
				bn := v.Interface().(*op.BatchNorm2d)
				if !seen[bn] {
					seen[bn] = true
					out = append(out, bn)
				}
				return
			}
			if visited[v.Pointer()] {
				return
			}
			visited[v.Pointer()] = true
			walk(v.Elem())
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		}
	}
	for _, b := range s.blocks {
		walk(reflect.ValueOf(b))
	}
	if s.decoder != nil {
		for _, bn := range s.decoder.BatchNorms() {
			if !seen[bn] {
				seen[bn] = true
				out = append(out, bn)
			}
		}
	}
	return out
}

// bnStateTensors returns the running statistics of every BatchNorm in
// float64, as the ops keep them: the float32 state-dict buffers round them,
// and a resumed run must continue from the exact values.
func (s *Supernet) bnStateTensors() []weights.Tensor {
	var ts []weights.Tensor
	for i, bn := range s.bnOps() {
		m, v, _ := bn.RunningStats()
		ts = append(ts,
			weights.Tensor{Name: fmt.Sprintf("%s%d.running_mean", bn64Prefix, i), Shape: []int{len(m)}, Data: m},
			weights.Tensor{Name: fmt.Sprintf("%s%d.running_var", bn64Prefix, i), Shape: []int{len(v)}, Data: v})
	}
	return ts
}

const bn64Prefix = "nasx.bn64."

// setBNState restores the float64 running statistics written by bnStateTensors.
func (s *Supernet) setBNState(ts []weights.Tensor) error {
	byName := map[string][]float64{}
	for _, t := range ts {
		d, ok := t.Data.([]float64)
		if !ok {
			return fmt.Errorf("darts: checkpoint %s: want float64 data", t.Name)
		}
		byName[t.Name] = d
	}
	ops := s.bnOps()
	if len(byName) != 2*len(ops) {
		return fmt.Errorf("darts: checkpoint has %d float64 BatchNorm statistics, want %d", len(byName), 2*len(ops))
	}
	for i, bn := range ops {
		m := byName[fmt.Sprintf("%s%d.running_mean", bn64Prefix, i)]
		v := byName[fmt.Sprintf("%s%d.running_var", bn64Prefix, i)]
		_, _, nb := bn.RunningStats()
		if err := bn.SetRunningStats(m, v, nb); err != nil {
			return fmt.Errorf("darts: checkpoint BatchNorm %d: %w", i, err)
		}
	}
	return nil
}
