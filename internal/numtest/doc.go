// Package numtest holds test helpers for numeric code: AllClose compares slices with absolute and relative
// tolerances and reports the worst element, ReadNpy reads the .npy fixtures written by the PyTorch generator
// scripts, and CheckGrad compares gorgonia's symbolic gradients with central finite differences.
package numtest
