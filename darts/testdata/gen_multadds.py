#!/usr/bin/python3
"""Which multiply-add convention gives the DARTS paper's ~574M for DARTS_V2 on ImageNet (224×224)?

Run: cd darts/testdata && /usr/bin/python3 gen_multadds.py   (torch 1.13.0a0, numpy 1.24.2). It writes nothing;
it prints one line per counting convention. The model is the reference NetworkImageNet of gen_eval.py (quark0/darts
f276dd3 cnn/model.py: C=48, 14 cells, 1000 classes, auxiliary head) on one 1×3×224×224 image, counted by forward
hooks. The conventions:
  conv+linear        Conv2d out.numel()·(in/groups)·kh·kw + Linear in·out, auxiliary head excluded (what
                     `nasx eval --dry-run` reports, gen_eval.py count_macs)
  +aux               the same with the auxiliary head (training mode, where it runs)
  +bn                conv+linear plus one multiply-add per BatchNorm element (BN folded into a scale and shift)
  +bn+relu           and one per ReLU input element
  +all elementwise   and the pools (k² per output), the node additions of every cell and the global pooling
  thop 0.0.2x        the rules of Lyken17/pytorch-OpCounter's early count_hooks.py (2018–19): conv (+bias),
                     BN 4·numel, ReLU numel, MaxPool k²·out, AvgPool (k²+1)·out, Linear (2·in−1)·out
  thop 0.1           the rules of its later vision/basic_hooks.py: conv, BN 2·numel (4·numel when affine), ReLU and
                     MaxPool 0, AvgPool out.numel(), Linear in·out
  DARTS_V1           conv+linear for the first-order genotype (genotypes.py DARTS_V1)
"""
import torch
import torch.nn as nn

from gen_eval import DARTS_V2, Cell, NetworkImageNet, Genotype

DARTS_V1 = Genotype(
    normal=[('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 0), ('sep_conv_3x3', 1),
            ('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 2)],
    normal_concat=[2, 3, 4, 5],
    reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0),
            ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('avg_pool_3x3', 0)],
    reduce_concat=[2, 3, 4, 5])


def conv_macs(m, y):
    return y.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]


def pool_k(m):
    k = m.kernel_size
    return k * k if isinstance(k, int) else k[0] * k[1]


def count(model, rules, aux=False):
    """Sums rules[type](module, input, output) over every leaf module (and Cell, for its node additions)."""
    total = [0]

    def hook(mod, inp, out):
        f = rules.get(type(mod))
        if f is not None:
            total[0] += f(mod, inp[0], out[0] if isinstance(out, tuple) else out)

    hs = [m.register_forward_hook(hook) for n, m in model.named_modules()
          if type(m) in rules and (aux or 'auxiliary' not in n)]
    model.train(aux)  # the auxiliary head runs in training mode only
    with torch.no_grad():
        model(torch.zeros(1, 3, 224, 224))
    for h in hs:
        h.remove()
    return total[0]


BASE = {nn.Conv2d: lambda m, x, y: conv_macs(m, y), nn.Linear: lambda m, x, y: m.in_features * m.out_features}
BN = {**BASE, nn.BatchNorm2d: lambda m, x, y: x.numel()}
BN_RELU = {**BN, nn.ReLU: lambda m, x, y: x.numel()}
ALL = {
    **BN_RELU,
    nn.MaxPool2d: lambda m, x, y: pool_k(m) * y.numel(),
    nn.AvgPool2d: lambda m, x, y: pool_k(m) * y.numel(),
    Cell: lambda m, x, y: y.numel(),  # 4 node sums of C·H·W each = the concatenated output's size
}
THOP_OLD = {
    nn.Conv2d: lambda m, x, y: y.numel() * ((m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
                                            + (m.bias is not None)),
    nn.BatchNorm2d: lambda m, x, y: 4 * x.numel(),
    nn.ReLU: lambda m, x, y: x.numel(),
    nn.MaxPool2d: lambda m, x, y: pool_k(m) * y.numel(),
    nn.AvgPool2d: lambda m, x, y: (pool_k(m) + 1) * y.numel(),
    nn.Linear: lambda m, x, y: (2 * m.in_features - 1) * y.numel(),
}
THOP_NEW = {
    nn.Conv2d: lambda m, x, y: conv_macs(m, y),
    nn.BatchNorm2d: lambda m, x, y: 2 * x.numel() * (2 if m.affine else 1),
    nn.AvgPool2d: lambda m, x, y: y.numel(),
    nn.Linear: lambda m, x, y: m.in_features * y.numel(),
}


def main():
    torch.manual_seed(0)
    v2 = NetworkImageNet(48, 1000, 14, True, DARTS_V2)
    v1 = NetworkImageNet(48, 1000, 14, True, DARTS_V1)
    params = sum(p.numel() for n, p in v2.named_parameters() if 'auxiliary' not in n)
    params_v1 = sum(p.numel() for n, p in v1.named_parameters() if 'auxiliary' not in n)
    print(f'DARTS_V2 params (no aux) {params / 1e6:.3f}M, DARTS_V1 {params_v1 / 1e6:.3f}M; paper: 4.7M, 574M')
    for name, model, rules, aux in [
        ('conv+linear', v2, BASE, False),
        ('+aux', v2, BASE, True),
        ('+bn', v2, BN, False),
        ('+bn+relu', v2, BN_RELU, False),
        ('+all elementwise', v2, ALL, False),
        ('thop 0.0.2x', v2, THOP_OLD, False),
        ('thop 0.1', v2, THOP_NEW, False),
        ('DARTS_V1 conv+linear', v1, BASE, False),
    ]:
        n = count(model, rules, aux)
        print(f'{name:22s} {n / 1e6:8.1f}M  ({n})')


if __name__ == '__main__':
    main()
