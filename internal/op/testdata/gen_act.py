#!/usr/bin/python3
"""Goldens for ReLU, Hardtanh and clamp (internal/op/act_test.go) and for Linear and the mixed-op weighted
sum (internal/op/dense_test.go).

Generated with Debian python3-torch 1.13 (torch.__version__ '1.13.0a0') and numpy 1.24.2:
    cd internal/op/testdata && /usr/bin/python3 gen_act.py
Every case is computed in float32; gradients are of sum(out * R) with a fixed random R. Writes
act/<case>_<tensor>.npy. The activation inputs contain exact zeros and exact boundary values (min, max), so
the goldens pin torch's boundary conventions: relu passes no gradient at 0, Hardtanh passes none at min/max
(hardtanh_backward: min < x < max), clamp passes it there (clamp_backward: min <= x <= max).
"""
import os
import numpy as np
import torch

OUT = "act"
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(5)
LO, HI = -0.5, 0.75  # exactly representable, so boundary hits are exact


def save(case, **arrays):
    for k, v in arrays.items():
        if isinstance(v, torch.Tensor):
            v = v.detach().numpy()
        np.save(f"{OUT}/{case}_{k}.npy", np.ascontiguousarray(v, dtype=np.float32))


def act_input(shape=(2, 3, 4, 5)):
    x = rng.standard_normal(shape).astype(np.float32)
    flat = x.reshape(-1)
    flat[:12] = [0, 0, LO, LO, HI, HI, -0.0, 1e-8, -1e-8, LO - 1e-6, HI + 1e-6, 0.3]
    rng.shuffle(flat)
    return x


def unary(case, fn):
    x = torch.tensor(act_input(), requires_grad=True)
    y = fn(x)
    R = torch.tensor(rng.standard_normal(y.shape).astype(np.float32))
    (y * R).sum().backward()
    save(case, x=x, R=R, y=y, dx=x.grad)


unary("relu", torch.relu)
unary("hardtanh", lambda x: torch.nn.functional.hardtanh(x, LO, HI))
unary("clamp", lambda x: torch.clamp(x, LO, HI))

# Linear over leading dims: x (2,3,5), weight (4,5) in torch's (out, in) layout, bias (4).
x = torch.tensor(rng.standard_normal((2, 3, 5)).astype(np.float32), requires_grad=True)
lin = torch.nn.Linear(5, 4)
y = lin(x)
R = torch.tensor(rng.standard_normal(y.shape).astype(np.float32))
(y * R).sum().backward()
save("linear", x=x, weight=lin.weight, bias=lin.bias, R=R, y=y, dx=x.grad, dweight=lin.weight.grad,
     dbias=lin.bias.grad)

# Weighted sum of a mixed op: w = softmax(alpha) over K=8 ops, only ops 1, 3 and 6 are passed (the others
# are "none"). out = w[1]*x1 + w[3]*x3 + w[6]*x6. Saved gradient dw is with respect to w (zero at unused
# indices).
alpha = torch.tensor(rng.standard_normal(8).astype(np.float32))
w = torch.softmax(alpha, 0).detach().requires_grad_(True)
xs = [torch.tensor(rng.standard_normal((2, 3, 4, 4)).astype(np.float32), requires_grad=True) for _ in range(3)]
idx = [1, 3, 6]
y = sum(w[k] * xi for k, xi in zip(idx, xs))
R = torch.tensor(rng.standard_normal(y.shape).astype(np.float32))
(y * R).sum().backward()
save("wsum", w=w, x0=xs[0], x1=xs[1], x2=xs[2], R=R, y=y, dw=w.grad, dx0=xs[0].grad, dx1=xs[1].grad,
     dx2=xs[2].grad)
