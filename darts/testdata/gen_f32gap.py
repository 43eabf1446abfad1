# Fixture for darts/f32gap_test.go: is the float32-vs-float64 gradient gap of small DARTS supernets round-off?
# Run: cd darts/testdata && /usr/bin/python3 gen_f32gap.py   (torch 1.13.0a0, numpy 1.24.2)
#
# Shape: the DARTS search supernet of gen_supernet.py (quark0/darts model_search.Network port) with 4 cells
# (reductions at cells 1 and 2, back to back), C=8, batch 2, 8×8 images, 10 classes: cell 3 works on 2×2 maps,
# so its BatchNorms normalise over 2·2·2 = 8 values per channel. Weights, α and images come from gen_supernet's
# closed-form fill, as in the Go test. The fixture holds, for the float64 network, the logits, the loss, the full
# α gradients and the projection of every weight gradient on pattern(n, 99, 1) (state-dict order, as
# gen_supernet.py's proj.*), and, per gradient (weights then α), two relative gaps, max|Δ| / max|g64|:
#   gap32: torch float32 vs torch float64 (same fill; the float32 weights are the rounded float64 ones);
#   sens:  torch float64 vs torch float64 with every weight and α multiplied by 1 + U(±2^-24) (numpy seed 0),
#          i.e. the gradient's sensitivity to perturbations of float32's unit round-off.
# For comparison it also prints (stores nothing) torch's float32 gap on the well-conditioned parity shape of
# gen_supernet.py (5 cells, C=8, batch 2, 32×32).
import numpy as np
import torch
import torch.nn.functional as F

import sfwrite
from gen_supernet import Network, fill, images, pattern, weights_of

L, C, N, HW = 4, 8, 2, 8


def grads(dtype, perturb=None, L=L, C=C, N=N, HW=HW):
    torch.set_default_dtype(dtype)
    torch.manual_seed(0)
    net = Network(C, 10, L)
    net.train()
    ws = weights_of(net)
    k = fill(ws)
    alphas = [net.alphas_normal, net.alphas_reduce]
    fill([('alpha', a) for a in alphas], k)
    if perturb is not None:
        with torch.no_grad():
            for t in [p for _, p in ws] + alphas:
                t.mul_(1 + torch.from_numpy(perturb.uniform(-1, 1, t.numel()).reshape(tuple(t.shape))) * 2.0 ** -24)
    x = images(N, HW, HW).to(dtype)
    labels = torch.arange(N) % 10
    logits, _ = net(x)
    loss = F.cross_entropy(logits, labels)
    gs = torch.autograd.grad(loss, [p for _, p in ws] + alphas)
    names = [n for n, _ in ws] + ['alphas_normal', 'alphas_reduce']
    torch.set_default_dtype(torch.float32)
    return names, [g.detach().double().numpy().reshape(-1) for g in gs], logits.detach().double().numpy(), loss.item()


def rel(a, b):
    return np.array([np.abs(x - y).max() / np.abs(y).max() for x, y in zip(a, b)])


names, g64, logits, loss = grads(torch.float64)
_, g32, _, _ = grads(torch.float32)
_, gp, _, _ = grads(torch.float64, np.random.default_rng(0))
nw = len(names) - 2
out = {'logits': logits, 'loss': np.array(loss),
       'grad.alphas_normal': g64[nw], 'grad.alphas_reduce': g64[nw + 1],
       'proj': np.array([np.dot(g, pattern(g.size, 99, 1.0)) for g in g64[:nw]]),
       'gap32': rel(g32, g64), 'sens': rel(gp, g64)}
sfwrite.save('f32gap_c8_l4.safetensors', out)
gap, sens = out['gap32'], out['sens']
for what, v in [('gap32 (torch f32 vs f64)', gap), ('sens (f64, weights x (1 + U(+-2^-24)))', sens)]:
    i = int(np.argmax(v))
    print(f'{what}: max {v.max():.3g} at {names[i]}, median {np.median(v):.3g}')
_, a64, _, _ = grads(torch.float64, L=5, HW=32)
_, a32, _, _ = grads(torch.float32, L=5, HW=32)
v = rel(a32, a64)
print(f'5 cells, 32x32: gap32 max {v.max():.3g}, median {np.median(v):.3g}')
