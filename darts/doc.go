// Package darts implements differentiable architecture search (Liu et al.,
// arXiv:1806.09055; reference code quark0/darts at f276dd3, cnn/model_search.py
// and cnn/architect.py) and its masked-image-modeling variant α-DARTS
// (arXiv:2211.10105; SD@d525eed model_search.py, train_search.py).
//
// A Supernet is the search network of either the DARTS CNN space (8 primitives
// on 14 edges, α_normal and α_reduce) or the NAS-Bench-201 space (5 ops on 6
// edges, one shared α), built once as a gorgonia graph with its symbolic
// gradients and one TapeMachine. Its network weights and its architecture
// parameters are two separate sets (Weights, Alphas), each driven by its own
// optimiser. The Architect alternates the α step on a validation batch and
// the weight step on a training batch, first order or second order
// (unrolled, with the finite-difference Hessian-vector product of DARTS
// eq. 7–8). Search runs whole epochs and records metrics, genotypes and
// checkpoints through a Recorder.
//
// # Conventions
//
// Tensors are NCHW, float32 for searches (float64 is supported for tests).
// State-dict names follow the reference PyTorch module trees
// (stem.0.weight, cells.0._ops.3._ops.4.op.1.weight, rec_decoder.decoder.0.weight;
// for NAS-Bench-201 cells.0.edges.1<-0.2.op.1.weight), so checkpoints load
// into the reference code. The architecture parameters are named
// alphas_normal and alphas_reduce (DARTS) or arch_parameters (NAS-Bench-201).
package darts
