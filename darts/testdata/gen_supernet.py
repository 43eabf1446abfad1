# Parity fixtures for the search supernets (darts/supernet_test.go).
# Run: cd darts/testdata && /usr/bin/python3 gen_supernet.py
# torch 1.13.0a0 (Debian python3-torch 1.13.1), numpy 1.24.2; float32 (the parity check).
#
# The networks are ports of the reference code, with the reference module trees and state_dict names:
#   DARTS: quark0/darts f276dd3 cnn/operations.py + cnn/model_search.py (MixedOp, Cell, Network), with the
#          α-DARTS extension of SD@d525eed model_search.py (Decoder as rec_decoder; balanced loss).
#   NB201: D-X-Y/AutoDL-Projects xautodl/models/cell_searchs/search_model_darts.py (TinyNetworkDarts) and
#          search_cells.py (NAS201SearchCell) with cell_operations.py ops.
# Weights, α and inputs are not stored: both sides fill them from the closed-form pattern below
# (fill()), so the fixtures hold only outputs and gradients. Each case runs one forward pass in
# training mode and backpropagates its loss; gradients of every learnable and of α are saved.
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import sfwrite

torch.set_default_dtype(torch.float32)


# ---------------------------------------------------------------- deterministic fill (mirrored in Go)
def pattern(n, k, scale, offset=0.0):
    """offset + scale*(2u - 1), u = splitmix64((k << 32) | i) / 2^64 for i = 0..n-1: exact integer
    arithmetic, so Go reproduces it bit for bit. (A smooth sin pattern made ill-conditioned networks
    whose float32 gradients varied by 1e-3 with summation order.)"""
    with np.errstate(over='ignore'):
        z = (np.uint64(k) << np.uint64(32)) | np.arange(n, dtype=np.uint64)
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)
    return offset + scale * (2 * u - 1)


def fill(named, start=0):
    """Fills tensors (name, tensor) in order; k counts from start. Conv/linear weights get
    1/sqrt(fan_in) amplitude, BN weights 1 ± 0.2, biases ± 0.1."""
    k = start
    with torch.no_grad():
        for name, t in named:
            n = t.numel()
            if t.dim() >= 2:
                fan_in = n // t.shape[0]
                v = pattern(n, k, 1.0 / math.sqrt(fan_in))
            elif name.endswith('weight'):
                v = pattern(n, k, 0.2, 1.0)
            else:
                v = pattern(n, k, 0.1)
            t.copy_(torch.from_numpy(v.reshape(tuple(t.shape))).to(t.dtype))
            k += 1
    return k


def images(n, h, w):
    return torch.from_numpy(pattern(n * 3 * h * w, 1000, 2.0).reshape(n, 3, h, w)).float()


# ---------------------------------------------------------------- quark0/darts cnn/operations.py
class ReLUConvBN(nn.Module):
    def __init__(self, C_in, C_out, kernel_size, stride, padding, affine=True):
        super().__init__()
        self.op = nn.Sequential(nn.ReLU(inplace=False),
                                nn.Conv2d(C_in, C_out, kernel_size, stride=stride, padding=padding, bias=False),
                                nn.BatchNorm2d(C_out, affine=affine))

    def forward(self, x):
        return self.op(x)


class DilConv(nn.Module):
    def __init__(self, C_in, C_out, kernel_size, stride, padding, dilation, affine=True):
        super().__init__()
        self.op = nn.Sequential(nn.ReLU(inplace=False),
                                nn.Conv2d(C_in, C_in, kernel_size, stride, padding, dilation, groups=C_in, bias=False),
                                nn.Conv2d(C_in, C_out, 1, padding=0, bias=False),
                                nn.BatchNorm2d(C_out, affine=affine))

    def forward(self, x):
        return self.op(x)


class SepConv(nn.Module):
    def __init__(self, C_in, C_out, kernel_size, stride, padding, affine=True):
        super().__init__()
        self.op = nn.Sequential(nn.ReLU(inplace=False),
                                nn.Conv2d(C_in, C_in, kernel_size, stride, padding, groups=C_in, bias=False),
                                nn.Conv2d(C_in, C_in, 1, padding=0, bias=False),
                                nn.BatchNorm2d(C_in, affine=affine),
                                nn.ReLU(inplace=False),
                                nn.Conv2d(C_in, C_in, kernel_size, 1, padding, groups=C_in, bias=False),
                                nn.Conv2d(C_in, C_out, 1, padding=0, bias=False),
                                nn.BatchNorm2d(C_out, affine=affine))

    def forward(self, x):
        return self.op(x)


class Identity(nn.Module):
    def forward(self, x):
        return x


class Zero(nn.Module):
    def __init__(self, stride):
        super().__init__()
        self.stride = stride

    def forward(self, x):
        if self.stride == 1:
            return x.mul(0.)
        return x[:, :, ::self.stride, ::self.stride].mul(0.)


class FactorizedReduce(nn.Module):
    def __init__(self, C_in, C_out, affine=True):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(C_in, C_out // 2, 1, stride=2, padding=0, bias=False)
        self.conv_2 = nn.Conv2d(C_in, C_out // 2, 1, stride=2, padding=0, bias=False)
        self.bn = nn.BatchNorm2d(C_out, affine=affine)

    def forward(self, x):
        x = self.relu(x)
        out = torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1)
        return self.bn(out)


OPS = {
    'none': lambda C, stride, affine: Zero(stride),
    'avg_pool_3x3': lambda C, stride, affine: nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False),
    'max_pool_3x3': lambda C, stride, affine: nn.MaxPool2d(3, stride=stride, padding=1),
    'skip_connect': lambda C, stride, affine: Identity() if stride == 1 else FactorizedReduce(C, C, affine=affine),
    'sep_conv_3x3': lambda C, stride, affine: SepConv(C, C, 3, stride, 1, affine=affine),
    'sep_conv_5x5': lambda C, stride, affine: SepConv(C, C, 5, stride, 2, affine=affine),
    'dil_conv_3x3': lambda C, stride, affine: DilConv(C, C, 3, stride, 2, 2, affine=affine),
    'dil_conv_5x5': lambda C, stride, affine: DilConv(C, C, 5, stride, 4, 2, affine=affine),
}
PRIMITIVES = ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'sep_conv_5x5',
              'dil_conv_3x3', 'dil_conv_5x5']


# ---------------------------------------------------------------- quark0/darts cnn/model_search.py
class MixedOp(nn.Module):
    def __init__(self, C, stride):
        super().__init__()
        self._ops = nn.ModuleList()
        for primitive in PRIMITIVES:
            op = OPS[primitive](C, stride, False)
            if 'pool' in primitive:
                op = nn.Sequential(op, nn.BatchNorm2d(C, affine=False))
            self._ops.append(op)

    def forward(self, x, weights):
        return sum(w * op(x) for w, op in zip(weights, self._ops))


class Cell(nn.Module):
    def __init__(self, steps, multiplier, C_prev_prev, C_prev, C, reduction, reduction_prev):
        super().__init__()
        self.reduction = reduction
        if reduction_prev:
            self.preprocess0 = FactorizedReduce(C_prev_prev, C, affine=False)
        else:
            self.preprocess0 = ReLUConvBN(C_prev_prev, C, 1, 1, 0, affine=False)
        self.preprocess1 = ReLUConvBN(C_prev, C, 1, 1, 0, affine=False)
        self._steps = steps
        self._multiplier = multiplier
        self._ops = nn.ModuleList()
        for i in range(self._steps):
            for j in range(2 + i):
                stride = 2 if reduction and j < 2 else 1
                self._ops.append(MixedOp(C, stride))

    def forward(self, s0, s1, weights):
        s0 = self.preprocess0(s0)
        s1 = self.preprocess1(s1)
        states = [s0, s1]
        offset = 0
        for i in range(self._steps):
            s = sum(self._ops[offset + j](h, weights[offset + j]) for j, h in enumerate(states))
            offset += len(states)
            states.append(s)
        return torch.cat(states[-self._multiplier:], dim=1)


class Decoder(nn.Module):  # SD@d525eed model_search.py
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


class Network(nn.Module):
    def __init__(self, C, num_classes, layers, task='cls', steps=4, multiplier=4, stem_multiplier=3):
        super().__init__()
        self._steps = steps
        self.task = task
        C_curr = stem_multiplier * C
        self.stem = nn.Sequential(nn.Conv2d(3, C_curr, 3, padding=1, bias=False), nn.BatchNorm2d(C_curr))
        C_prev_prev, C_prev, C_curr = C_curr, C_curr, C
        self.cells = nn.ModuleList()
        reduction_prev = False
        for i in range(layers):
            if i in [layers // 3, 2 * layers // 3]:
                C_curr *= 2
                reduction = True
            else:
                reduction = False
            cell = Cell(steps, multiplier, C_prev_prev, C_prev, C_curr, reduction, reduction_prev)
            reduction_prev = reduction
            self.cells += [cell]
            C_prev_prev, C_prev = C_prev, multiplier * C_curr
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(C_prev, num_classes)
        if task == 'cls_mask':
            self.rec_decoder = Decoder(C_prev, (-1.99, 2.13))
        k = sum(1 for i in range(steps) for n in range(2 + i))
        self.alphas_normal = torch.zeros(k, len(PRIMITIVES), requires_grad=True)
        self.alphas_reduce = torch.zeros(k, len(PRIMITIVES), requires_grad=True)

    def forward(self, x):
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            weights = F.softmax(self.alphas_reduce if cell.reduction else self.alphas_normal, dim=-1)
            s0, s1 = s1, cell(s0, s1, weights)
        out = self.global_pooling(s1)
        logits = self.classifier(out.view(out.size(0), -1))
        if self.task == 'cls_mask':
            return logits, self.rec_decoder(s1)
        return logits, None


# ---------------------------------------------------------------- AutoDL NAS-Bench-201 search network
class NB201ReLUConvBN(nn.Module):
    def __init__(self, C_in, C_out, kernel_size, stride, padding, dilation, affine):
        super().__init__()
        self.op = nn.Sequential(nn.ReLU(inplace=False),
                                nn.Conv2d(C_in, C_out, kernel_size, stride=stride, padding=padding,
                                          dilation=dilation, bias=not affine),
                                nn.BatchNorm2d(C_out, affine=affine))

    def forward(self, x):
        return self.op(x)


class ResNetBasicblock(nn.Module):
    def __init__(self, inplanes, planes, stride, affine=True):
        super().__init__()
        self.conv_a = NB201ReLUConvBN(inplanes, planes, 3, stride, 1, 1, affine)
        self.conv_b = NB201ReLUConvBN(planes, planes, 3, 1, 1, 1, affine)
        self.downsample = nn.Sequential(nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
                                        nn.Conv2d(inplanes, planes, kernel_size=1, stride=1, padding=0, bias=False))

    def forward(self, x):
        return self.downsample(x) + self.conv_b(self.conv_a(x))


NB201_OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3']


def nb201_op(name, C):
    if name == 'none':
        return Zero(1)
    if name == 'skip_connect':
        return Identity()
    if name == 'nor_conv_1x1':
        return NB201ReLUConvBN(C, C, 1, 1, 0, 1, False)
    if name == 'nor_conv_3x3':
        return NB201ReLUConvBN(C, C, 3, 1, 1, 1, False)
    return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)


class SearchCell(nn.Module):
    def __init__(self, C, max_nodes=4):
        super().__init__()
        self.edges = nn.ModuleDict()
        self.max_nodes = max_nodes
        for i in range(1, max_nodes):
            for j in range(i):
                self.edges['{:}<-{:}'.format(i, j)] = nn.ModuleList([nb201_op(o, C) for o in NB201_OPS])
        self.edge_keys = sorted(list(self.edges.keys()))
        self.edge2index = {key: i for i, key in enumerate(self.edge_keys)}

    def forward(self, x, weightss):
        nodes = [x]
        for i in range(1, self.max_nodes):
            inter = []
            for j in range(i):
                key = '{:}<-{:}'.format(i, j)
                weights = weightss[self.edge2index[key]]
                inter.append(sum(layer(nodes[j]) * w for layer, w in zip(self.edges[key], weights)))
            nodes.append(sum(inter))
        return nodes[-1]


class TinyNetworkDarts(nn.Module):
    def __init__(self, C, N, num_classes):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, C, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(C))
        chans = [C] * N + [C * 2] + [C * 2] * N + [C * 4] + [C * 4] * N
        reds = [False] * N + [True] + [False] * N + [True] + [False] * N
        self.cells = nn.ModuleList()
        C_prev = C
        for C_curr, red in zip(chans, reds):
            self.cells.append(ResNetBasicblock(C_prev, C_curr, 2) if red else SearchCell(C_curr))
            C_prev = C_curr
        self.lastact = nn.Sequential(nn.BatchNorm2d(C_prev), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(C_prev, num_classes)
        self.arch_parameters = nn.Parameter(torch.zeros(6, len(NB201_OPS)))

    def forward(self, x):
        alphas = F.softmax(self.arch_parameters, dim=-1)
        feature = self.stem(x)
        for cell in self.cells:
            feature = cell(feature, alphas) if isinstance(cell, SearchCell) else cell(feature)
        out = self.global_pooling(self.lastact(feature))
        return self.classifier(out.view(out.size(0), -1))


# ---------------------------------------------------------------- cases
def patchify(imgs, p):
    N, C, H, W = imgs.shape
    x = imgs.reshape(N, C, H // p, p, W // p, p)
    x = torch.einsum('nchpwq->nhwpqc', x)
    return x.reshape(N, (H // p) * (W // p), p * p * C)


def mask_mse(pred, target, mask):
    loss = ((pred - target) ** 2).mean(dim=-1)
    return (loss * mask).sum() / mask.sum()


def weights_of(model):
    """learnables in state_dict order (buffers skipped), α excluded."""
    sd_keys = list(model.state_dict().keys())
    params = dict(model.named_parameters())
    return [(k, params[k]) for k in sd_keys if k in params and k != 'arch_parameters']


def run(tag, model, alphas, x, labels, task='cls', mask=None, patch=4):
    model.train()
    ws = weights_of(model)
    k = fill(ws)
    fill([('alpha', a) for a in alphas], k)  # 2-D: amplitude 1/sqrt(ops)
    logits, recon = model(x) if isinstance(model, Network) else (model(x), None)
    cls = F.cross_entropy(logits, labels)
    dt = np.float64 if logits.dtype == torch.float64 else np.float32
    out = {'logits': logits.detach().numpy(), 'cls': np.array(cls.item(), dtype=dt)}
    loss = cls
    if task == 'cls_mask':
        target = patchify(x_clean, patch)
        rec = mask_mse(patchify(recon, patch), target, mask)
        loss = cls + rec / (rec / cls).detach()
        out['rec'] = np.array(rec.item(), dtype=dt)
    out['loss'] = np.array(loss.item(), dtype=dt)
    grads = torch.autograd.grad(loss, [p for _, p in ws] + list(alphas))
    names = ['alphas_normal', 'alphas_reduce'] if isinstance(model, Network) else ['arch_parameters']
    for name, g in zip([n for n, _ in ws] + names, grads):
        # To keep the fixtures small, each gradient is stored as a sample of up to 16 entries at
        # flat indices (i*(n-1))//(m-1), i < m = min(n, 16), plus its projection (float64) on
        # pattern(n, 99, 1), which every entry enters; α gradients are stored in full.
        g = g.detach().numpy().reshape(-1)
        n = g.size
        if name.startswith('alpha') or name == 'arch_parameters':
            out['grad.' + name] = g
            continue
        m = min(n, 16)
        idx = [0] if m == 1 else [(i * (n - 1)) // (m - 1) for i in range(m)]
        out['grad.' + name] = g[idx]
        out['proj.' + name] = np.array(np.dot(g.astype(np.float64), pattern(n, 99, 1.0)))
    sfwrite.save(tag + '.safetensors', out)
    print(tag, 'weights', sum(p.numel() for _, p in ws), 'loss', loss.item())


def main():
    global x_clean
    # 1. DARTS supernet, 5 cells, C=8, batch 2, 32×32, 10 classes, task cls.
    torch.manual_seed(0)
    N = 2
    x = images(N, 32, 32)
    labels = torch.arange(N) % 10
    net = Network(8, 10, 5)
    run('darts_c8_l5', net, [net.alphas_normal, net.alphas_reduce], x, labels)

    # 2. The same space with MIM on (cls_mask), 5 cells, C=2 (keeps the decoder's fixture small), patch 4.
    net = Network(2, 10, 5, task='cls_mask')
    x_clean = x
    g = torch.arange(64, dtype=torch.float64)
    mask = torch.stack([((g * 7 + n * 3) % 5 != 0).double() for n in range(N)]).float()  # 1 = removed: 4 of every 5 patches
    xm = patchify(x_clean, 4)
    xm = torch.where(mask.unsqueeze(-1) > 0, torch.ones_like(xm), xm)
    xm = torch.einsum('nhwpqc->nchpwq', xm.reshape(N, 8, 8, 4, 4, 3)).reshape(N, 3, 32, 32)
    run('darts_mim_c2_l5', net, [net.alphas_normal, net.alphas_reduce], xm, labels, task='cls_mask', mask=mask)

    # 1b. The same DARTS case in float64, for the tight float64 comparison of the Go float64 path.
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    net = Network(8, 10, 5)
    run('darts_c8_l5_f64', net, [net.alphas_normal, net.alphas_reduce], x.double(), labels)
    torch.set_default_dtype(torch.float32)

    # 3. NAS-Bench-201 supernet, C=4, N=1 cell per stage, task cls.
    net = TinyNetworkDarts(4, 1, 10)
    run('nb201_c4_n1', net, [net.arch_parameters], x, labels)


if __name__ == '__main__':
    main()
