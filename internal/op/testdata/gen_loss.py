#!/usr/bin/python3
"""Goldens for softmax / log-softmax over the last axis, cross-entropy (integer and soft targets, label
smoothing), the masked MSE of alpha-DARTS and NAR's pairwise RankLoss (internal/op/loss_test.go).

Generated with Debian python3-torch 1.13 (torch.__version__ '1.13.0a0') and numpy 1.24.2:
    cd internal/op/testdata && /usr/bin/python3 gen_loss.py
Every case is computed in float32. Tensor-valued ops: gradients of sum(out * R) with a fixed random R.
Scalar losses: gradients of G*loss with G = 0.7 (so the incoming gradient is not 1). Class indices are saved as
float32 (exact small integers). Writes loss/<case>_<tensor>.npy.
"""
import os
import numpy as np
import torch
import torch.nn.functional as F

OUT = "loss"
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(11)
G = 0.7


def save(case, **arrays):
    for k, v in arrays.items():
        if isinstance(v, torch.Tensor):
            v = v.detach().numpy()
        np.save(f"{OUT}/{case}_{k}.npy", np.ascontiguousarray(np.asarray(v), dtype=np.float32))


def rand(*shape, scale=1.0):
    return torch.tensor((rng.standard_normal(shape) * scale).astype(np.float32), requires_grad=True)


for case, fn in [("softmax", lambda x: torch.softmax(x, -1)), ("logsoftmax", lambda x: torch.log_softmax(x, -1))]:
    x = rand(2, 3, 7, scale=3.0)
    y = fn(x)
    R = torch.tensor(rng.standard_normal(y.shape).astype(np.float32))
    (y * R).sum().backward()
    save(case, x=x, R=R, y=y, dx=x.grad)

# Cross-entropy with integer targets, mean reduction, with and without label smoothing.
for case, eps in [("ce", 0.0), ("ce_ls", 0.1)]:
    x = rand(6, 5, scale=2.0)
    target = torch.tensor(rng.integers(0, 5, 6))
    loss = F.cross_entropy(x, target, label_smoothing=eps)
    (G * loss).backward()
    save(case, x=x, target=target.numpy().astype(np.float32), loss=loss.reshape(1), dx=x.grad)

# Cross-entropy with soft (probability) targets; torch smooths them as q*(1-eps) + eps/C.
for case, eps in [("softce", 0.0), ("softce_ls", 0.2)]:
    x = rand(6, 5, scale=2.0)
    q = torch.softmax(torch.tensor(rng.standard_normal((6, 5)).astype(np.float32)), -1).requires_grad_(True)
    loss = F.cross_entropy(x, q, label_smoothing=eps)
    (G * loss).backward()
    save(case, x=x, q=q, loss=loss.reshape(1), dx=x.grad, dq=q.grad)

# alpha-DARTS utils.MaskMSE(norm_pix_loss=False): per-patch mean over the last dim, then
# (loss*mask).sum()/mask.sum(). pred/target (B=2, L=4, D=6), mask (2,4) with 1 = masked patch.
pred = rand(2, 4, 6)
target = rand(2, 4, 6)
mask = torch.tensor([[1, 0, 1, 1], [0, 1, 0, 1]], dtype=torch.float32)
loss = ((pred - target) ** 2).mean(dim=-1)
loss = (loss * mask).sum() / mask.sum()
(G * loss).backward()
save("mmse", pred=pred, target=target, mask=mask, loss=loss.reshape(1), dpred=pred.grad, dtarget=target.grad)

# NAR's RankLoss (from ReNAS; algorithms.md B.3): mean over ordered pairs i != j of
# log(1 + exp(-(s_i - s_j) * sign(y_i - y_j))), normaliser B(B-1). Targets include a tie (equal accuracies).
s = rand(7)
y = torch.tensor([0.91, 0.85, 0.91, 0.70, 0.88, 0.93, 0.60], dtype=torch.float32)
diff_s = s[:, None] - s[None, :]
sgn = torch.sign(y[:, None] - y[None, :])
off = ~torch.eye(7, dtype=torch.bool)
loss = F.softplus(-diff_s * sgn)[off].sum() / (7 * 6)
(G * loss).backward()
save("rank", s=s, y=y, loss=loss.reshape(1), ds=s.grad)
