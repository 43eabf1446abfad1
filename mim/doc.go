// Package mim implements the masked-image-modeling branch of α-DARTS
// (Guo et al., "α DARTS Once More", arXiv:2211.10105; reference code
// github.com/AlbertiPot/Semantic-DARTS at d525eed, files utils.py and
// model_search.py): MAE-style random patch masking of the input image,
// the reconstruction decoder on the supernet's last cell, the masked MSE
// and the balanced loss L = L_cls + L_rec / stopgrad(L_rec / L_cls).
//
// # Conventions
//
// Images are NCHW and already normalised per channel. Patches follow MAE's
// patchify: an image (N, C, H, W) with patch size p becomes (N, L, p·p·C)
// with L = (H/p)·(W/p) patches in row-major order and the inside of a patch
// in "nhwpqc" order (pixel row, pixel column, channel). A mask is (N, L)
// with 1 for a removed (masked) patch and 0 for a kept one, as in MAE.
// Masked patches are filled with a constant, 1.0 by default (α-DARTS'
// random_masking), not zero and not a learned token.
//
// The decoder's weights are network weights, trained by the weight
// optimiser; they never belong to the architecture parameters.
package mim
