package op

import (
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/kernel"
	"github.com/nasx/nasx/internal/numtest"
)

// SwapAxes12 against gorgonia's own Transpose(x, 0, 2, 1, 3), forward, on both dtypes; the gradient by finite
// differences.
func TestSwapAxes12(t *testing.T) {
	const a, b, c, d = 2, 3, 4, 5
	vals := make([]float64, a*b*c*d)
	for i := range vals {
		vals[i] = float64(i)*0.37 - 3
	}
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		var x *tensor.Dense
		if dt == tensor.Float32 {
			f := make([]float32, len(vals))
			for i, v := range vals {
				f[i] = float32(v)
			}
			x = tensor.New(tensor.WithShape(a, b, c, d), tensor.WithBacking(f))
		} else {
			x = tensor.New(tensor.WithShape(a, b, c, d), tensor.WithBacking(append([]float64(nil), vals...)))
		}
		g := G.NewGraph()
		xn := G.NewTensor(g, dt, 4, G.WithShape(a, b, c, d), G.WithValue(x), G.WithName("x"))
		got, err := SwapAxes12(xn)
		if err != nil {
			t.Fatal(err)
		}
		want, err := G.Transpose(xn, 0, 2, 1, 3)
		if err != nil {
			t.Fatal(err)
		}
		var gv, wv G.Value
		G.Read(got, &gv)
		G.Read(want, &wv)
		m := G.NewTapeMachine(g)
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		m.Close()
		if !gv.Shape().Eq(tensor.Shape{a, c, b, d}) {
			t.Fatalf("%v: shape %v, want %v", dt, gv.Shape(), tensor.Shape{a, c, b, d})
		}
		wd := wv.(*tensor.Dense).Materialize().(*tensor.Dense)
		for i := range a * b * c * d {
			var p, q float64
			if dt == tensor.Float32 {
				p, q = float64(gv.Data().([]float32)[i]), float64(wd.Data().([]float32)[i])
			} else {
				p, q = gv.Data().([]float64)[i], wd.Data().([]float64)[i]
			}
			if p != q {
				t.Fatalf("%v: element %d = %g, gorgonia's Transpose gives %g", dt, i, p, q)
			}
		}
	}
	x := tensor.New(tensor.WithShape(a, b, c, d), tensor.WithBacking(append([]float64(nil), vals...)))
	numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node { return mustNode(t)(SwapAxes12(in[0])) },
		[]*tensor.Dense{x}, fdTol)
	if _, err := SwapAxes12(G.NewMatrix(G.NewGraph(), tensor.Float32, G.WithShape(2, 3), G.WithName("m"))); err == nil {
		t.Error("SwapAxes12 accepted a matrix")
	}
}

// RepeatAxis and SumAxis against hand-computed values (x = 0, 1, 2, ...), and their gradients by finite
// differences, on the first, a middle and the last axis.
func TestRepeatAndSumAxis(t *testing.T) {
	run := func(build func(*G.Node) (*G.Node, error), x *tensor.Dense) []float64 {
		g := G.NewGraph()
		xn := G.NewTensor(g, tensor.Float64, x.Dims(), G.WithShape(x.Shape()...), G.WithValue(x), G.WithName("x"))
		y, err := build(xn)
		if err != nil {
			t.Fatal(err)
		}
		var v G.Value
		G.Read(y, &v)
		m := G.NewTapeMachine(g)
		defer m.Close()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		return v.Data().([]float64)
	}
	iota := func(shape ...int) *tensor.Dense {
		d := make([]float64, tensor.Shape(shape).TotalSize())
		for i := range d {
			d[i] = float64(i)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))
	}
	// (2, 1, 3) repeated 2× on axis 1: each row of 3 twice.
	got := run(func(x *G.Node) (*G.Node, error) { return RepeatAxis(x, 1, 2) }, iota(2, 1, 3))
	want := []float64{0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5}
	numtest.AllClose(t, got, want, 0, 0)
	// (2, 3) summed on axis 0: column sums; on axis 1: row sums.
	numtest.AllClose(t, run(func(x *G.Node) (*G.Node, error) { return SumAxis(x, 0) }, iota(2, 3)), []float64{3, 5, 7}, 0, 0)
	numtest.AllClose(t, run(func(x *G.Node) (*G.Node, error) { return SumAxis(x, 1) }, iota(2, 3)), []float64{3, 12}, 0, 0)
	for axis, shape := range [][]int{{1, 3, 2}, {3, 1, 2}, {3, 2, 1}} {
		x := iota(shape...)
		numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node { return mustNode(t)(RepeatAxis(in[0], axis, 4)) },
			[]*tensor.Dense{x}, fdTol)
		numtest.CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node { return mustNode(t)(SumAxis(in[0], (axis+1)%3)) },
			[]*tensor.Dense{iota(shape...)}, fdTol)
	}
	if _, err := RepeatAxis(G.NewMatrix(G.NewGraph(), tensor.Float64, G.WithShape(2, 3), G.WithName("m")), 0, 2); err == nil {
		t.Error("RepeatAxis accepted an axis of size 2")
	}
}

// swap12 on a tensor large enough to be split over the cores (≥ kernel.MinParallel elements), at 1 and 3
// threads, against the index formula y[i][k][j][l] = x[i][j][k][l].
func TestSwap12Parallel(t *testing.T) {
	const a, b, c, d = 16, 31, 4, 33 // 65,472 elements: the parallel path
	if a*b*c*d < kernel.MinParallel {
		t.Fatalf("shape too small to reach the parallel path")
	}
	x := make([]float32, a*b*c*d)
	for i := range x {
		x[i] = float32(i)
	}
	for _, procs := range []int{1, 3} {
		old := runtime.GOMAXPROCS(procs)
		y := make([]float32, len(x))
		swap12(y, x, a, b, c, d)
		runtime.GOMAXPROCS(old)
		for i := range a {
			for j := range b {
				for k := range c {
					for l := range d {
						if got, want := y[((i*c+k)*b+j)*d+l], x[((i*b+j)*c+k)*d+l]; got != want {
							t.Fatalf("procs=%d: y[%d][%d][%d][%d] = %v, want %v", procs, i, k, j, l, got, want)
						}
					}
				}
			}
		}
	}
}
