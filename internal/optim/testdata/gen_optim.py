#!/usr/bin/python3
"""Golden fixtures for internal/optim, written to testdata/optim_golden.json.

Generated with Debian's python3-torch 1.13.0a0 and numpy 1.24.2:

    cd internal/optim && /usr/bin/python3 testdata/gen_optim.py

Each optimiser case runs 5 steps of torch.optim.{SGD,Adam,AdamW} on two small
parameters with fixed random gradients (one step gives the second parameter
no gradient, p.grad = None, to check that it is skipped and its step count
does not advance), and records the parameters after every step and the final
state (named "<param>.<state key>"). Each schedule records the learning rate
PyTorch's scheduler reports per epoch (get_last_lr() after e calls of
step()), or, for the schedules that live in the reference training scripts
and not in torch, the value of the reference formula reproduced below.
Floats are written with repr(), which round-trips exactly.
"""
import json
import math

import numpy as np
import torch

torch.set_num_threads(1)
rng = np.random.default_rng(20261127)

STEPS = 5
SHAPES = {"layer.weight": (3, 4), "layer.bias": (5,)}


def tolist(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def run_case(name, kind, dtype, cfg, lrs=None, skip=None):
    """Runs one optimiser for STEPS steps; skip = (step, param) gets no grad."""
    npdt = np.float32 if dtype == "float32" else np.float64
    tdt = torch.float32 if dtype == "float32" else torch.float64
    names = list(SHAPES)
    init = {n: rng.standard_normal(SHAPES[n]).astype(npdt) for n in names}
    params = [torch.tensor(init[n], dtype=tdt, requires_grad=True) for n in names]
    if kind == "sgd":
        opt = torch.optim.SGD(params, lr=cfg["lr"], momentum=cfg["momentum"],
                              dampening=cfg["dampening"], weight_decay=cfg["weight_decay"],
                              nesterov=cfg["nesterov"])
    elif kind == "adam":
        opt = torch.optim.Adam(params, lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]),
                               eps=cfg["eps"], weight_decay=cfg["weight_decay"])
    else:
        opt = torch.optim.AdamW(params, lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]),
                                eps=cfg["eps"], weight_decay=cfg["weight_decay"])
    grads, after = [], []
    for s in range(STEPS):
        if lrs is not None:
            for g in opt.param_groups:
                g["lr"] = lrs[s]
        step_grads = []
        for n, p in zip(names, params):
            if skip == (s, n):
                p.grad = None
                step_grads.append(None)
            else:
                g = rng.standard_normal(SHAPES[n]).astype(npdt)
                p.grad = torch.tensor(g, dtype=tdt)
                step_grads.append([float(x) for x in g.reshape(-1)])
        opt.step()
        grads.append(step_grads)
        after.append([tolist(p) for p in params])
    state = {}
    for n, p in zip(names, params):
        for k, v in opt.state[p].items():
            if v is not None:  # SGD without momentum keeps momentum_buffer = None
                state[n + "." + k] = tolist(v) if v.dim() > 0 else [float(v.item())]
    return {
        "name": name, "kind": kind, "dtype": dtype, "config": cfg, "lrs": lrs,
        "params": [{"name": n, "shape": list(SHAPES[n]),
                    "init": [float(x) for x in init[n].reshape(-1)]} for n in names],
        "grads": grads, "after": after, "state": state,
    }


def closed_cosine(base, eta_min, t_max, e):
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * e / t_max)) / 2


def torch_schedule(base, make, epochs):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base)
    sched = make(opt)
    lrs = []
    for _ in range(epochs):
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    return lrs


def pcdarts_imagenet(base, epochs, batch_size):
    """PC-DARTS / alpha-DARTS train_imagenet.py: adjust_lr, then the warm-up override."""
    lrs = []
    for epoch in range(epochs):
        if epochs - epoch > 5:
            lr = base * (epochs - 5 - epoch) / (epochs - 5)
        else:
            lr = base * (epochs - epoch) / ((epochs - 5) * 5)
        if epoch < 5 and batch_size > 256:
            lr = base * (epoch + 1) / 5.0
        lrs.append(lr)
    return lrs


def noam(lr_mul, d_model, warmup, steps):
    """NAR utils/optim.py ScheduledOptim: n_steps += 1 before computing the rate."""
    lrs, n = [], 0
    for _ in range(steps):
        n += 1
        lrs.append(lr_mul * (d_model ** -0.5) * min(n ** (-0.5), n * warmup ** (-1.5)))
    return lrs


def clip_case(name, max_norm, scale):
    shapes = [(4, 3), (6,)]
    gs = [rng.standard_normal(s).astype(np.float32) * scale for s in shapes]
    ps = [torch.zeros(s, requires_grad=True) for s in shapes]
    for p, g in zip(ps, gs):
        p.grad = torch.tensor(g)
    norm = torch.nn.utils.clip_grad_norm_(ps, max_norm)
    return {"name": name, "max_norm": max_norm,
            "grads": [[float(x) for x in g.reshape(-1)] for g in gs],
            "norm": float(norm.item()),
            "clipped": [tolist(p.grad) for p in ps]}


def main():
    cases = []
    darts_w = dict(lr=0.025, momentum=0.9, dampening=0.0, weight_decay=3e-4, nesterov=False)
    for dt in ("float32", "float64"):
        sfx = "_f32" if dt == "float32" else "_f64"
        cases.append(run_case("sgd_darts" + sfx, "sgd", dt, darts_w))
        cases.append(run_case("sgd_plain" + sfx, "sgd", dt,
                              dict(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False)))
        cases.append(run_case("sgd_nesterov" + sfx, "sgd", dt,
                              dict(lr=0.05, momentum=0.9, dampening=0.0, weight_decay=1e-2, nesterov=True)))
        cases.append(run_case("sgd_dampening_skip" + sfx, "sgd", dt,
                              dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.0, nesterov=False),
                              skip=(2, "layer.bias")))
        cases.append(run_case("sgd_cosine_lr" + sfx, "sgd", dt, darts_w,
                              lrs=[closed_cosine(0.025, 0.001, 5, e) for e in range(STEPS)]))
        # DARTS architecture optimiser: Adam(lr 3e-4, betas (0.5, 0.999), wd 1e-3).
        cases.append(run_case("adam_darts_alpha" + sfx, "adam", dt,
                              dict(lr=3e-4, beta1=0.5, beta2=0.999, eps=1e-8, weight_decay=1e-3)))
        cases.append(run_case("adam_skip" + sfx, "adam", dt,
                              dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2),
                              skip=(1, "layer.bias")))
        # NAR NB201 optimiser: AdamW betas (0.9, 0.99), eps 1e-9, wd 1e-2, Noam lr.
        cases.append(run_case("adamw_nar" + sfx, "adamw", dt,
                              dict(lr=0.0, beta1=0.9, beta2=0.99, eps=1e-9, weight_decay=1e-2),
                              lrs=noam(0.07, 128, 30, STEPS)))
        cases.append(run_case("adamw_skip" + sfx, "adamw", dt,
                              dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1),
                              skip=(3, "layer.weight")))

    S = torch.optim.lr_scheduler
    schedules = [
        {"name": "cosine_darts", "kind": "cosine", "base": 0.025, "min": 0.001, "t_max": 50,
         "lr": torch_schedule(0.025, lambda o: S.CosineAnnealingLR(o, T_max=50, eta_min=0.001), 50),
         "closed": [closed_cosine(0.025, 0.001, 50, e) for e in range(50)]},
        {"name": "cosine_past_tmax", "kind": "cosine", "base": 0.1, "min": 0.0, "t_max": 8,
         "lr": torch_schedule(0.1, lambda o: S.CosineAnnealingLR(o, T_max=8, eta_min=0.0), 20)},
        {"name": "step", "kind": "step", "base": 0.1, "step_size": 3, "gamma": 0.5,
         "lr": torch_schedule(0.1, lambda o: S.StepLR(o, step_size=3, gamma=0.5), 13)},
        {"name": "linear_warmup", "kind": "linear", "base": 0.1, "start": 0.25, "end": 1.0, "iters": 4,
         "lr": torch_schedule(0.1, lambda o: S.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4), 9)},
        {"name": "alpha_darts_imagenet", "kind": "imagenet", "base": 0.5, "epochs": 250, "warmup": True,
         "lr": pcdarts_imagenet(0.5, 250, 1024)},
        {"name": "imagenet_small_batch", "kind": "imagenet", "base": 0.1, "epochs": 12, "warmup": False,
         "lr": pcdarts_imagenet(0.1, 12, 256)},
        {"name": "noam_nb201", "kind": "noam", "lr_mul": 0.07, "d_model": 128, "warmup": 30,
         "lr": noam(0.07, 128, 30, 100)},
        {"name": "noam_nb101", "kind": "noam", "lr_mul": 0.1, "d_model": 256, "warmup": 50,
         "lr": noam(0.1, 256, 50, 100)},
    ]
    clips = [clip_case("clip_scaled", 5.0, 3.0), clip_case("clip_unscaled", 5.0, 0.1)]
    out = {"torch": torch.__version__, "numpy": np.__version__,
           "optim": cases, "schedules": schedules, "clip": clips}
    with open("testdata/optim_golden.json", "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))


if __name__ == "__main__":
    main()
