// Package op wraps the kernels of internal/kernel as gorgonia operations (gorgonia.Op plus gorgonia.SDOp),
// so that graphs built with gorgonia.org/gorgonia can use them and take symbolic gradients through them.
//
// Each differentiable op is a value type whose fields are all of its parameters. Its SymDiff builds the
// backward pass out of more ops of this package (backward-data, backward-filter, ...), which are themselves
// plain ops without a second derivative. Every op writes all of its parameters into WriteHash, because
// gorgonia merges nodes with equal hashes and equal children; ops that keep state also carry a unique id.
//
// All ops run on float32 and float64 *tensor.Dense values (float64 is used for finite-difference gradient
// checks) and allocate a fresh output on each Do, as the TapeMachine requires.
//
// Tensors are NCHW. The files of this package are shared between the engine helpers: op.go holds the common
// base (hashing, dtype dispatch, shape errors, type variables).
package op
