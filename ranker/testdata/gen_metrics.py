#!/usr/bin/python3
# Generates testdata/metrics_ref.json: reference values of Kendall tau-b,
# NAR's tau variant (sign(0)=+1), Spearman rho (average ranks), precision@k,
# RankLoss and soft cross-entropy, computed in plain Python by the textbook
# O(n^2) definitions (independent of the Go O(n log n) code).
# Run: /usr/bin/python3 testdata/gen_metrics.py  (Python 3.11, numpy 1.24.2 used only for the RNG)
import json, math
import numpy as np

rng = np.random.default_rng(20261127)

def tau_b(x, y):
    n = len(x); nc = nd = tx = ty = 0
    for i in range(n):
        for j in range(i + 1, n):
            dx = x[i] - x[j]; dy = y[i] - y[j]
            if dx == 0 and dy == 0: continue
            if dx == 0: tx += 1; continue
            if dy == 0: ty += 1; continue
            if dx * dy > 0: nc += 1
            else: nd += 1
    return (nc - nd) / math.sqrt((nc + nd + tx) * (nc + nd + ty))

def tau_nar(p, t):
    s = lambda v: 1 if v >= 0 else -1
    n = len(p); acc = 0
    for i in range(n):
        for j in range(i + 1, n):
            acc += s(p[i] - p[j]) * s(t[i] - t[j])
    return acc / (n * (n - 1) / 2)

def avg_ranks(v):
    n = len(v); r = [0.0] * n
    for i in range(n):
        less = sum(1 for w in v if w < v[i]); eq = sum(1 for w in v if w == v[i])
        r[i] = less + (eq + 1) / 2
    return r

def pearson(a, b):
    n = len(a); ma = sum(a) / n; mb = sum(b) / n
    sab = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    saa = sum((x - ma) ** 2 for x in a); sbb = sum((y - mb) ** 2 for y in b)
    return sab / math.sqrt(saa * sbb)

def rank_loss(s, y):
    b = len(s); tot = 0.0
    for i in range(b):
        for j in range(b):
            if i == j: continue
            sg = (y[i] > y[j]) - (y[i] < y[j])
            tot += math.log1p(math.exp(-(s[i] - s[j]) * sg))
    return tot / (b * (b - 1))

def soft_ce(logits, q):
    tot = 0.0
    for l, t in zip(logits, q):
        m = max(l); lz = m + math.log(sum(math.exp(v - m) for v in l))
        tot -= sum(tc * (v - lz) for v, tc in zip(l, t))
    return tot / len(logits)

cases = []
for n, levels in [(7, 0), (50, 5), (200, 0), (300, 12)]:
    if levels:
        x = rng.integers(0, levels, n).astype(float).tolist()
        y = rng.integers(0, levels, n).astype(float).tolist()
    else:
        x = rng.normal(size=n).round(6).tolist()
        y = (np.array(x) + rng.normal(size=n)).round(6).tolist()
    cases.append({"x": x, "y": y, "tau_b": tau_b(x, y), "tau_nar": tau_nar(x, y),
                  "spearman": pearson(avg_ranks(x), avg_ranks(y))})
s = rng.normal(size=9).tolist(); yv = rng.integers(0, 4, 9).astype(float).tolist()
logits = rng.normal(size=(6, 5)).tolist(); q = np.eye(5)[rng.integers(0, 5, 6)].tolist()
out = {"cases": cases, "rank_loss": {"s": s, "y": yv, "value": rank_loss(s, yv)},
       "soft_ce": {"logits": logits, "q": q, "value": soft_ce(logits, q)}}
json.dump(out, open("testdata/metrics_ref.json", "w"))
