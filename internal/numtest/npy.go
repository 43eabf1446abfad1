package numtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

var (
	npyMagic   = []byte("\x93NUMPY")
	reDescr    = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	reFortran  = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	reShape    = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
	maxNpyElem = 1 << 28
)

// ReadNpy reads a NumPy .npy file of little-endian float32 ('<f4') or float64 ('<f8') data in C order
// (format versions 1.0 to 3.0) into a dense tensor of that dtype and shape. A 0-d array becomes shape (1).
func ReadNpy(path string) (*tensor.Dense, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := DecodeNpy(f)
	if err != nil {
		return nil, fmt.Errorf("numtest: %s: %w", path, err)
	}
	return d, nil
}

// DecodeNpy decodes .npy data from r; see ReadNpy for what it accepts.
func DecodeNpy(r io.Reader) (*tensor.Dense, error) {
	pre := make([]byte, 8)
	if _, err := io.ReadFull(r, pre); err != nil {
		return nil, fmt.Errorf("npy preamble: %w", err)
	}
	if !bytes.Equal(pre[:6], npyMagic) {
		return nil, fmt.Errorf("not an .npy file (bad magic %q)", pre[:6])
	}
	var hlen int
	switch pre[6] {
	case 1:
		b := make([]byte, 2)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("npy header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint16(b))
	case 2, 3:
		b := make([]byte, 4)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("npy header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint32(b))
		if hlen > 1<<20 {
			return nil, fmt.Errorf("npy header length %d too large", hlen)
		}
	default:
		return nil, fmt.Errorf("npy format version %d.%d not supported (want 1.0-3.0)", pre[6], pre[7])
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, fmt.Errorf("npy header: %w", err)
	}
	h := string(hb)
	m := reDescr.FindStringSubmatch(h)
	if m == nil {
		return nil, fmt.Errorf("npy header %q: no descr", h)
	}
	var dt tensor.Dtype
	var size int
	switch m[1] {
	case "<f4":
		dt, size = tensor.Float32, 4
	case "<f8":
		dt, size = tensor.Float64, 8
	default:
		return nil, fmt.Errorf("npy descr %q not supported (want '<f4' or '<f8')", m[1])
	}
	if m := reFortran.FindStringSubmatch(h); m == nil || m[1] != "False" {
		return nil, fmt.Errorf("npy header %q: want fortran_order False", h)
	}
	m = reShape.FindStringSubmatch(h)
	if m == nil {
		return nil, fmt.Errorf("npy header %q: no shape", h)
	}
	var shape []int
	n := 1
	for _, f := range strings.Split(m[1], ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("npy shape (%s): bad dimension %q", m[1], f)
		}
		shape = append(shape, v)
		if v > 0 && n > maxNpyElem/v {
			return nil, fmt.Errorf("npy shape (%s): more than %d elements", m[1], maxNpyElem)
		}
		n *= v
	}
	if len(shape) == 0 {
		shape = []int{1}
	}
	raw := make([]byte, n*size)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, fmt.Errorf("npy data: want %d bytes: %w", n*size, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("npy shape (%s): empty arrays not supported", m[1])
	}
	if dt == tensor.Float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v)), nil
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v)), nil
}

// MustReadNpy reads a fixture with ReadNpy and fails t at once if it cannot.
func MustReadNpy(t testing.TB, path string) *tensor.Dense {
	t.Helper()
	d, err := ReadNpy(path)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
