package nn

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/optim"
	"github.com/nasx/nasx/internal/weights"
)

// Kind tells learnable parameters from buffers.
type Kind int

const (
	// Learnable is a parameter trained by an optimiser (torch: parameters()).
	Learnable Kind = iota
	// Buffer is saved state that is not trained (torch: buffers()), such as
	// BatchNorm's running statistics.
	Buffer
)

func (k Kind) String() string {
	if k == Learnable {
		return "learnable"
	}
	return "buffer"
}

// BufferValue is the storage of a buffer: a BatchNorm op's running
// statistics, for example, which live inside the op rather than in a node.
type BufferValue interface {
	// State returns a copy of the current value (its Name is ignored).
	State() weights.Tensor
	// Load replaces the value with t, which has State's shape and dtype.
	Load(t weights.Tensor) error
}

// Entry is one named tensor of a registry.
type Entry struct {
	Name   string
	Kind   Kind
	Node   *G.Node     // the learnable node; nil for buffers
	Buffer BufferValue // the buffer's storage; nil for learnables
}

// Params is an ordered registry of named learnables and buffers; the order is
// registration order, as torch's state_dict. The zero value is empty and
// ready to use.
type Params struct {
	entries []Entry
	index   map[string]int
}

// validName reports whether name is a state-dict key: dot-separated
// non-empty components without spaces.
func validName(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	for _, part := range strings.Split(name, ".") {
		if part == "" {
			return fmt.Errorf("name %q has an empty component", name)
		}
	}
	if strings.ContainsAny(name, " \t\n\"") || name == weights.MetadataKey {
		return fmt.Errorf("name %q contains a space or quote or is reserved", name)
	}
	return nil
}

func (p *Params) add(e Entry) error {
	if err := validName(e.Name); err != nil {
		return fmt.Errorf("nn: %w", err)
	}
	if _, dup := p.index[e.Name]; dup {
		return fmt.Errorf("nn: %q is registered twice", e.Name)
	}
	if p.index == nil {
		p.index = map[string]int{}
	}
	p.index[e.Name] = len(p.entries)
	p.entries = append(p.entries, e)
	return nil
}

// AddLearnable registers the learnable node n under name. Its value must be
// a float32 or float64 *tensor.Dense by the time the state dict is read.
func (p *Params) AddLearnable(name string, n *G.Node) error {
	if n == nil {
		return fmt.Errorf("nn: learnable %q: nil node", name)
	}
	return p.add(Entry{Name: name, Kind: Learnable, Node: n})
}

// AddBuffer registers the buffer b under name.
func (p *Params) AddBuffer(name string, b BufferValue) error {
	if b == nil {
		return fmt.Errorf("nn: buffer %q: nil value", name)
	}
	return p.add(Entry{Name: name, Kind: Buffer, Buffer: b})
}

// AddModule registers every entry of child under prefix + "." + its name
// (torch's child-module naming: "cells.0" + "._ops.3.op.1.weight").
func (p *Params) AddModule(prefix string, child *Params) error {
	for _, e := range child.entries {
		e.Name = prefix + "." + e.Name
		if err := p.add(e); err != nil {
			return err
		}
	}
	return nil
}

// Len returns the number of entries.
func (p *Params) Len() int { return len(p.entries) }

// Entries returns the entries in registration order.
func (p *Params) Entries() []Entry { return slices.Clone(p.entries) }

// Get returns the entry named name.
func (p *Params) Get(name string) (Entry, bool) {
	i, ok := p.index[name]
	if !ok {
		return Entry{}, false
	}
	return p.entries[i], true
}

// Learnables returns the learnable nodes in registration order.
func (p *Params) Learnables() G.Nodes {
	var out G.Nodes
	for _, e := range p.entries {
		if e.Kind == Learnable {
			out = append(out, e.Node)
		}
	}
	return out
}

// NumLearnable returns the number of learnable scalars (torch:
// sum(p.numel() for p in model.parameters())).
func (p *Params) NumLearnable() int {
	n := 0
	for _, e := range p.entries {
		if e.Kind == Learnable {
			n += e.Node.Shape().TotalSize()
		}
	}
	return n
}

// OptimParams returns the learnables of p as optimiser params named by
// their registry names, with gradients read through node.Grad() (see
// optim.Node). T must be the nodes' element type.
func OptimParams[T optim.Float](p *Params) []optim.Param[T] {
	var out []optim.Param[T]
	for _, e := range p.entries {
		if e.Kind == Learnable {
			out = append(out, optim.NewNode[T](e.Name, e.Node))
		}
	}
	return out
}

// StateDict returns a copy of every entry as a weights.Tensor, in
// registration order, ready for weights.WriteFile.
func (p *Params) StateDict() ([]weights.Tensor, error) {
	out := make([]weights.Tensor, 0, len(p.entries))
	for _, e := range p.entries {
		t, err := e.state()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func (e Entry) state() (weights.Tensor, error) {
	if e.Kind == Buffer {
		t := e.Buffer.State()
		t.Name = e.Name
		return t, nil
	}
	d, err := nodeDense(e)
	if err != nil {
		return weights.Tensor{}, err
	}
	t := weights.Tensor{Name: e.Name, Shape: slices.Clone([]int(d.Shape()))}
	switch v := d.Data().(type) {
	case []float32:
		t.Data = slices.Clone(v)
	case []float64:
		t.Data = slices.Clone(v)
	default:
		return weights.Tensor{}, fmt.Errorf("nn: learnable %q has dtype %v, want float32 or float64", e.Name, d.Dtype())
	}
	return t, nil
}

func nodeDense(e Entry) (*tensor.Dense, error) {
	v := e.Node.Value()
	if v == nil {
		return nil, fmt.Errorf("nn: learnable %q has no value (bind one with G.WithValue or G.WithInit)", e.Name)
	}
	d, ok := v.(*tensor.Dense)
	if !ok || d.IsScalar() {
		return nil, fmt.Errorf("nn: learnable %q: value is a %T of shape %v, want a *tensor.Dense with at least one dimension", e.Name, v, v.Shape())
	}
	return d, nil
}

// LoadStateDict copies the tensors of sd into the registered entries, in
// place. Float tensors are converted between float32 and float64 as torch's
// load_state_dict does; shapes must match exactly. With strict, every entry
// must be present in sd and sd must hold nothing else (torch's strict=True);
// all such problems are reported together. Nothing is changed if any error
// is found.
func (p *Params) LoadStateDict(sd []weights.Tensor, strict bool) error {
	var errs []error
	seen := map[string]bool{}
	var unexpected []string
	type job struct {
		e Entry
		t weights.Tensor
	}
	var jobs []job
	for _, t := range sd {
		if seen[t.Name] {
			errs = append(errs, fmt.Errorf("%q appears twice in the state dict", t.Name))
			continue
		}
		seen[t.Name] = true
		e, ok := p.Get(t.Name)
		if !ok {
			unexpected = append(unexpected, t.Name)
			continue
		}
		cur, err := e.state()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !slices.Equal(cur.Shape, t.Shape) {
			errs = append(errs, fmt.Errorf("size mismatch for %s: copying a param with shape %v from checkpoint, the shape in current model is %v", t.Name, t.Shape, cur.Shape))
			continue
		}
		conv, err := convertLike(cur, t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		jobs = append(jobs, job{e, conv})
	}
	if strict {
		var missing []string
		for _, e := range p.entries {
			if !seen[e.Name] {
				missing = append(missing, e.Name)
			}
		}
		if len(missing) > 0 {
			errs = append(errs, fmt.Errorf("missing keys: %s", quoteList(missing)))
		}
		if len(unexpected) > 0 {
			errs = append(errs, fmt.Errorf("unexpected keys: %s", quoteList(unexpected)))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("nn: load state dict: %w", errors.Join(errs...))
	}
	for _, j := range jobs {
		if j.e.Kind == Buffer {
			if err := j.e.Buffer.Load(j.t); err != nil {
				return fmt.Errorf("nn: load state dict: buffer %q: %w", j.e.Name, err)
			}
			continue
		}
		d, _ := nodeDense(j.e)
		switch dst := d.Data().(type) {
		case []float32:
			copy(dst, j.t.Data.([]float32))
		case []float64:
			copy(dst, j.t.Data.([]float64))
		}
	}
	return nil
}

// convertLike returns t's data converted to cur's dtype: float32 and float64
// convert into each other; I64 loads only into I64.
func convertLike(cur, t weights.Tensor) (weights.Tensor, error) {
	cdt, err := cur.DType()
	if err != nil {
		return t, err
	}
	tdt, err := t.DType()
	if err != nil {
		return t, err
	}
	if cdt == tdt {
		return t, nil
	}
	out := weights.Tensor{Name: t.Name, Shape: t.Shape}
	switch {
	case cdt == weights.F32 && tdt == weights.F64:
		src := t.Data.([]float64)
		d := make([]float32, len(src))
		for i, v := range src {
			d[i] = float32(v)
		}
		out.Data = d
	case cdt == weights.F64 && tdt == weights.F32:
		src := t.Data.([]float32)
		d := make([]float64, len(src))
		for i, v := range src {
			d[i] = float64(v)
		}
		out.Data = d
	default:
		return t, fmt.Errorf("dtype mismatch for %s: checkpoint has %s, the model has %s", t.Name, tdt, cdt)
	}
	return out, nil
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// Save writes the state dict of p to path as safetensors (atomically), with
// metadata {"format": "pt"} as torch's safetensors.torch.save_file writes.
func (p *Params) Save(path string) error {
	sd, err := p.StateDict()
	if err != nil {
		return err
	}
	return weights.WriteFile(path, sd, map[string]string{"format": "pt"})
}

// Load reads the safetensors file at path into p; see LoadStateDict.
func (p *Params) Load(path string, strict bool) error {
	f, err := weights.ReadFile(path)
	if err != nil {
		return err
	}
	if err := p.LoadStateDict(f.Tensors, strict); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// DenseBuffer is a BufferValue stored in a *tensor.Dense (float32, float64
// or int64).
type DenseBuffer struct{ T *tensor.Dense }

var _ BufferValue = DenseBuffer{}

// State returns a copy of the tensor.
func (b DenseBuffer) State() weights.Tensor {
	t := weights.Tensor{Shape: slices.Clone([]int(b.T.Shape()))}
	if b.T.IsScalar() { // a scalar Dense holds its value unboxed
		t.Shape = []int{}
	}
	switch v := b.T.Data().(type) {
	case float32:
		t.Data = []float32{v}
	case float64:
		t.Data = []float64{v}
	case int64:
		t.Data = []int64{v}
	case []float32:
		t.Data = slices.Clone(v)
	case []float64:
		t.Data = slices.Clone(v)
	case []int64:
		t.Data = slices.Clone(v)
	}
	return t
}

// Load copies t's data into the tensor.
func (b DenseBuffer) Load(t weights.Tensor) error {
	switch dst := b.T.Data().(type) {
	case float32:
		b.T.Set(0, t.Data.([]float32)[0])
	case float64:
		b.T.Set(0, t.Data.([]float64)[0])
	case int64:
		b.T.Set(0, t.Data.([]int64)[0])
	case []float32:
		copy(dst, t.Data.([]float32))
	case []float64:
		copy(dst, t.Data.([]float64))
	case []int64:
		copy(dst, t.Data.([]int64))
	default:
		return fmt.Errorf("dtype %v is not supported", b.T.Dtype())
	}
	return nil
}

// FuncBuffer is a BufferValue given by two functions, for state kept inside
// an op (for example a BatchNorm op's RunningStats and SetRunningStats).
type FuncBuffer struct {
	Get func() weights.Tensor      // returns a copy of the value
	Set func(weights.Tensor) error // replaces the value
	// Snap, if set, records the storage exactly and returns a function that
	// restores it, for storage more precise than the state-dict tensor
	// (BatchNorm's float64 running statistics in a float32 network). See
	// Params.SnapshotBuffers.
	Snap func() (restore func() error)
}

var _ BufferValue = FuncBuffer{}

// State calls Get.
func (b FuncBuffer) State() weights.Tensor { return b.Get() }

// Load calls Set.
func (b FuncBuffer) Load(t weights.Tensor) error { return b.Set(t) }

// snapshot returns a function restoring the buffer's current value: exactly
// through Snap when set, else through State and Load.
func snapshot(b BufferValue) func() error {
	if f, ok := b.(FuncBuffer); ok && f.Snap != nil {
		return f.Snap()
	}
	t := b.State()
	return func() error { return b.Load(t) }
}

// SnapshotBuffers records every buffer of p (BatchNorm running statistics,
// for example) and returns a function that restores them exactly. It lets a
// pass run "on a copy of the model" as far as the buffers go, as DARTS'
// second-order step does with its unrolled model.
func (p *Params) SnapshotBuffers() (restore func() error) {
	var rs []func() error
	for _, e := range p.entries {
		if e.Kind == Buffer {
			rs = append(rs, snapshot(e.Buffer))
		}
	}
	return func() error {
		for _, r := range rs {
			if err := r(); err != nil {
				return fmt.Errorf("nn: restore buffers: %w", err)
			}
		}
		return nil
	}
}
