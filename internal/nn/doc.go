// Package nn holds what every nasx model shares: the Module interface, an
// ordered registry of named parameters and buffers that reads and writes
// PyTorch-style state dicts (safetensors, internal/weights), and PyTorch's
// default initialisation functions; the building blocks of the DARTS and
// NAS-Bench-201 networks (Block: a Module with a state-dict registry, Init
// and a training/evaluation switch): ReLUConvBN, SepConv, DilConv,
// FactorizedReduce, Identity, Zero, Pool (with the search-time
// BatchNorm(affine=False)), the NAS-Bench-201 ReLUConvBN and
// ResNetBasicblock, and the op registries DARTSOp, DARTSSearchOp and NB201Op;
// and the post-LN transformer blocks of
// jadore801120/attention-is-all-you-need-pytorch that NAR uses (Builder,
// MultiHeadAttention, FeedForward, EncoderLayer, DecoderLayer,
// SinusoidPositionTable), composed from internal/op ops; and CheckHashes and
// BuildDistinct, which find and avoid the hash collisions that gorgonia's
// compiler would silently merge.
//
// # Conventions
//
// Tensors are NCHW, float32 unless stated. Parameter names are the keys of
// the equivalent PyTorch module's state_dict ("cells.0._ops.3.op.1.weight"),
// so weights move between nasx and the reference PyTorch code unchanged.
// Learnable parameters (gorgonia nodes driven by an optimiser) are kept apart
// from buffers (non-learnable state such as BatchNorm's running_mean,
// running_var and num_batches_tracked), as torch keeps parameters() apart
// from buffers().
//
// Initialisers fill flat slices (the destination is named dst) from a seeded
// math/rand/v2 generator, in a fixed order, so that two runs with the same
// seed are bitwise equal. They reproduce torch.nn.init's distributions and
// bounds, not its random streams.
package nn
