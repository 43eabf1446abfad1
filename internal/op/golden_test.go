package op

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"gorgonia.org/tensor"

	"github.com/nasx/nasx/internal/numtest"
)

// PyTorch tolerances for float32 goldens (engine brief): atol 1e-5, rtol 1e-4.
const (
	goldenAtol = 1e-5
	goldenRtol = 1e-4
)

// fdTol is the finite-difference tolerance in float64: central differences with h = 1e-6 on losses of order
// 1..100 leave errors around 1e-8, so 1e-6 (relative, see numtest.CheckGrad) catches any real mistake.
const fdTol = 1e-6

func readCases(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// fixture reads testdata/<dir>/<name>_<key>.npy, or returns nil if it does not exist and optional is set.
func fixture(t *testing.T, dir, name, key string, optional bool) *tensor.Dense {
	t.Helper()
	p := filepath.Join("testdata", dir, name+"_"+key+".npy")
	if optional {
		if _, err := os.Stat(p); os.IsNotExist(err) {
			return nil
		}
	}
	return numtest.MustReadNpy(t, p)
}

// to64 returns a float64 copy of a float32 tensor.
func to64(d *tensor.Dense) *tensor.Dense {
	src := d.Float32s()
	v := make([]float64, len(src))
	for i, x := range src {
		v[i] = float64(x)
	}
	return tensor.New(tensor.WithShape(d.Shape().Clone()...), tensor.WithBacking(v))
}
