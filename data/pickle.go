package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// This file decodes the pickled dicts of the downsampled-ImageNet batches
// with github.com/nlpodyssey/gopickle, adding the few numpy and codecs
// callables such pickles name. Python 2's cPickle (the str payload of
// BINSTRING), Python 3 at protocols 2 (bytes as _codecs.encode(str,
// "latin1")), 3 and 4 (BINBYTES) and 5 (in-band buffers with
// numpy.core.numeric._frombuffer) are understood. Protocols 0 and 1 store
// bytes as escaped text that gopickle does not unescape; such files are
// rejected by the array size check with a hint.

// ndarray is a decoded numpy array: its dtype string ("u1", "<i8"), shape
// and raw little-endian bytes.
type ndarray struct {
	dtype string
	shape []int
	data  []byte
}

// PySetState receives numpy's ndarray.__reduce__ state: (version, shape,
// dtype, is_fortran, rawdata), or the 4-tuple without version.
func (a *ndarray) PySetState(state interface{}) error {
	t, ok := state.(*types.Tuple)
	if !ok || (t.Len() != 5 && t.Len() != 4) {
		return fmt.Errorf("numpy array state: got %T, want a 4- or 5-tuple", state)
	}
	off := t.Len() - 4
	shape, err := intTuple(t.Get(off))
	if err != nil {
		return fmt.Errorf("numpy array shape: %w", err)
	}
	dt, ok := t.Get(off + 1).(*dtype)
	if !ok {
		return fmt.Errorf("numpy array dtype: got %T", t.Get(off+1))
	}
	if f, _ := t.Get(off + 2).(bool); f {
		return fmt.Errorf("numpy array: Fortran order is not supported")
	}
	data, err := rawBytes(t.Get(off + 3))
	if err != nil {
		return fmt.Errorf("numpy array data: %w", err)
	}
	a.dtype, a.shape, a.data = dt.str, shape, data
	return nil
}

// dtype is numpy.dtype(str, align, copy); BUILD passes its byte order.
type dtype struct{ str string }

func (d *dtype) PySetState(state interface{}) error {
	t, ok := state.(*types.Tuple)
	if ok && t.Len() > 1 {
		if bo, ok := t.Get(1).(string); ok && bo == ">" {
			return fmt.Errorf("numpy dtype %q: big-endian data is not supported", d.str)
		}
	}
	return nil
}

type callable func(args ...interface{}) (interface{}, error)

func (c callable) Call(args ...interface{}) (interface{}, error) { return c(args...) }

// findClass resolves the globals a numpy pickle names.
func findClass(module, name string) (interface{}, error) {
	switch module + "." + name {
	case "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct":
		return callable(func(args ...interface{}) (interface{}, error) { return &ndarray{}, nil }), nil
	case "numpy.ndarray":
		return types.NewGenericClass(module, name), nil
	case "numpy.dtype":
		return callable(func(args ...interface{}) (interface{}, error) {
			if len(args) < 1 {
				return nil, fmt.Errorf("numpy.dtype: no arguments")
			}
			s, ok := args[0].(string)
			if !ok {
				return nil, fmt.Errorf("numpy.dtype: got %T, want str", args[0])
			}
			return &dtype{str: s}, nil
		}), nil
	case "numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer":
		// _frombuffer(buffer, dtype, shape, order), protocol 5.
		return callable(func(args ...interface{}) (interface{}, error) {
			if len(args) != 4 {
				return nil, fmt.Errorf("numpy _frombuffer: %d arguments, want 4", len(args))
			}
			data, err := rawBytes(args[0])
			if err != nil {
				return nil, err
			}
			dt, ok := args[1].(*dtype)
			if !ok {
				return nil, fmt.Errorf("numpy _frombuffer dtype: got %T", args[1])
			}
			shape, err := intTuple(args[2])
			if err != nil {
				return nil, err
			}
			if o, _ := args[3].(string); o == "F" {
				return nil, fmt.Errorf("numpy array: Fortran order is not supported")
			}
			return &ndarray{dtype: dt.str, shape: shape, data: data}, nil
		}), nil
	case "_codecs.encode":
		// Python 3 pickles bytes at protocol < 3 as encode(str, "latin1").
		return callable(func(args ...interface{}) (interface{}, error) {
			if len(args) < 1 {
				return nil, fmt.Errorf("_codecs.encode: no arguments")
			}
			s, ok := args[0].(string)
			if !ok {
				return nil, fmt.Errorf("_codecs.encode: got %T, want str", args[0])
			}
			if len(args) > 1 {
				if enc, _ := args[1].(string); enc != "latin1" && enc != "latin-1" {
					return nil, fmt.Errorf("_codecs.encode: encoding %v, want latin1", args[1])
				}
			}
			b := make([]byte, 0, len(s))
			for _, r := range s {
				if r > 0xff {
					return nil, fmt.Errorf("_codecs.encode: rune %U is not latin1", r)
				}
				b = append(b, byte(r))
			}
			return b, nil
		}), nil
	}
	return nil, fmt.Errorf("unexpected global %s.%s (want a dict of numpy arrays and lists)", module, name)
}

// rawBytes accepts the byte payloads pickles produce: Python 2 str (a Go
// string of raw bytes), bytes, bytearray.
func rawBytes(v interface{}) ([]byte, error) {
	switch b := v.(type) {
	case string:
		return []byte(b), nil
	case []byte:
		return b, nil
	case *types.ByteArray:
		return []byte(*b), nil
	}
	return nil, fmt.Errorf("got %T, want bytes", v)
}

func intTuple(v interface{}) ([]int, error) {
	t, ok := v.(*types.Tuple)
	if !ok {
		return nil, fmt.Errorf("got %T, want a tuple of ints", v)
	}
	out := make([]int, t.Len())
	for i := range out {
		n, ok := t.Get(i).(int)
		if !ok || n < 0 {
			return nil, fmt.Errorf("element %d: got %v, want an int ≥ 0", i, t.Get(i))
		}
		out[i] = n
	}
	return out, nil
}

// unpickle decodes one pickle from b. It first walks the opcodes to check
// every length against the bytes left (so no corrupt length makes the
// decoder allocate absurd buffers), then decodes with gopickle, turning any
// panic into an error.
func unpickle(b []byte) (v interface{}, err error) {
	if err := scanPickle(b); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("corrupt pickle: %v", r)
		}
	}()
	u := pickle.NewUnpickler(bytes.NewReader(b))
	u.FindClass = findClass
	return u.Load()
}

// Pickle opcode argument kinds, as in Python's pickletools.
const (
	argNone = iota
	argFixed
	argLine
	argTwoLines
	argLen1
	argLen4
	argLen8
)

type opArg struct {
	kind int
	n    int // bytes for argFixed
}

var pickleOps = map[byte]opArg{
	'(': {}, '.': {}, '0': {}, '1': {}, '2': {}, 'N': {}, 'Q': {}, 'R': {}, 'a': {}, 'b': {}, 'd': {}, '}': {}, 'e': {},
	'l': {}, ']': {}, 'o': {}, 's': {}, 't': {}, ')': {}, 'u': {},
	0x81: {}, 0x85: {}, 0x86: {}, 0x87: {}, 0x88: {}, 0x89: {}, 0x8f: {}, 0x90: {}, 0x91: {}, 0x92: {}, 0x93: {}, 0x94: {},
	0x97: {}, 0x98: {},
	'F': {kind: argLine}, 'I': {kind: argLine}, 'L': {kind: argLine}, 'P': {kind: argLine}, 'S': {kind: argLine},
	'V': {kind: argLine}, 'g': {kind: argLine}, 'p': {kind: argLine},
	'c': {kind: argTwoLines}, 'i': {kind: argTwoLines},
	'J': {argFixed, 4}, 'K': {argFixed, 1}, 'M': {argFixed, 2}, 'h': {argFixed, 1}, 'j': {argFixed, 4}, 'q': {argFixed, 1},
	'r': {argFixed, 4}, 'G': {argFixed, 8}, 0x80: {argFixed, 1}, 0x82: {argFixed, 1}, 0x83: {argFixed, 2}, 0x84: {argFixed, 4},
	0x95: {argFixed, 8}, // FRAME: its length; the framed opcodes follow and are scanned too
	'U':  {kind: argLen1}, 'C': {kind: argLen1}, 0x8a: {kind: argLen1}, 0x8c: {kind: argLen1},
	'T': {kind: argLen4}, 'X': {kind: argLen4}, 'B': {kind: argLen4}, 0x8b: {kind: argLen4},
	0x8d: {kind: argLen8}, 0x8e: {kind: argLen8}, 0x96: {kind: argLen8},
}

// scanPickle checks that b is a sequence of known opcodes whose arguments
// fit in b, ending with STOP.
func scanPickle(b []byte) error {
	for i := 0; i < len(b); {
		op := b[i]
		a, ok := pickleOps[op]
		if !ok {
			return fmt.Errorf("corrupt pickle: unknown opcode 0x%02x at byte offset %d", op, i)
		}
		at := i
		i++
		var n uint64
		switch a.kind {
		case argNone:
			if op == '.' {
				return nil
			}
			continue
		case argFixed:
			if op == 0x95 { // FRAME: the frame must fit in what is left
				if i+8 > len(b) {
					return truncPickle(op, at)
				}
				if fl := binary.LittleEndian.Uint64(b[i:]); fl > uint64(len(b)-i-8) {
					return fmt.Errorf("corrupt pickle: frame at byte offset %d declares %d bytes, %d left (truncated file?)", at, fl, len(b)-i-8)
				}
			}
			n = uint64(a.n)
		case argLine, argTwoLines:
			lines := 1
			if a.kind == argTwoLines {
				lines = 2
			}
			for l := 0; l < lines; l++ {
				k := bytes.IndexByte(b[i:], '\n')
				if k < 0 {
					return fmt.Errorf("corrupt pickle: opcode %q at byte offset %d: line not terminated (truncated file?)", op, at)
				}
				i += k + 1
			}
			continue
		case argLen1:
			if i+1 > len(b) {
				return truncPickle(op, at)
			}
			n = uint64(b[i])
			i++
		case argLen4:
			if i+4 > len(b) {
				return truncPickle(op, at)
			}
			n = uint64(binary.LittleEndian.Uint32(b[i:]))
			if op == 'T' && int32(n) < 0 {
				return fmt.Errorf("corrupt pickle: negative length at byte offset %d", at)
			}
			i += 4
		case argLen8:
			if i+8 > len(b) {
				return truncPickle(op, at)
			}
			n = binary.LittleEndian.Uint64(b[i:])
			i += 8
		}
		if n > uint64(len(b)-i) {
			return fmt.Errorf("corrupt pickle: opcode 0x%02x at byte offset %d needs %d bytes, %d left (truncated file?)", op, at, n, len(b)-i)
		}
		i += int(n)
	}
	return fmt.Errorf("corrupt pickle: no STOP opcode after %d bytes (truncated file?)", len(b))
}

func truncPickle(op byte, at int) error {
	return fmt.Errorf("corrupt pickle: opcode 0x%02x at byte offset %d: truncated", op, at)
}

// pickleInts converts a pickled list (or int ndarray) of ints.
func pickleInts(v interface{}) ([]int, error) {
	switch l := v.(type) {
	case *types.List:
		out := make([]int, l.Len())
		for i := range out {
			switch x := l.Get(i).(type) {
			case int:
				out[i] = x
			case *big.Int:
				return nil, fmt.Errorf("element %d: %v is too large", i, x)
			default:
				return nil, fmt.Errorf("element %d: got %T, want int", i, x)
			}
		}
		return out, nil
	case *ndarray:
		var size int
		switch l.dtype {
		case "i8", "<i8":
			size = 8
		case "i4", "<i4":
			size = 4
		default:
			return nil, fmt.Errorf("array of dtype %q, want int64 or int32", l.dtype)
		}
		if len(l.shape) != 1 || l.shape[0]*size != len(l.data) {
			return nil, fmt.Errorf("array of shape %v with %d bytes, want 1-D", l.shape, len(l.data))
		}
		out := make([]int, l.shape[0])
		for i := range out {
			if size == 8 {
				out[i] = int(int64(binary.LittleEndian.Uint64(l.data[8*i:])))
			} else {
				out[i] = int(int32(binary.LittleEndian.Uint32(l.data[4*i:])))
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("got %T, want a list of ints", v)
}
