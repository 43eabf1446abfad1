#!/usr/bin/python3
# Generates testdata/nar_parity.safetensors: a PyTorch reference implementation
# of NAR's ranker as algorithms.md B.3-B.4 specifies it (jadore801120-style
# post-LN transformer: bias-free MHA with temperature sqrt(d_k), FFN, encoder
# input path dropout(x + PE) -> LN, one decoder (NAR:ranker/models.py has a
# single self.decoder) run once per tier, queried by trg_prj(tier embedding)
# with batch 1 and broadcast against the batch's encoder outputs (as torch's
# matmul and residual add broadcast it), sum over tiers, tier_prj
# with scale d_model^-0.5, score head val_acc_prj; loss = soft CE +
# loss_factor * RankLoss), at tiny sizes, with random weights, inputs and
# the forward outputs, the loss and some gradients (dropout 0).
# Run from ranker/: /usr/bin/python3 testdata/gen_nar.py   (torch 1.13.1, numpy 1.24.2)
import json, math, struct
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(8)
B, L, DP, D, H, DK, DI, NL, NT, DTI, DVI = 4, 3, 4, 8, 2, 4, 16, 2, 5, 6, 7
FACTOR = 2.5

class MHA(nn.Module):
    def __init__(s):
        super().__init__()
        s.w_qs = nn.Linear(D, H * DK, bias=False); s.w_ks = nn.Linear(D, H * DK, bias=False)
        s.w_vs = nn.Linear(D, H * DK, bias=False); s.fc = nn.Linear(H * DK, D, bias=False)
        s.layer_norm = nn.LayerNorm(D, eps=1e-6)
    def forward(s, q, k, v):
        # view(-1, ...) as NAR:ranker/sublayers.py: a query of batch 1 broadcasts against keys of batch B
        lq, lk = q.size(1), k.size(1); res = q
        q = s.w_qs(q).view(-1, lq, H, DK).transpose(1, 2)
        k = s.w_ks(k).view(-1, lk, H, DK).transpose(1, 2)
        v = s.w_vs(v).view(-1, lk, H, DK).transpose(1, 2)
        a = F.softmax(torch.matmul(q / DK ** 0.5, k.transpose(2, 3)), dim=-1)
        o = torch.matmul(a, v).transpose(1, 2).contiguous().view(-1, lq, H * DK)
        return s.layer_norm(s.fc(o) + res)

class FFN(nn.Module):
    def __init__(s):
        super().__init__()
        s.w_1 = nn.Linear(D, DI); s.w_2 = nn.Linear(DI, D); s.layer_norm = nn.LayerNorm(D, eps=1e-6)
    def forward(s, x):
        return s.layer_norm(s.w_2(F.relu(s.w_1(x))) + x)

class EncLayer(nn.Module):
    def __init__(s):
        super().__init__(); s.slf_attn = MHA(); s.pos_ffn = FFN()
    def forward(s, x):
        return s.pos_ffn(s.slf_attn(x, x, x))

class DecLayer(nn.Module):
    def __init__(s):
        super().__init__(); s.slf_attn = MHA(); s.enc_attn = MHA(); s.pos_ffn = FFN()
    def forward(s, x, m):
        return s.pos_ffn(s.enc_attn(s.slf_attn(x, x, x), m, m))

def pos_table(n, d):
    t = np.array([[p / np.power(10000, 2 * (j // 2) / d) for j in range(d)] for p in range(n)])
    t[:, 0::2] = np.sin(t[:, 0::2]); t[:, 1::2] = np.cos(t[:, 1::2])
    return torch.tensor(t[:L], dtype=torch.float32)

class Stack(nn.Module):
    def __init__(s, layer):
        super().__init__(); s.layer_norm = nn.LayerNorm(D, eps=1e-6)
        s.layer_stack = nn.ModuleList([layer() for _ in range(NL)])

class NAR(nn.Module):
    def __init__(s):
        super().__init__()
        s.src_prj = nn.Linear(DP, D); s.encoder = Stack(EncLayer)
        s.val_acc_prj = nn.Sequential(nn.Linear(L * D, DVI), nn.ReLU(), nn.Linear(DVI, 1))
        s.trg_prj = nn.Linear(D, D)
        s.decoder = Stack(DecLayer)
        s.tier_prj = nn.Sequential(nn.Linear(L * D, DTI, bias=False), nn.ReLU(), nn.Linear(DTI, NT))
    def forward(s, x, tiers):
        pe = pos_table(200, D)
        e = s.encoder.layer_norm(s.src_prj(x) + pe)
        for l in s.encoder.layer_stack: e = l(e)
        score = s.val_acc_prj(e.reshape(B, -1))
        tot = 0
        for t in range(NT):
            d = s.decoder.layer_norm(s.trg_prj(tiers[t]).unsqueeze(0) + pe)  # (1, L, D), as the reference
            for l in s.decoder.layer_stack: d = l(d, e)
            tot = tot + d
        logits = s.tier_prj(tot.reshape(B, -1)) * D ** -0.5
        return e, score, logits

m = NAR()
with torch.no_grad():
    for p in m.parameters(): p.copy_(torch.randn_like(p) * 0.4)
x = torch.randn(B, L, DP)
tiers = torch.randn(NT, L, D)
target = F.one_hot(torch.tensor([0, 3, 3, 1]), NT).float()
val = torch.tensor([91.5, 88.0, 91.5, 70.25])
e, score, logits = m(x, tiers)
ce = -(target * F.log_softmax(logits, -1)).sum(-1).mean()
s = score[:, 0]; sg = torch.sign(val[:, None] - val[None, :])
mask = 1 - torch.eye(B)
rank = (F.softplus(-(s[:, None] - s[None, :]) * sg) * mask).sum() / (B * (B - 1))
loss = ce + FACTOR * rank
loss.backward()

out = {n: p.detach() for n, p in m.named_parameters()}
checked = ["src_prj.weight", "encoder.layer_stack.0.slf_attn.w_qs.weight", "decoder.layer_stack.1.enc_attn.fc.weight",
           "decoder.layer_stack.0.slf_attn.w_qs.weight", "decoder.layer_stack.0.enc_attn.w_ks.weight",
           "trg_prj.bias", "tier_prj.0.weight", "val_acc_prj.2.bias", "decoder.layer_norm.weight"]
for n in checked: out["grad/" + n] = dict(m.named_parameters())[n].grad
out.update({"in/x": x, "in/tiers": tiers, "in/target": target, "in/val": val.double(),
            "out/enc": e.detach(), "out/score": score.detach(), "out/logits": logits.detach(),
            "out/loss": loss.detach().reshape(1), "out/ce": ce.detach().reshape(1), "out/rank": rank.detach().reshape(1)})

# safetensors, written by hand (format: u64 header length, JSON header, data).
hdr, blobs, off = {}, [], 0
for n in sorted(out):
    a = out[n].contiguous().numpy()
    dt = {np.dtype("float32"): "F32", np.dtype("float64"): "F64"}[a.dtype]
    b = a.tobytes(); hdr[n] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
    blobs.append(b); off += len(b)
hdr["__metadata__"] = {"generator": "gen_nar.py", "torch": torch.__version__, "factor": str(FACTOR)}
h = json.dumps(hdr).encode(); h += b" " * ((8 - len(h) % 8) % 8)
with open("testdata/nar_parity.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(h))); f.write(h); f.write(b"".join(blobs))
print("loss", loss.item(), "params", sum(p.numel() for p in m.parameters()))
