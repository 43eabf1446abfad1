package numtest

import (
	"fmt"
	"hash"
	"hash/fnv"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestClose(t *testing.T) {
	tests := []struct {
		name       string
		got, want  []float64
		atol, rtol float64
		ok         bool
		inMsg      string
	}{
		{"equal", []float64{1, 2}, []float64{1, 2}, 0, 0, true, ""},
		{"within atol", []float64{1 + 1e-6}, []float64{1}, 1e-5, 0, true, ""},
		{"within rtol", []float64{101}, []float64{100}, 0, 0.011, true, ""},
		{"outside", []float64{1, 2.5, 3.1}, []float64{1, 2, 3}, 1e-3, 0, false, "2 of 3 elements differ"},
		{"worst reported", []float64{1.1, 5}, []float64{1, 2}, 0, 0, false, "worst at [1]"},
		{"nan", []float64{0, 0}, []float64{0, nan()}, 1, 1, false, "first at [1]"},
		{"length", []float64{1}, []float64{1, 2}, 1, 1, false, "length mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, msg := Close(tt.got, tt.want, tt.atol, tt.rtol)
			if ok != tt.ok || !strings.Contains(msg, tt.inMsg) {
				t.Errorf("Close(%v, %v, %g, %g) = %v, %q; want %v and a message containing %q",
					tt.got, tt.want, tt.atol, tt.rtol, ok, msg, tt.ok, tt.inMsg)
			}
		})
	}
	if ok, _ := Close([]float32{1, 2}, []float32{1, 2.0001}, 1e-5, 1e-4); !ok {
		t.Error("Close on float32 within rtol 1e-4: got false, want true")
	}
}

func nan() float64 { z := 0.0; return z / z }

// The fixtures come from testdata/gen_npy.py (numpy 1.24.2).
func TestReadNpy(t *testing.T) {
	d := MustReadNpy(t, filepath.Join("testdata", "f4_2x3.npy"))
	if d.Dtype() != tensor.Float32 || !d.Shape().Eq(tensor.Shape{2, 3}) {
		t.Fatalf("f4_2x3.npy: dtype %v shape %v, want float32 (2, 3)", d.Dtype(), d.Shape())
	}
	AllClose(t, d.Float32s(), []float32{-0.5, -0.25, 0, 0.25, 0.5, 0.75}, 0, 0)

	d = MustReadNpy(t, filepath.Join("testdata", "f8_3.npy"))
	if d.Dtype() != tensor.Float64 || !d.Shape().Eq(tensor.Shape{3}) {
		t.Fatalf("f8_3.npy: dtype %v shape %v, want float64 (3)", d.Dtype(), d.Shape())
	}
	AllClose(t, d.Float64s(), []float64{1.5, -2.25, 1e-300}, 0, 0)

	d = MustReadNpy(t, filepath.Join("testdata", "f8_scalar.npy"))
	AllClose(t, d.Float64s(), []float64{3.25}, 0, 0)

	for _, bad := range []struct{ file, msg string }{
		{"i4_2.npy", "descr \"<i4\" not supported"},
		{"f4_fortran.npy", "fortran_order"},
		{"missing.npy", "no such file"},
		{"gen_npy.py", "bad magic"},
	} {
		_, err := ReadNpy(filepath.Join("testdata", bad.file))
		if err == nil || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("ReadNpy(%s) error = %v, want one containing %q", bad.file, err, bad.msg)
		}
	}
}

func FuzzDecodeNpy(f *testing.F) {
	f.Add([]byte("\x93NUMPY\x01\x00\x1c\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\x00\x00\x80\x3f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeNpy(strings.NewReader(string(b)))
		if err == nil && d.Shape().TotalSize() == 0 {
			t.Fatal("empty tensor without error")
		}
	})
}

// TestCheckGradBuiltin checks a correct gradient: gorgonia's x*x*y, whose gradient is well known.
func TestCheckGradBuiltin(t *testing.T) {
	x := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{0.3, -1.2, 2, 0.7, -0.1, 1.5}))
	y := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{1, 2, -3, 0.5, 4, -0.25}))
	CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
		return G.Must(G.HadamardProd(G.Must(G.HadamardProd(in[0], in[0])), in[1]))
	}, []*tensor.Dense{x, y}, 1e-7)
}

// TestCheckGradCatchesWrongGradient proves CheckGrad can fail: scaleOp doubles its input but claims a
// gradient of 3·grad.
func TestCheckGradCatchesWrongGradient(t *testing.T) {
	rec := &recorder{TB: t}
	x := tensor.New(tensor.WithShape(4), tensor.WithBacking([]float64{1, 2, 3, 4}))
	CheckGrad(rec, func(g *G.ExprGraph, in G.Nodes) *G.Node {
		return G.Must(G.ApplyOp(scaleOp{2, 3}, in[0]))
	}, []*tensor.Dense{x}, 1e-6)
	if len(rec.errs) == 0 {
		t.Fatal("CheckGrad accepted a gradient off by a factor 1.5")
	}
	if !strings.Contains(rec.errs[0], "input 0") {
		t.Errorf("CheckGrad error %q does not name the input", rec.errs[0])
	}
	// The same op with the right gradient passes.
	CheckGrad(t, func(g *G.ExprGraph, in G.Nodes) *G.Node {
		return G.Must(G.ApplyOp(scaleOp{2, 2}, in[0]))
	}, []*tensor.Dense{x}, 1e-7)
}

type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.TB.Helper()
	r.TB.Fatalf(format, args...)
}

// scaleOp computes fwd·x; its SymDiff claims the gradient bwd·grad.
type scaleOp struct{ fwd, bwd float64 }

func (op scaleOp) Arity() int { return 1 }
func (op scaleOp) Type() hm.Type {
	a := G.TensorType{Dims: 1, Of: hm.TypeVariable('a')}
	return hm.NewFnType(a, a)
}
func (op scaleOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}
func (op scaleOp) Do(in ...G.Value) (G.Value, error) {
	x := in[0].(*tensor.Dense)
	out := x.Clone().(*tensor.Dense)
	for i, v := range x.Float64s() {
		out.Float64s()[i] = op.fwd * v
	}
	return out, nil
}
func (op scaleOp) ReturnsPtr() bool      { return false }
func (op scaleOp) CallsExtern() bool     { return false }
func (op scaleOp) OverwritesInput() int  { return -1 }
func (op scaleOp) String() string        { return fmt.Sprintf("scale{%g,%g}", op.fwd, op.bwd) }
func (op scaleOp) WriteHash(h hash.Hash) { h.Write([]byte(op.String())) }
func (op scaleOp) Hashcode() uint32      { h := fnv.New32a(); op.WriteHash(h); return h.Sum32() }
func (op scaleOp) DiffWRT(int) []bool    { return []bool{true} }
func (op scaleOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if op.fwd == op.bwd {
		d, err := G.ApplyOp(scaleOp{op.bwd, op.bwd}, grad)
		return G.Nodes{d}, err
	}
	d, err := G.ApplyOp(scaleOp{op.bwd, -1}, grad)
	return G.Nodes{d}, err
}
