// Package darts implements differentiable architecture search (Liu et al.,
// arXiv:1806.09055) over a searchspace.Space, and the evaluation networks
// that train a derived genotype from scratch.
//
// The evaluation networks (eval_*.go) follow quark0/darts cnn/model.py
// (NetworkCIFAR, NetworkImageNet, their cells and auxiliary heads) and
// NAS-Bench-201's TinyNetwork/InferCell (D-X-Y/AutoDL-Projects,
// xautodl/models/cell_infers), with the same module structure, so their
// parameter names are the reference state_dict keys and weights move
// between nasx and the PyTorch code unchanged.
//
// # Conventions
//
// Tensors are NCHW, float32 unless stated (float64 is used in gradient
// checks). Construction and initialisation are separate: New* allocates,
// Init(rng) fills from a seeded generator, so two runs with the same seed
// are bitwise equal on CPU.
package darts
