// Package numtest holds test helpers for numeric code: AllClose compares slices with absolute and relative
// tolerances and reports the worst element, ReadNpy reads the .npy fixtures written by the PyTorch generator
// scripts, and CheckGrad compares gorgonia's symbolic gradients with central finite differences.
package numtest

import G "gorgonia.org/gorgonia"

// Recycler is passed to G.FreeIntermediates by the machines CheckGrad and ForwardBackward build, so that every op
// test runs with values freed after their last use, as training does. Packages whose ops allocate from a buffer pool
// set it to that pool in TestMain (internal/op sets op.Buffers), so that reuse of freed buffers is exercised too.
var Recycler G.Recycler
