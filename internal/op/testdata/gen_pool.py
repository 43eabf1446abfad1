"""Golden fixtures for internal/op's MaxPool2d, AvgPool2d and GlobalAvgPool2d tests.

Generated with torch 1.13.0a0 (Debian python3-torch 1.13.1) and numpy 1.24.2 on CPU, float32.
Run from this directory with: /usr/bin/python3 gen_pool.py

For each case it writes testdata/pool/<name>_{x,r,y,dx}.npy: the input, the fixed random weights r of the loss
L = sum(y * r), the output and dL/dx. Parameters go to testdata/pool/cases.json, which the Go test reads.
"""
import json

import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(20261128)
torch.set_num_threads(1)

# name, kind, (N, C, H, W), kernel, stride, padding, count_include_pad
CASES = [
    ("max3_s1_p1", "max", (2, 3, 8, 8), (3, 3), (1, 1), (1, 1), False),
    ("max3_s2_p1", "max", (2, 3, 8, 8), (3, 3), (2, 2), (1, 1), False),
    ("max2_s2_odd", "max", (2, 3, 7, 9), (2, 2), (2, 2), (0, 0), False),
    ("max_asym", "max", (1, 2, 7, 6), (3, 2), (2, 1), (1, 1), False),
    ("avg3_s1_p1_incl", "avg", (2, 3, 8, 8), (3, 3), (1, 1), (1, 1), True),
    ("avg3_s1_p1_excl", "avg", (2, 3, 8, 8), (3, 3), (1, 1), (1, 1), False),
    ("avg3_s2_p1_incl", "avg", (2, 3, 9, 8), (3, 3), (2, 2), (1, 1), True),
    ("avg3_s2_p1_excl", "avg", (2, 3, 9, 8), (3, 3), (2, 2), (1, 1), False),
    ("avg_asym_excl", "avg", (1, 2, 7, 6), (2, 3), (2, 1), (1, 1), False),
    ("avg2_s2", "avg", (2, 3, 8, 8), (2, 2), (2, 2), (0, 0), True),
    ("global", "global", (2, 5, 6, 7), None, None, None, False),
]

meta = []
for (name, kind, shape, k, s, p, cip) in CASES:
    x = torch.randn(*shape, requires_grad=True)
    if kind == "max":
        y = F.max_pool2d(x, k, s, p)
    elif kind == "avg":
        y = F.avg_pool2d(x, k, s, p, count_include_pad=cip)
    else:
        y = F.adaptive_avg_pool2d(x, 1).flatten(1)
    r = torch.rand_like(y) * 2 - 1
    (y * r).sum().backward()
    for key, t in [("x", x), ("r", r), ("y", y), ("dx", x.grad)]:
        np.save(f"pool/{name}_{key}.npy", t.detach().numpy().astype("<f4"))
    meta.append(dict(name=name, kind=kind, kernel=k, stride=s, padding=p, count_include_pad=cip))

with open("pool/cases.json", "w") as f:
    json.dump(meta, f, indent=1)
