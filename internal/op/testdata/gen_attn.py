#!/usr/bin/python3
"""Goldens for the batched matmul and its transposed variants (internal/op/attn_test.go).

Generated with Debian python3-torch 1.13 (torch.__version__ '1.13.0a0') and numpy 1.24.2:
    cd internal/op/testdata && /usr/bin/python3 gen_attn.py
Every case is computed in float32; gradients are of sum(out * R) with a fixed random R. Shapes are
(B=2, H=3, ...), as in multi-head attention; the bc_* cases broadcast leading dimensions of size 1. Writes attn/<case>_<tensor>.npy.
"""
import os
import numpy as np
import torch

OUT = "attn"
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(3)


def save(case, **arrays):
    for k, v in arrays.items():
        if isinstance(v, torch.Tensor):
            v = v.detach().numpy()
        np.save(f"{OUT}/{case}_{k}.npy", np.ascontiguousarray(v, dtype=np.float32))


def rand(*shape):
    return torch.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)


M, K, N = 4, 5, 6
cases = {
    "nn": ((2, 3, M, K), (2, 3, K, N), lambda a, b: a @ b),
    "nt": ((2, 3, M, K), (2, 3, N, K), lambda a, b: a @ b.transpose(-1, -2)),  # Q·Kᵀ
    "tn": ((2, 3, K, M), (2, 3, K, N), lambda a, b: a.transpose(-1, -2) @ b),
    "tt": ((2, 3, K, M), (2, 3, N, K), lambda a, b: a.transpose(-1, -2) @ b.transpose(-1, -2)),
    # Broadcasting over leading dimensions of size 1 (torch.matmul semantics): a decoder query of batch 1
    # against keys of batch 2, and a mixed case where each side broadcasts one dimension.
    "bc_nt": ((1, 3, M, K), (2, 3, N, K), lambda a, b: a @ b.transpose(-1, -2)),
    "bc_mixed": ((2, 1, M, K), (1, 3, K, N), lambda a, b: a @ b),
}
for case, (sa, sb, fn) in cases.items():
    a, b = rand(*sa), rand(*sb)
    y = fn(a, b)
    R = torch.tensor(rng.standard_normal(y.shape).astype(np.float32))
    (y * R).sum().backward()
    save(case, a=a, b=b, R=R, y=y, da=a.grad, db=b.grad)
