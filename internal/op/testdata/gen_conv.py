"""Golden fixtures for internal/op's Conv2d and ConvTranspose2d tests.

Generated with torch 1.13.0a0 (Debian python3-torch 1.13.1) and numpy 1.24.2 on CPU, float32.
Run from this directory with: /usr/bin/python3 gen_conv.py

For each case it writes testdata/conv/<name>_{x,w,b,r,y,dx,dw,db}.npy: inputs x, weight w, bias b (if any),
the fixed random weights r of the loss L = sum(y * r), the output y and the gradients of L. The case
parameters go to testdata/conv/cases.json, which the Go test reads, so they are written once.
"""
import json

import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(20261127)
torch.set_num_threads(1)

# name, transposed, N, Cin, H, W, Cout, (KH, KW), stride, padding, dilation, groups, bias, output_padding
# Cases whose name ends in "_relu" compute conv2d(relu(x), ...) (the fused ReLU of ConvParams.ReLU).
CASES = [
    ("dense3x3", False, 2, 4, 8, 8, 6, (3, 3), (1, 1), (1, 1), (1, 1), 1, True, (0, 0)),
    ("dense3x3_s2", False, 2, 4, 9, 8, 5, (3, 3), (2, 2), (1, 1), (1, 1), 1, False, (0, 0)),
    ("stem3to8", False, 2, 3, 8, 8, 8, (3, 3), (1, 1), (1, 1), (1, 1), 1, False, (0, 0)),
    ("dw3x3", False, 2, 4, 8, 8, 4, (3, 3), (1, 1), (1, 1), (1, 1), 4, False, (0, 0)),
    ("dw3x3_s2", False, 2, 4, 8, 8, 4, (3, 3), (2, 2), (1, 1), (1, 1), 4, False, (0, 0)),
    ("dw5x5_d2", False, 2, 4, 8, 8, 4, (5, 5), (1, 1), (4, 4), (2, 2), 4, False, (0, 0)),
    ("dw3x3_d2_s2", False, 2, 4, 8, 8, 4, (3, 3), (2, 2), (2, 2), (2, 2), 4, True, (0, 0)),
    ("dw_mult2", False, 2, 4, 6, 6, 8, (3, 3), (1, 1), (1, 1), (1, 1), 4, False, (0, 0)),
    ("pw1x1", False, 2, 4, 8, 8, 6, (1, 1), (1, 1), (0, 0), (1, 1), 1, True, (0, 0)),
    ("pw1x1_s2", False, 2, 4, 8, 8, 3, (1, 1), (2, 2), (0, 0), (1, 1), 1, False, (0, 0)),
    ("grouped_asym", False, 2, 4, 9, 7, 6, (3, 2), (2, 1), (1, 0), (1, 2), 2, True, (0, 0)),
    ("dw3x3_relu", False, 2, 4, 8, 8, 4, (3, 3), (1, 1), (1, 1), (1, 1), 4, False, (0, 0)),
    ("dw5x5_d2_relu", False, 2, 4, 8, 8, 4, (5, 5), (1, 1), (4, 4), (2, 2), 4, False, (0, 0)),
    ("dw3x3_s2_relu", False, 2, 4, 8, 8, 4, (3, 3), (2, 2), (1, 1), (1, 1), 4, False, (0, 0)),
    ("pw1x1_relu", False, 2, 4, 8, 8, 6, (1, 1), (1, 1), (0, 0), (1, 1), 1, False, (0, 0)),
    ("dense3x3_relu", False, 2, 4, 8, 8, 6, (3, 3), (1, 1), (1, 1), (1, 1), 1, True, (0, 0)),
    ("tconv4x4_s2", True, 2, 4, 5, 5, 3, (4, 4), (2, 2), (1, 1), (1, 1), 1, True, (0, 0)),
    ("tconv3x3_s2_op1", True, 2, 4, 4, 5, 3, (3, 3), (2, 2), (1, 1), (1, 1), 1, False, (1, 1)),
    ("tconv_g2_d2", True, 2, 4, 4, 4, 6, (3, 3), (2, 2), (0, 1), (2, 1), 2, True, (1, 0)),
]


def save(name, key, t):
    np.save(f"conv/{name}_{key}.npy", t.detach().numpy().astype("<f4"))


meta = []
for (name, tr, n, cin, h, w, cout, k, s, p, d, g, bias, op) in CASES:
    x = torch.randn(n, cin, h, w, requires_grad=True)
    if tr:
        wt = (torch.randn(cin, cout // g, *k) * 0.3).requires_grad_()
    else:
        wt = (torch.randn(cout, cin // g, *k) * 0.3).requires_grad_()
    b = torch.randn(cout, requires_grad=True) if bias else None
    if tr:
        y = F.conv_transpose2d(x, wt, b, stride=s, padding=p, output_padding=op, groups=g, dilation=d)
    else:
        xin = F.relu(x) if name.endswith("_relu") else x
        y = F.conv2d(xin, wt, b, stride=s, padding=p, dilation=d, groups=g)
    r = torch.rand_like(y) * 2 - 1
    (y * r).sum().backward()
    for key, t in [("x", x), ("w", wt), ("r", r), ("y", y), ("dx", x.grad), ("dw", wt.grad)]:
        save(name, key, t)
    if bias:
        save(name, "b", b)
        save(name, "db", b.grad)
    meta.append(dict(name=name, transposed=tr, stride=s, padding=p, dilation=d, groups=g, bias=bias,
                     output_padding=op, relu=name.endswith("_relu")))

with open("conv/cases.json", "w") as f:
    json.dump(meta, f, indent=1)
