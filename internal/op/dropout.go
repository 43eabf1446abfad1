package op

import (
	"fmt"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/kernel"
)

// Dropout is a dropout layer with its own seeded random stream: in training each forward pass draws a fresh
// keep mask, Bernoulli(1−p), scaled by 1/(1−p) (inverted dropout, as torch.nn.Dropout); in evaluation it is the
// identity. With PerSample set it is DARTS' drop-path (utils.drop_path): one keep draw per sample (the first
// axis) applied to the whole sample, scaled by 1/keep.
//
// The mask of the latest forward pass is stored with the node that Apply returns (one value per element, or per
// sample), already scaled, in the dtype of the input; the backward op of that node multiplies dy by it. The TapeMachine runs a
// step's forward before its backward, so the backward always sees the mask its forward drew. Draws come from
// a PCG seeded with the layer's seed, so runs are deterministic for a given seed and order of steps. Every
// instance has a unique id, so two layers on the same input never merge.
type Dropout struct {
	id        uint64
	perSample bool
	seed      uint64

	mu       sync.Mutex
	p        float64
	training bool
	src      kernel.PCG // the random stream (math/rand/v2's PCG), whose state RNGState and SetRNGState save and restore
	last     *dropState // the application whose forward pass ran last, for Mask
}

// dropState is the mask of one application of a layer (one node): its forward pass writes it, its backward
// pass reads it. Each Apply gets its own, so a layer applied to two inputs draws and keeps two masks, as a
// torch module called twice does.
type dropState struct {
	mask any // []float32 or []float64: the scaled keep mask of the latest forward pass in training; nil otherwise
}

// NewDropout returns an element-wise dropout layer with drop probability p, in training mode.
func NewDropout(p float64, seed uint64) (*Dropout, error) { return newDropout(p, seed, false) }

// NewDropPath returns a drop-path layer (per-sample dropout, DARTS' drop_path) with drop probability p.
func NewDropPath(p float64, seed uint64) (*Dropout, error) { return newDropout(p, seed, true) }

func newDropout(p float64, seed uint64, perSample bool) (*Dropout, error) {
	d := &Dropout{id: nextID(), perSample: perSample, seed: seed, training: true, src: kernel.NewPCG(seed, 0x6e617378)}
	if err := d.SetP(p); err != nil {
		return nil, err
	}
	return d, nil
}

// SetP changes the drop probability (DARTS raises drop_path_prob linearly over the epochs). p must be in
// [0, 1]; with p = 1 everything is dropped (output 0), as torch.
func (d *Dropout) SetP(p float64) error {
	if !(p >= 0 && p <= 1) {
		return fmt.Errorf("op %s: drop probability %v, want in [0, 1]", d.name(), p)
	}
	d.mu.Lock()
	d.p = p
	d.mu.Unlock()
	return nil
}

// P returns the drop probability.
func (d *Dropout) P() float64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.p
}

// SetTraining selects training (random masks) or evaluation (identity). Building a TapeMachine also sets the
// mode (evaluation with gorgonia.EvalMode()), as for BatchNorm2d.
func (d *Dropout) SetTraining(training bool) {
	d.mu.Lock()
	d.training = training
	d.mu.Unlock()
}

// Mask returns a float64 copy of the scaled keep mask drawn by the latest forward pass in training (one entry
// per element, or per sample for drop-path), or nil before the first one and after an evaluation pass.
func (d *Dropout) Mask() []float64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last == nil {
		return nil
	}
	switch m := d.last.mask.(type) {
	case []float32:
		out := make([]float64, len(m))
		for i, v := range m {
			out[i] = float64(v)
		}
		return out
	case []float64:
		return append([]float64(nil), m...)
	}
	return nil
}

// RNGState returns the state of the layer's random stream (PCG.MarshalBinary), for checkpoints: a layer given
// it back with SetRNGState draws the same masks from then on as the layer it came from.
func (d *Dropout) RNGState() ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.src.MarshalBinary()
}

// SetRNGState restores a state returned by RNGState.
func (d *Dropout) SetRNGState(b []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.src.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("op %s: random state: %w", d.nameFor(0), err)
	}
	return nil
}

func (d *Dropout) name() string { return d.nameFor(0) }

// nameFor is the canonical name of application app of the layer (0: the layer itself).
func (d *Dropout) nameFor(app uint64) string {
	kind := "Dropout"
	if d.perSample {
		kind = "DropPath"
	}
	if app == 0 {
		return describe(kind, d.id, d.seed)
	}
	return describe(kind, d.id, d.seed, app)
}

// Apply returns the dropped-out x (any shape; drop-path wants the samples on the first axis).
func (d *Dropout) Apply(x *G.Node) (*G.Node, error) {
	app := nextID() // each application is its own node with its own mask
	name := d.nameFor(app)
	if d.perSample && x.Dims() < 1 {
		return nil, shapeErrorf(name, "x is a scalar, want samples on the first axis")
	}
	st := &dropState{}
	tx := tensorType(x.Dims())
	o := &funcOp{name: name, arity: 1, typ: fnType(tx, tx), shape: sameShape, diffWRT: []bool{true}, training: d.SetTraining}
	o.do = func(in []G.Value) (G.Value, error) {
		ds, dt, err := denseArgs(name, in)
		if err != nil {
			return nil, err
		}
		y := newOut(dt, ds[0].Shape()...)
		byDtype(dt, func() { dropForward[float32](d, st, y, ds[0]) }, func() { dropForward[float64](d, st, y, ds[0]) })
		return y, nil
	}
	o.symDiff = func(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		b := &funcOp{name: describe("DropoutGrad", d.id, app), arity: 1, typ: fnType(tx, tx), shape: sameShape}
		b.do = func(vs []G.Value) (G.Value, error) {
			ds, dt, err := denseArgs(b.name, vs)
			if err != nil {
				return nil, err
			}
			dx := newOut(dt, ds[0].Shape()...)
			byDtype(dt, func() { err = dropBackward[float32](d, st, b.name, dx, ds[0]) },
				func() { err = dropBackward[float64](d, st, b.name, dx, ds[0]) })
			return dx, err
		}
		dx, err := apply(b, grad)
		return G.Nodes{dx}, err
	}
	return apply(o, x)
}

// blocks returns the number of mask entries and the elements per entry for a tensor of shape s.
func (d *Dropout) blocks(s tensor.Shape) (n, block int) {
	total := s.TotalSize()
	if !d.perSample {
		return total, 1
	}
	if s[0] == 0 {
		return 0, 0
	}
	return s[0], total / s[0]
}

func dropForward[T kernel.Float](d *Dropout, st *dropState, y, x *tensor.Dense) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.last = st
	if !d.training || d.p == 0 {
		kernel.Copy(data[T](y), data[T](x))
		st.mask = nil
		return
	}
	n, block := d.blocks(x.Shape())
	mask, _ := st.mask.([]T)
	if len(mask) != n {
		mask = make([]T, n)
	}
	keep := 1 - d.p
	var scale T
	if keep > 0 {
		scale = T(1 / keep)
	}
	// Each 64-bit draw decides two elements: element i is kept when its 32-bit half is below keep·2³²
	// (the probability keep to within 2⁻³²), half the generator calls of a float draw per element. The
	// element-wise mask is drawn and applied in one pass, over the cores (the stream jumps ahead per chunk).
	thr := uint64(keep * (1 << 32))
	if keep >= 1 {
		thr = 1 << 32
	}
	st.mask = mask
	if block == 1 {
		kernel.DropMask(data[T](y), data[T](x), mask, &d.src, thr, scale, 1)
		return
	}
	kernel.DropMask(nil, nil, mask, &d.src, thr, scale, 0)
	kernel.MulBlocks(data[T](y), data[T](x), mask, block)
}

func dropBackward[T kernel.Float](d *Dropout, st *dropState, name string, dx, dy *tensor.Dense) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if st.mask == nil {
		kernel.Copy(data[T](dx), data[T](dy)) // evaluation, or p = 0: identity
		return nil
	}
	mask, ok := st.mask.([]T)
	n, block := d.blocks(dy.Shape())
	if !ok || len(mask) != n {
		return fmt.Errorf("op %s: no mask of the forward pass for a gradient of shape %v (run the forward pass first)", name, dy.Shape())
	}
	kernel.MulBlocks(data[T](dx), data[T](dy), mask, block)
	return nil
}
