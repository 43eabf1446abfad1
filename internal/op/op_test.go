package op

import (
	"errors"
	"hash"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/numtest"
)

func TestDescribeAndHash(t *testing.T) {
	if got, want := describe("Conv2d", 3, []int{1, 2}, true, 0.5), "Conv2d{3,[1 2],true,0.5}"; got != want {
		t.Errorf("describe = %q, want %q", got, want)
	}
	a, b := hashOf("X", 1, 2), hashOf("X", 1, 3)
	if a == b {
		t.Errorf("hash of X{1,2} equals hash of X{1,3} (%d)", a)
	}
	if id1, id2 := nextID(), nextID(); id1 == id2 {
		t.Errorf("nextID returned %d twice", id1)
	}
}

type hashOnly struct {
	name   string
	params []any
}

func hashOf(name string, params ...any) uint32 { return hashcode(hashOnly{name, params}) }

func (h hashOnly) WriteHash(w hash.Hash) { writeHash(w, h.name, h.params...) }

func TestDenseArgs(t *testing.T) {
	f32 := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{1, 2}))
	f64 := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, 2}))
	i32 := tensor.New(tensor.WithShape(2), tensor.WithBacking([]int{1, 2}))
	if _, dt, err := denseArgs("T", []G.Value{f32, f32}); err != nil || dt != tensor.Float32 {
		t.Errorf("denseArgs(f32, f32) = %v, %v; want float32, nil", dt, err)
	}
	if _, _, err := denseArgs("T", []G.Value{f32, f64}); !errors.Is(err, ErrDtype) || !strings.Contains(err.Error(), "input 1") {
		t.Errorf("denseArgs(f32, f64) error = %v, want ErrDtype naming input 1", err)
	}
	if _, _, err := denseArgs("T", []G.Value{i32}); !errors.Is(err, ErrDtype) {
		t.Errorf("denseArgs(int) error = %v, want ErrDtype", err)
	}
	if err := shapeErrorf("Conv2d{1}", "input 0: got %v", tensor.Shape{2}); !errors.Is(err, ErrShape) ||
		err.Error() != "op Conv2d{1}: input 0: got (2): shape mismatch" {
		t.Errorf("shapeErrorf = %q", err)
	}
}

// TestDoOnView checks that an op given a strided view computes on the viewed elements, not on the view's
// backing array.
func TestDoOnView(t *testing.T) {
	base := tensor.New(tensor.WithShape(1, 2, 4, 4), tensor.WithBacking(tensor.Range(tensor.Float32, 0, 32)))
	view, err := base.Slice(nil, nil, nil, tensor.S(2, 4)) // columns 2..3: a strided view, shape (1, 2, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	op := poolOp{p: PoolParams{Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}}
	got, err := op.Do(view.(*tensor.Dense))
	if err != nil {
		t.Fatal(err)
	}
	// Channel c holds 16c..16c+15 row-major; each 2×2 window's maximum is its bottom-right element.
	numtest.AllClose(t, got.(*tensor.Dense).Float32s(), []float32{7, 15, 23, 31}, 0, 0)
}
