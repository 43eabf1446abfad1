# Generates the mim golden fixtures. Run: cd mim/testdata && /usr/bin/python3 gen_mim.py
# torch 1.13.0a0 (Debian python3-torch 1.13.1), numpy 1.24.2. Masking in float32; decoder and losses in float64,
# so the Go float64 path is compared tightly (float32 sums through 4 BatchNorms carry ~1e-5 rounding noise).
# Port of SD@d525eed (github.com/AlbertiPot/Semantic-DARTS, commit d525eed) utils.patchify/unpatchify,
# utils.random_masking (with the noise passed in instead of drawn), utils.MaskMSE and model_search.Decoder,
# and the balanced loss of Network._loss: cls_l + rec_l / (rec_l / cls_l).detach().
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import sfwrite

torch.manual_seed(0)
np.random.seed(0)


def patchify(imgs, p):
    N, C, H, W = imgs.shape
    h, w = H // p, W // p
    x = imgs.reshape(N, C, h, p, w, p)
    x = torch.einsum('nchpwq->nhwpqc', x)
    return x.reshape(N, h * w, p * p * C)


def unpatchify(x, p, C=3):
    h = w = int(x.shape[1] ** .5)
    x = x.reshape(x.shape[0], h, w, p, p, C)
    x = torch.einsum('nhwpqc->nchpwq', x)
    return x.reshape(x.shape[0], C, h * p, w * p)


def random_masking(x, noise, mask_ratio):
    N, L, D = x.shape
    len_keep = int(L * (1 - mask_ratio))
    ids_shuffle = torch.argsort(noise, dim=1)
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    ids_keep = ids_shuffle[:, :len_keep]
    x_masked = torch.gather(x, dim=1, index=ids_keep.unsqueeze(-1).repeat(1, 1, D))
    mask_tokens = torch.ones(N, L - len_keep, D)
    x_masked = torch.cat([x_masked, mask_tokens], dim=1)
    x_masked = torch.gather(x_masked, dim=1, index=ids_restore.unsqueeze(-1).repeat(1, 1, D))
    mask = torch.ones([N, L])
    mask[:, :len_keep] = 0
    mask = torch.gather(mask, dim=1, index=ids_restore)
    return x_masked, mask


def mask_mse(pred, target, mask, norm_pix):
    if norm_pix:
        mean = target.mean(dim=-1, keepdim=True)
        var = target.var(dim=-1, keepdim=True)
        target = (target - mean) / (var + 1.e-6) ** .5
    loss = ((pred - target) ** 2).mean(dim=-1)
    return (loss * mask).sum() / mask.sum()


class Decoder(nn.Module):
    def __init__(self, C, stats, scale_ratio=4):
        super().__init__()

        def upsample(i, o):
            return [nn.ConvTranspose2d(i, o, kernel_size=4, stride=2, padding=1), nn.BatchNorm2d(o), nn.ReLU()]

        self.inter_conv = nn.Sequential(nn.Conv2d(C, scale_ratio * C, 3, padding=1), nn.Conv2d(scale_ratio * C, C, 1))
        self.decoder = nn.Sequential(
            nn.Conv2d(C, C, 3, padding=1), nn.BatchNorm2d(C), nn.ReLU(), *upsample(C, C // 2),
            nn.Conv2d(C // 2, C // 2, 3, padding=1), nn.BatchNorm2d(C // 2), nn.ReLU(), *upsample(C // 2, C // 4),
            nn.Conv2d(C // 4, 3, 3, stride=1, padding=1), nn.Hardtanh(stats[0], stats[1]))

    def forward(self, x):
        return self.decoder(self.inter_conv(x))


def save(name, a):
    np.save(name + '.npy', np.ascontiguousarray(a.detach().numpy() if torch.is_tensor(a) else a))


# 1. masking: N=2 images 3×32×32; (patch 4, ratio 0.8) and (patch 8, ratio 0.6).
x = torch.randn(2, 3, 32, 32)
save('mask_x', x)
for p, r in [(4, 0.8), (8, 0.6)]:
    L = (32 // p) ** 2
    noise = torch.rand(2, L, dtype=torch.float64)
    target = patchify(x, p)
    xm, mask = random_masking(target.clone(), noise.float(), r)
    tag = 'p%d' % p
    save('mask_noise_' + tag, noise)
    save('mask_xm_' + tag, unpatchify(xm, p))
    save('mask_target_' + tag, target)
    save('mask_mask_' + tag, mask)

torch.set_default_dtype(torch.float64)

# 2. decoder C=8 on (2,8,8,8) → (2,3,32,32), clamp CIFAR-10 (-1.99, 2.13); training-mode BN.
dec = Decoder(8, (-1.99, 2.13))
with torch.no_grad():  # non-trivial BN affine params so their gradients are tested properly
    for m in dec.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.2, 0.2)
sfwrite.save('dec_weights.safetensors', sfwrite.state_dict(dec))
feat = (torch.randn(2, 8, 8, 8) * 2).requires_grad_()
logits = torch.randn(2, 10, requires_grad=True)
labels = torch.tensor([3, 7])
img = torch.randn(2, 3, 32, 32)
p = 4
noise = torch.rand(2, 64, dtype=torch.float64)
_, mask = random_masking(patchify(img, p), noise, 0.8)
target = patchify(img, p)
out = dec(feat)
R = torch.randn_like(out)
save('dec_feat', feat)
save('dec_out', out)
save('dec_R', R)
(out * R).sum().backward(retain_graph=True)
save('dec_dfeat', feat.grad)
sd = {k: v.grad.numpy() for k, v in dec.named_parameters()}
sfwrite.save('dec_grads.safetensors', sd)
# running stats after one training forward
sfwrite.save('dec_after.safetensors', sfwrite.state_dict(dec))

# 3. losses on the decoder output: masked MSE (plain and norm_pix) and the balanced loss with CE.
save('loss_logits', logits)
save('loss_labels', labels.numpy().astype(np.float64))  # numtest.ReadNpy reads floats; CE takes exact integers
save('loss_target', target)
save('loss_mask', mask)
for norm_pix in [False, True]:
    dec.zero_grad()
    feat.grad = None
    logits.grad = None
    out = dec(feat)
    rec = mask_mse(patchify(out, p), target, mask, norm_pix)
    cls = F.cross_entropy(logits, labels)
    L = cls + rec / (rec / cls).detach()
    L.backward()
    tag = 'norm' if norm_pix else 'plain'
    save('loss_rec_' + tag, rec)
    save('loss_cls_' + tag, cls)
    save('loss_total_' + tag, L)
    save('loss_dfeat_' + tag, feat.grad)
    save('loss_dlogits_' + tag, logits.grad)
    sfwrite.save('loss_grads_%s.safetensors' % tag, {k: v.grad.numpy() for k, v in dec.named_parameters()})
