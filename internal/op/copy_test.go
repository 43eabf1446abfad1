package op

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestConcatSliceBlockCopies checks the block-copy paths of gorgonia's Concat and Slice (the fork's
// op_tensor_copy.go) against the tensor package's element-by-element copies, which the fork used before:
// every axis of 2-D to 4-D tensors, inputs of equal and of different widths, single indices (which drop the
// axis) and ranges, float32 and float64, on one core and on several. The sizes reach past the fork's
// 16 Ki-element pieces, so that the copies are split.
func TestConcatSliceBlockCopies(t *testing.T) {
	if G.ParallelFor == nil {
		t.Fatal("the op package did not set gorgonia.ParallelFor")
	}
	rng := rand.New(rand.NewPCG(3, 5))
	random := func(dt tensor.Dtype, shape ...int) *tensor.Dense {
		d := tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
		switch v := d.Data().(type) {
		case []float32:
			for i := range v {
				v[i] = rng.Float32()
			}
		case []float64:
			for i := range v {
				v[i] = rng.Float64()
			}
		}
		return d
	}
	same := func(a, b tensor.Tensor) bool {
		if !a.Shape().Eq(b.Shape()) {
			return false
		}
		switch av := a.Data().(type) {
		case []float32:
			return slices.Equal(av, b.Data().([]float32))
		case []float64:
			return slices.Equal(av, b.Data().([]float64))
		}
		return false
	}
	shapes := [][]int{{7, 5}, {3, 4, 5}, {32, 16, 16, 16}, {2, 3, 130, 129}}
	for _, procs := range []int{1, 3} {
		old := runtime.GOMAXPROCS(procs)
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			for _, shape := range shapes {
				for axis := range shape {
					name := fmt.Sprintf("procs=%d %v %v axis %d", procs, dt, shape, axis)
					// Concat: three inputs, the middle one of another width along axis.
					s1 := slices.Clone(shape)
					s1[axis] = shape[axis] + 2
					ins := []*tensor.Dense{random(dt, shape...), random(dt, s1...), random(dt, shape...)}
					g := G.NewGraph()
					nodes := make(G.Nodes, len(ins))
					for i, in := range ins {
						nodes[i] = G.NodeFromAny(g, in, G.WithName(fmt.Sprintf("x%d", i)))
					}
					cat, err := G.Concat(axis, nodes...)
					if err != nil {
						t.Fatal(err)
					}
					want, err := tensor.Concat(axis, ins[0], ins[1], ins[2])
					if err != nil {
						t.Fatal(err)
					}
					// Slice: a range and a single index of the first input.
					lo, hi := shape[axis]/3, shape[axis]-shape[axis]/4
					rng1, err := G.Slice(nodes[0], sliceAt(axis, len(shape), G.S(lo, hi))...)
					if err != nil {
						t.Fatal(err)
					}
					one, err := G.Slice(nodes[1], sliceAt(axis, len(shape), G.S(s1[axis]-1))...)
					if err != nil {
						t.Fatal(err)
					}
					m := G.NewTapeMachine(g)
					if err := m.RunAll(); err != nil {
						t.Fatal(err)
					}
					if !same(cat.Value().(tensor.Tensor), want) {
						t.Errorf("%s: Concat differs from tensor.Concat", name)
					}
					for _, c := range []struct {
						node *G.Node
						in   *tensor.Dense
						s    tensor.Slice
					}{{rng1, ins[0], G.S(lo, hi)}, {one, ins[1], G.S(s1[axis] - 1)}} {
						v, err := c.in.Slice(sliceAt(axis, len(shape), c.s)...)
						if err != nil {
							t.Fatal(err)
						}
						if !same(c.node.Value().(tensor.Tensor), v.(tensor.View).Materialize()) {
							t.Errorf("%s: Slice %v differs from the materialised view", name, c.s)
						}
					}
					m.Close()
				}
			}
		}
		runtime.GOMAXPROCS(old)
	}
}

// sliceAt returns the slices of a dims-dimensional tensor that take s along axis and everything elsewhere.
func sliceAt(axis, dims int, s tensor.Slice) []tensor.Slice {
	r := make([]tensor.Slice, dims)
	r[axis] = s
	return r
}

// TestAddFastPath checks the fork's fast path of gorgonia's Add (nasx_fastpaths.go) against element-wise
// sums in Go, in its three forms: a new output (Do), a preallocated one (UsePreallocDo) and in place
// (UnsafeDo), for float32 and float64, small and split over the cores, and that a scalar operand still
// takes upstream's path.
func TestAddFastPath(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, n := range []int{5, 3*16<<10 + 11} {
			rng := rand.New(rand.NewPCG(uint64(n), 1))
			vals := func() *tensor.Dense {
				d := tensor.New(tensor.Of(dt), tensor.WithShape(n))
				switch v := d.Data().(type) {
				case []float32:
					for i := range v {
						v[i] = rng.Float32() - 0.5
					}
				case []float64:
					for i := range v {
						v[i] = rng.Float64() - 0.5
					}
				}
				return d
			}
			x, y := vals(), vals()
			want := make([]float64, n)
			for i := range want {
				switch xv := x.Data().(type) {
				case []float32:
					want[i] = float64(xv[i] + y.Data().([]float32)[i])
				case []float64:
					want[i] = xv[i] + y.Data().([]float64)[i]
				}
			}
			check := func(form string, v G.Value) {
				t.Helper()
				var got []float64
				switch d := v.Data().(type) {
				case []float32:
					for _, e := range d {
						got = append(got, float64(e))
					}
				case []float64:
					got = d
				}
				if !slices.Equal(got, want) {
					t.Errorf("%v n=%d %s: x+y differs from the element-wise sum", dt, n, form)
				}
			}
			g := G.NewGraph()
			xn := G.NodeFromAny(g, x.Clone().(*tensor.Dense), G.WithName("x"))
			yn := G.NodeFromAny(g, y, G.WithName("y"))
			z, err := G.Add(xn, yn)
			if err != nil {
				t.Fatal(err)
			}
			m := G.NewTapeMachine(g)
			if err := m.RunAll(); err != nil {
				t.Fatal(err)
			}
			check("machine", z.Value())
			m.Close()

			v, err := z.Op().Do(x, y)
			if err != nil {
				t.Fatal(err)
			}
			check("Do", v)
			pre := tensor.New(tensor.Of(dt), tensor.WithShape(n))
			if v, err = z.Op().(G.UsePreallocDoer).UsePreallocDo(pre, x, y); err != nil {
				t.Fatal(err)
			}
			check("UsePreallocDo", pre)
			if v != G.Value(pre) {
				t.Errorf("%v n=%d: UsePreallocDo did not return the preallocated tensor", dt, n)
			}
			xc := x.Clone().(*tensor.Dense)
			if _, err = z.Op().(G.UnsafeDoer).UnsafeDo(xc, y); err != nil {
				t.Fatal(err)
			}
			check("UnsafeDo", xc)
		}
	}
	// A scalar operand is not a plain tensor: upstream's path broadcasts it.
	g := G.NewGraph()
	x := G.NodeFromAny(g, tensor.New(tensor.WithShape(3), tensor.WithBacking([]float32{1, 2, 3})), G.WithName("x"))
	z, err := G.Add(x, G.NewConstant(float32(0.5)))
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	if got := z.Value().Data().([]float32); !slices.Equal(got, []float32{1.5, 2.5, 3.5}) {
		t.Errorf("x + 0.5 = %v, want [1.5 2.5 3.5]", got)
	}
}
