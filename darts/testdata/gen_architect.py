# Fixture for the architect (darts/architect_test.go): two search iterations of DARTS in float64 on the small
# NAS-Bench-201 supernet of gen_supernet.py (C=4, N=1, batch 2), first order and second order.
# Run: cd darts/testdata && /usr/bin/python3 gen_architect.py   (torch 1.13.0a0, numpy 1.24.2)
# The second-order step is a port of quark0/darts f276dd3 cnn/architect.py (_compute_unrolled_model,
# _backward_step_unrolled, _hessian_vector_product with r=1e-2); the loop is cnn/train_search.py: the α step
# on the val batch, then the weight step (zero_grad, backward, clip_grad_norm_(5), SGD step). The fixture holds
# α, the first α gradient, and samples of the weights ('w.') and of the BN buffers ('b.') after two iterations.
import copy

import numpy as np
import torch
import torch.nn.functional as F

import sfwrite
from gen_supernet import TinyNetworkDarts, fill, images, weights_of

torch.set_default_dtype(torch.float64)
LR, MOM, WD, CLIP = 0.025, 0.9, 3e-4, 5.0
ALR, BETAS, AWD = 3e-4, (0.5, 0.999), 1e-3


def loss_of(model, x, y):
    return F.cross_entropy(model(x), y)


def run(unrolled):
    model = TinyNetworkDarts(4, 1, 10)
    ws = weights_of(model)
    k = fill(ws)
    fill([('alpha', model.arch_parameters)], k)
    model.train()
    params = [p for _, p in ws]
    alpha = model.arch_parameters
    w_opt = torch.optim.SGD(params, LR, momentum=MOM, weight_decay=WD)
    a_opt = torch.optim.Adam([alpha], lr=ALR, betas=BETAS, weight_decay=AWD)
    xt, yt = images(2, 32, 32).double(), torch.tensor([0, 1])
    xv, yv = torch.from_numpy(np.ascontiguousarray(images(4, 32, 32).double().numpy()[2:])), torch.tensor([2, 3])
    dalpha0 = None
    for it in range(2):
        # Phase 1: architecture step (val batch)
        a_opt.zero_grad()
        if not unrolled:
            loss_of(model, xv, yv).backward(inputs=[alpha])
        else:
            eta = LR
            loss = loss_of(model, xt, yt)
            theta = torch.cat([p.data.view(-1) for p in params])
            try:
                moment = torch.cat([w_opt.state[p]['momentum_buffer'].view(-1) for p in params]) * MOM
            except KeyError:
                moment = torch.zeros_like(theta)
            dtheta = torch.cat([g.view(-1) for g in torch.autograd.grad(loss, params)]) + WD * theta
            unrolled_model = copy.deepcopy(model)
            u_params = [p for _, p in weights_of(unrolled_model)]
            new = theta - eta * (moment + dtheta)
            off = 0
            with torch.no_grad():
                for p in u_params:
                    p.copy_(new[off:off + p.numel()].view_as(p))
                    off += p.numel()
            u_loss = loss_of(unrolled_model, xv, yv)
            grads = torch.autograd.grad(u_loss, u_params + [unrolled_model.arch_parameters])
            vector, dalpha = grads[:-1], grads[-1]
            R = 1e-2 / torch.cat([v.view(-1) for v in vector]).norm()
            with torch.no_grad():
                for p, v in zip(params, vector):
                    p.add_(v, alpha=R)
            gp = torch.autograd.grad(loss_of(model, xt, yt), [alpha])[0]
            with torch.no_grad():
                for p, v in zip(params, vector):
                    p.sub_(v, alpha=2 * R)
            gn = torch.autograd.grad(loss_of(model, xt, yt), [alpha])[0]
            with torch.no_grad():
                for p, v in zip(params, vector):
                    p.add_(v, alpha=R)
            implicit = (gp - gn).div_(2 * R)
            alpha.grad = dalpha - eta * implicit
        if it == 0:
            dalpha0 = alpha.grad.detach().numpy().copy()  # the α gradient of the first step (Adam normalises it away)
        a_opt.step()
        # Phase 2: weight step (train batch)
        w_opt.zero_grad()
        loss_of(model, xt, yt).backward(inputs=params)
        torch.nn.utils.clip_grad_norm_(params, CLIP)
        w_opt.step()
    out = {'alpha': alpha.detach().numpy().copy(), 'dalpha0': dalpha0}
    for name, p in ws:  # sampled as gen_supernet.py does
        out['w.' + name] = sample(p)
    # The BN buffers of the real model. In the unrolled step the validation pass at w' runs on a copy
    # (architect.py _construct_model_from_theta; deepcopy here), so it leaves these untouched: per iteration
    # the running statistics see 4 batches (the train pass of the virtual step, w+, w-, the weight step).
    for name, b in model.named_buffers():
        out['b.' + name] = b.detach().numpy().reshape(()).copy() if b.dim() == 0 else sample(b)
    return out


def sample(t):
    v = t.detach().numpy().reshape(-1)
    n = v.size
    m = min(n, 16)
    idx = [0] if m == 1 else [(i * (n - 1)) // (m - 1) for i in range(m)]
    return v[idx].copy()


sfwrite.save('architect_first.safetensors', run(False))
sfwrite.save('architect_unrolled.safetensors', run(True))
