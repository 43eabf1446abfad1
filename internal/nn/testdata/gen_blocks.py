#!/usr/bin/python3
"""Goldens for the DARTS and NAS-Bench-201 blocks (internal/nn/blocks_test.go).

Generated with Debian python3-torch 1.13 (torch.__version__ '1.13.0a0') and numpy 1.24.2:
    cd internal/nn/testdata && /usr/bin/python3 gen_blocks.py

The modules below are copied from quark0/darts cnn/operations.py (f276dd3) and from
D-X-Y/AutoDL-Projects xautodl/models/cell_operations.py (ReLUConvBN, ResNetBasicblock), so their
state_dict keys are the reference names. Each case: a block in training mode, float32, with its
default init and then BN affine parameters redrawn at random (torch inits them to 1/0, which would
hide a swapped weight/bias); one forward pass on x, loss = sum(y * R) with a fixed random R.
Writes blocks/<case>_{x,R,y,dx}.npy, blocks/<case>_param.<key>.npy (learnables before the step),
blocks/<case>_grad.<key>.npy (their gradients), blocks/<case>_buf.<key>.npy (float buffers after
the step: running stats updated once) and blocks/manifest.json (each case's state_dict keys in order).
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn

OUT = "blocks"
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(7)
rng = np.random.default_rng(7)


# ---- quark0/darts cnn/operations.py ----
class ReLUConvBN(nn.Module):
    def __init__(self, C_in, C_out, kernel_size, stride, padding, affine=True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(C_in, C_out, kernel_size, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(C_out, affine=affine))

    def forward(self, x):
        return self.op(x)


class DilConv(nn.Module):
    def __init__(self, C_in, C_out, kernel_size, stride, padding, dilation, affine=True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(C_in, C_in, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation,
                      groups=C_in, bias=False),
            nn.Conv2d(C_in, C_out, kernel_size=1, padding=0, bias=False),
            nn.BatchNorm2d(C_out, affine=affine))

    def forward(self, x):
        return self.op(x)


class SepConv(nn.Module):
    def __init__(self, C_in, C_out, kernel_size, stride, padding, affine=True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(C_in, C_in, kernel_size=kernel_size, stride=stride, padding=padding, groups=C_in, bias=False),
            nn.Conv2d(C_in, C_in, kernel_size=1, padding=0, bias=False),
            nn.BatchNorm2d(C_in, affine=affine),
            nn.ReLU(inplace=False),
            nn.Conv2d(C_in, C_in, kernel_size=kernel_size, stride=1, padding=padding, groups=C_in, bias=False),
            nn.Conv2d(C_in, C_out, kernel_size=1, padding=0, bias=False),
            nn.BatchNorm2d(C_out, affine=affine))

    def forward(self, x):
        return self.op(x)


class FactorizedReduce(nn.Module):
    def __init__(self, C_in, C_out, affine=True):
        super().__init__()
        assert C_out % 2 == 0
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(C_in, C_out // 2, 1, stride=2, padding=0, bias=False)
        self.conv_2 = nn.Conv2d(C_in, C_out // 2, 1, stride=2, padding=0, bias=False)
        self.bn = nn.BatchNorm2d(C_out, affine=affine)

    def forward(self, x):
        x = self.relu(x)
        out = torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1)
        return self.bn(out)


# ---- xautodl/models/cell_operations.py ----
class NB201ReLUConvBN(nn.Module):
    def __init__(self, C_in, C_out, kernel_size, stride, padding, dilation, affine, track_running_stats=True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(C_in, C_out, kernel_size, stride=stride, padding=padding, dilation=dilation, bias=not affine),
            nn.BatchNorm2d(C_out, affine=affine, track_running_stats=track_running_stats))

    def forward(self, x):
        return self.op(x)


class ResNetBasicblock(nn.Module):
    def __init__(self, inplanes, planes, stride, affine=True):
        super().__init__()
        assert stride == 1 or stride == 2, "invalid stride {:}".format(stride)
        self.conv_a = NB201ReLUConvBN(inplanes, planes, 3, stride, 1, 1, affine)
        self.conv_b = NB201ReLUConvBN(planes, planes, 3, 1, 1, 1, affine)
        if stride == 2:
            self.downsample = nn.Sequential(
                nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
                nn.Conv2d(inplanes, planes, kernel_size=1, stride=1, padding=0, bias=False))
        elif inplanes != planes:
            self.downsample = NB201ReLUConvBN(inplanes, planes, 1, 1, 0, 1, affine)
        else:
            self.downsample = None

    def forward(self, inputs):
        basicblock = self.conv_b(self.conv_a(inputs))
        residual = self.downsample(inputs) if self.downsample is not None else inputs
        return residual + basicblock


def pool_bn(max_pool, C, stride):  # model_search.MixedOp: nn.Sequential(pool, BatchNorm2d(C, affine=False))
    pool = nn.MaxPool2d(3, stride=stride, padding=1) if max_pool else \
        nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
    return nn.Sequential(pool, nn.BatchNorm2d(C, affine=False))


CASES = {
    "rcb_s2_affine": (lambda: ReLUConvBN(4, 6, 3, 2, 1, affine=True), (2, 4, 8, 8)),
    "rcb_1x1_noaffine": (lambda: ReLUConvBN(4, 6, 1, 1, 0, affine=False), (2, 4, 6, 6)),
    "sep3_s2_affine": (lambda: SepConv(4, 4, 3, 2, 1, affine=True), (2, 4, 8, 8)),
    "sep5_noaffine": (lambda: SepConv(4, 4, 5, 1, 2, affine=False), (2, 4, 7, 7)),
    "dil3_affine": (lambda: DilConv(4, 4, 3, 1, 2, 2, affine=True), (2, 4, 8, 8)),
    "dil5_s2_noaffine": (lambda: DilConv(4, 4, 5, 2, 4, 2, affine=False), (2, 4, 8, 8)),
    "fr_affine": (lambda: FactorizedReduce(4, 6, affine=True), (2, 4, 8, 8)),
    "fr_noaffine": (lambda: FactorizedReduce(4, 4, affine=False), (2, 4, 6, 6)),
    "maxpool_bn_s2": (lambda: pool_bn(True, 4, 2), (2, 4, 8, 8)),
    "avgpool_bn": (lambda: pool_bn(False, 4, 1), (2, 4, 5, 5)),
    "avgpool_s2": (lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (2, 4, 7, 7)),
    "nb201_rcb3_noaffine": (lambda: NB201ReLUConvBN(4, 4, 3, 1, 1, 1, affine=False), (2, 4, 6, 6)),
    "nb201_rcb1_affine": (lambda: NB201ReLUConvBN(4, 4, 1, 1, 0, 1, affine=True), (2, 4, 6, 6)),
    "nb201_res_s2_affine": (lambda: ResNetBasicblock(4, 8, 2, affine=True), (2, 4, 8, 8)),
    "nb201_res_s2_noaffine": (lambda: ResNetBasicblock(4, 8, 2, affine=False), (2, 4, 8, 8)),
    "nb201_res_s1_wide": (lambda: ResNetBasicblock(4, 6, 1, affine=True), (2, 4, 6, 6)),
}


def save(name, a):
    if isinstance(a, torch.Tensor):
        a = a.detach().numpy()
    np.save(f"{OUT}/{name}.npy", np.ascontiguousarray(a, dtype=np.float32))


manifest = {}
for case, (make, shape) in CASES.items():
    m = make()
    m.train()
    with torch.no_grad():
        for name, mod in m.named_modules():
            if isinstance(mod, nn.BatchNorm2d) and mod.affine:
                mod.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, mod.weight.shape).astype(np.float32)))
                mod.bias.copy_(torch.tensor(rng.standard_normal(mod.bias.shape).astype(np.float32) * 0.3))
    manifest[case] = list(m.state_dict().keys())
    for k, p in m.named_parameters():
        save(f"{case}_param.{k}", p)
    x = torch.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
    y = m(x)
    R = torch.tensor(rng.standard_normal(y.shape).astype(np.float32))
    (y * R).sum().backward()
    save(f"{case}_x", x)
    save(f"{case}_R", R)
    save(f"{case}_y", y)
    save(f"{case}_dx", x.grad)
    for k, p in m.named_parameters():
        save(f"{case}_grad.{k}", p.grad)
    for k, b in m.named_buffers():
        if b.dtype.is_floating_point:
            save(f"{case}_buf.{k}", b)

with open(f"{OUT}/manifest.json", "w") as f:
    json.dump(manifest, f, indent=1)
    f.write("\n")
