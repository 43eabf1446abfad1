#!/usr/bin/python3
"""Goldens for BatchNorm2d and LayerNorm (internal/op/norm_test.go).

Generated with Debian python3-torch 1.13 (torch.__version__ '1.13.0a0') and numpy 1.24.2:
    cd internal/op/testdata && /usr/bin/python3 gen_norm.py
Every case is computed in float32. The loss is sum(out * R) with a fixed random R, so the saved gradients are
d(sum(out*R))/d(input). Writes norm/<case>_<tensor>.npy.
"""
import os
import numpy as np
import torch

OUT = "norm"
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20261127)


def t(*shape, scale=1.0, shift=0.0):
    return torch.tensor((rng.standard_normal(shape) * scale + shift).astype(np.float32), requires_grad=True)


def save(case, **arrays):
    for k, v in arrays.items():
        if isinstance(v, torch.Tensor):
            v = v.detach().numpy()
        np.save(f"{OUT}/{case}_{k}.npy", np.ascontiguousarray(v, dtype=np.float32))


def bn_train(case, affine, shape=(4, 3, 5, 5)):
    x = t(*shape, scale=2.0, shift=0.5)
    bn = torch.nn.BatchNorm2d(shape[1], affine=affine, eps=1e-5, momentum=0.1)
    if affine:
        with torch.no_grad():
            bn.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, shape[1]).astype(np.float32)))
            bn.bias.copy_(torch.tensor(rng.standard_normal(shape[1]).astype(np.float32)))
    bn.train()
    y = bn(x)
    R = torch.tensor(rng.standard_normal(y.shape).astype(np.float32))
    (y * R).sum().backward()
    arrays = dict(x=x, R=R, y=y, dx=x.grad, running_mean=bn.running_mean, running_var=bn.running_var)
    if affine:
        arrays.update(weight=bn.weight, bias=bn.bias, dweight=bn.weight.grad, dbias=bn.bias.grad)
    save(case, **arrays)


def bn_eval(case, shape=(3, 4, 3, 3)):
    x = t(*shape)
    bn = torch.nn.BatchNorm2d(shape[1], affine=True, eps=1e-5)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, shape[1]).astype(np.float32)))
        bn.bias.copy_(torch.tensor(rng.standard_normal(shape[1]).astype(np.float32)))
        bn.running_mean.copy_(torch.tensor(rng.standard_normal(shape[1]).astype(np.float32)))
        bn.running_var.copy_(torch.tensor(rng.uniform(0.5, 2.0, shape[1]).astype(np.float32)))
    bn.eval()
    y = bn(x)
    R = torch.tensor(rng.standard_normal(y.shape).astype(np.float32))
    (y * R).sum().backward()
    save(case, x=x, R=R, y=y, dx=x.grad, weight=bn.weight, bias=bn.bias, dweight=bn.weight.grad,
         dbias=bn.bias.grad, running_mean=bn.running_mean, running_var=bn.running_var)


def layernorm(case, shape=(2, 3, 8), eps=1e-6):
    x = t(*shape, scale=1.5, shift=-0.3)
    ln = torch.nn.LayerNorm(shape[-1], eps=eps)
    with torch.no_grad():
        ln.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, shape[-1]).astype(np.float32)))
        ln.bias.copy_(torch.tensor(rng.standard_normal(shape[-1]).astype(np.float32)))
    y = ln(x)
    R = torch.tensor(rng.standard_normal(y.shape).astype(np.float32))
    (y * R).sum().backward()
    save(case, x=x, R=R, y=y, dx=x.grad, weight=ln.weight, bias=ln.bias, dweight=ln.weight.grad,
         dbias=ln.bias.grad)


bn_train("bn_affine", True)
bn_train("bn_plain", False)
bn_eval("bn_eval")
layernorm("ln")
