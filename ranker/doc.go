// Package ranker implements NAR, the Neural Architecture Ranker (Guo et al.,
// "Generalized Global Ranking-Aware Neural Architecture Ranker for Efficient
// Image Classifier Search", ACM MM 2022, arXiv:2201.12725), following the
// official code github.com/AlbertiPot/nar at 8c08cda as summarised in
// ../shared/notes/algorithms.md part B.
//
// The package holds:
//   - the ReNAS-style feature tensors (EncodeNB201: 31×4×4 per dataset,
//     EncodeNB101: 19×7×7), see Features;
//   - the seeded split and the tier labels (Split, TierLabels);
//   - the metrics: Kendall τ-b (Knight's O(n log n) algorithm), the
//     reference's τ variant that counts ties as concordant, Spearman ρ with
//     average ranks, precision@k and tier accuracy; plain-Go reference
//     versions of NAR's two losses (RankLoss, SoftCrossEntropy);
//   - the per-batch tier statistics (BatchStats) that guide the sampler;
//   - the tier-guided samplers (NB201Sampler, NB101Sampler) and the
//     50-iteration search loop (Search), driven by a Scorer so that it runs
//     without the model;
//   - the transformer ranker itself on the internal engine (Model), its
//     training with AdamW and the Noam schedule (Train), and prediction;
//   - the improved mode (RunConfig.Ensemble, RunConfig.Verify,
//     TrainConfig.Select): checkpoints chosen by validation τ, an ensemble
//     ranked by mean standardised score, and a verified non-oracle pick;
//   - resumable training (TrainState, Checkpointer, DirCheckpointer,
//     TrainOptions.Resume, Hooks.Resume): after every epoch, a checkpoint of
//     everything training carries to the next epoch, from which a stopped
//     run continues bit for bit.
//
// # The model as the reference runs it
//
// NAR:ranker/models.py has one decoder module that it runs once per tier,
// the tier embedding as a query of batch 1 broadcast against the batch's
// encoder outputs. Model does the same computation with the tiers as the
// decoder's batch: the decoder's input path and first self-attention run on
// the n_tier queries alone (dropout masks shared by the batch, as in the
// reference), then every tier meets every architecture, the keys and values
// of each encoder output projected once per layer.
//
// # Conventions
//
// Accuracies are percentages as the benchmark tables store them. Tiers are
// 0-based in code (tier 0 = the paper's tier 1 = best). Feature tensors are
// float32, row-major (arch, token, token-dim). The train/validation split
// is torch's own randperm (TorchRandperm, a Mersenne Twister), so a seed
// selects the same architectures as the reference. All other randomness
// (weights, dropout, shuffling, sampling) comes from math/rand/v2 PCG
// streams seeded from the run's seed, so a run is deterministic for a seed
// but does not reproduce torch's draws bit for bit.
package ranker
