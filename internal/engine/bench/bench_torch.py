"""PyTorch CPU side of the engine block benchmarks in internal/engine/bench (blocks_test.go).

torch 1.13.1 (Debian python3-torch, oneDNN), numpy not needed. Run with /usr/bin/python3.

Blocks, each one training step: forward, loss = mean((y - target)^2), backward (no optimiser step):
  mixed_edge         DARTS MixedOp (model_search.py) at stride 1 over the 8 PRIMITIVES on x (32, 16, 16, 16):
                     pools followed by BN(affine=False), sep convs as [ReLU, dw kxk, pw 1x1, BN] twice, dil convs
                     ReLU, dw kxk dilation 2, pw, BN; "none" (0*x) is skipped, as in the Go graph, but its alpha
                     still enters the softmax. Gradients w.r.t. alpha and the 12 conv weights.
  cell               DARTS normal search cell (Cell, reduction_prev False): s0, s1 (32, 16, 16, 16) through
                     ReLUConvBN 1x1, 4 nodes over 14 mixed edges, concat -> (32, 64, 16, 16). Gradients w.r.t.
                     alpha (14, 8) and every conv weight.
  transformer_layer  NAR post-LN encoder layer (jadore801120 EncoderLayer, algorithms.md B.3) on x (128, 31, 128):
                     MHA with 4 heads of d_k 32 (bias-free projections, temperature sqrt(d_k)), residual + LN(eps
                     1e-6), FFN 128 -> 512 -> 128 with ReLU, residual + LN. No dropout (as in Go). Gradients
                     w.r.t. all weights.

Timing: median over 5 repeats of the mean of `steps` steps, after 3 warm-up steps; wall clock
(time.perf_counter) and process CPU time (time.process_time). All one-thread runs come before any two-thread
run: once OpenMP has a second thread it spins between ops.

Usage:
  /usr/bin/python3 internal/engine/bench/bench_torch.py                   # torch only
  go test ./internal/engine/bench -run XXX -bench . -cpu 1,2 -count 5 | /usr/bin/python3 internal/engine/bench/bench_torch.py
  ... | /usr/bin/python3 internal/engine/bench/bench_torch.py --threads 1   # skip the two-thread torch runs
With Go benchmark output on stdin it takes the median ns/op and cpu-ms/op of each Benchmark<Block>[-<cpus>]
line and prints Go/torch ratios at 1 and 2 threads, and the 2-vs-1 speed-up of each.
"""
import argparse
import re
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

N, C, H, W = 32, 16, 16, 16
TF_B, TF_L, TF_D, TF_H, TF_INNER = 128, 31, 128, 4, 512


def bn(c):
    return nn.BatchNorm2d(c, affine=False)


class SepConv(nn.Module):
    def __init__(self, c, k):
        super().__init__()
        p = k // 2
        self.op = nn.Sequential(
            nn.ReLU(inplace=False), nn.Conv2d(c, c, k, 1, p, groups=c, bias=False), nn.Conv2d(c, c, 1, bias=False), bn(c),
            nn.ReLU(inplace=False), nn.Conv2d(c, c, k, 1, p, groups=c, bias=False), nn.Conv2d(c, c, 1, bias=False), bn(c))

    def forward(self, x):
        return self.op(x)


class DilConv(nn.Module):
    def __init__(self, c, k):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False), nn.Conv2d(c, c, k, 1, k - 1, dilation=2, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False), bn(c))

    def forward(self, x):
        return self.op(x)


class MixedOp(nn.Module):
    """PRIMITIVES order: none, max_pool_3x3, avg_pool_3x3, skip_connect, sep_conv_3x3, sep_conv_5x5,
    dil_conv_3x3, dil_conv_5x5; ops[i] is primitive i+1 (none has no module)."""

    def __init__(self, c):
        super().__init__()
        self.ops = nn.ModuleList([
            nn.Sequential(nn.MaxPool2d(3, 1, 1), bn(c)),
            nn.Sequential(nn.AvgPool2d(3, 1, 1, count_include_pad=False), bn(c)),
            nn.Identity(),
            SepConv(c, 3), SepConv(c, 5), DilConv(c, 3), DilConv(c, 5)])

    def forward(self, x, w):
        return sum(w[i + 1] * op(x) for i, op in enumerate(self.ops))


class MixedEdge(nn.Module):
    def __init__(self):
        super().__init__()
        self.alpha = nn.Parameter(1e-3 * torch.randn(8))
        self.op = MixedOp(C)

    def forward(self, x):
        return self.op(x, F.softmax(self.alpha, dim=-1))


class ReLUConvBN(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.op = nn.Sequential(nn.ReLU(inplace=False), nn.Conv2d(cin, cout, 1, bias=False), bn(cout))

    def forward(self, x):
        return self.op(x)


class Cell(nn.Module):
    def __init__(self):
        super().__init__()
        self.pre0, self.pre1 = ReLUConvBN(C, C), ReLUConvBN(C, C)
        self.alpha = nn.Parameter(1e-3 * torch.randn(14, 8))
        self.ops = nn.ModuleList([MixedOp(C) for i in range(4) for _ in range(2 + i)])

    def forward(self, s0, s1):
        w = F.softmax(self.alpha, dim=-1)
        states = [self.pre0(s0), self.pre1(s1)]
        off = 0
        for _ in range(4):
            s = sum(self.ops[off + j](h, w[off + j]) for j, h in enumerate(states))
            off += len(states)
            states.append(s)
        return torch.cat(states[-4:], dim=1)


class EncoderLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.dk = TF_D // TF_H
        self.w_qs = nn.Linear(TF_D, TF_D, bias=False)
        self.w_ks = nn.Linear(TF_D, TF_D, bias=False)
        self.w_vs = nn.Linear(TF_D, TF_D, bias=False)
        self.fc = nn.Linear(TF_D, TF_D, bias=False)
        self.ln1 = nn.LayerNorm(TF_D, eps=1e-6)
        self.w_1 = nn.Linear(TF_D, TF_INNER)
        self.w_2 = nn.Linear(TF_INNER, TF_D)
        self.ln2 = nn.LayerNorm(TF_D, eps=1e-6)

    def forward(self, x):
        b, l, _ = x.shape
        q = self.w_qs(x).view(b, l, TF_H, self.dk).transpose(1, 2)
        k = self.w_ks(x).view(b, l, TF_H, self.dk).transpose(1, 2)
        v = self.w_vs(x).view(b, l, TF_H, self.dk).transpose(1, 2)
        a = F.softmax(torch.matmul(q / self.dk ** 0.5, k.transpose(2, 3)), dim=-1)
        o = torch.matmul(a, v).transpose(1, 2).contiguous().view(b, l, -1)
        y = self.ln1(self.fc(o) + x)
        return self.ln2(self.w_2(F.relu(self.w_1(y))) + y)


def make_blocks():
    torch.manual_seed(0)
    edge = MixedEdge()
    x = torch.randn(N, C, H, W)
    te = torch.randn(N, C, H, W)
    cell = Cell()
    s0, s1 = torch.randn(N, C, H, W), torch.randn(N, C, H, W)
    tc = torch.randn(N, 4 * C, H, W)
    layer = EncoderLayer()
    xt = torch.randn(TF_B, TF_L, TF_D)
    tt = torch.randn(TF_B, TF_L, TF_D)
    return [
        ("MixedEdge", edge, lambda: F.mse_loss(edge(x), te)),
        ("Cell", cell, lambda: F.mse_loss(cell(s0, s1), tc)),
        ("TransformerLayer", layer, lambda: F.mse_loss(layer(xt), tt)),
    ]


def time_block(model, loss_fn, steps, repeats=5):
    """Median wall and CPU (time.process_time, all threads) ms per step over repeats of steps steps."""
    def step():
        model.zero_grad(set_to_none=True)
        loss_fn().backward()

    for _ in range(3):
        step()
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        wall.append((time.perf_counter() - t0) / steps * 1e3)
        cpu.append((time.process_time() - c0) / steps * 1e3)
    return statistics.median(wall), statistics.median(cpu)


def parse_go(text):
    """Median wall ms and cpu-ms per op of each Go benchmark, keyed by (block, cpus)."""
    runs = {}
    for line in text.splitlines():
        m = re.match(r"Benchmark(\w+?)(?:-(\d+))?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) cpu-ms/op)?", line)
        if m:
            r = runs.setdefault((m.group(1), int(m.group(2) or 1)), ([], []))
            r[0].append(float(m.group(3)) / 1e6)
            if m.group(4):
                r[1].append(float(m.group(4)))
    return {k: (statistics.median(w), statistics.median(c) if c else None) for k, (w, c) in runs.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", default="1,2", help="torch thread counts to time, e.g. 1 or 1,2 (default 1,2)")
    ap.add_argument("--blocks", default="MixedEdge,Cell,TransformerLayer", help="comma-separated blocks to time")
    args = ap.parse_args()
    threads_list = [int(t) for t in args.threads.split(",")]
    go = {} if sys.stdin.isatty() else parse_go(sys.stdin.read())
    blocks = [b for b in make_blocks() if b[0] in args.blocks.split(",")]
    steps = {"MixedEdge": 10, "Cell": 2, "TransformerLayer": 3}
    print(f"torch {torch.__version__}; ms per training step (fwd + bwd), medians; wall = time.perf_counter, "
          "cpu = time.process_time (all threads)", flush=True)
    res = {}
    for threads in threads_list:  # all one-thread runs first: a second OpenMP thread spins between ops afterwards
        torch.set_num_threads(threads)
        for name, m, f in blocks:
            res[name, threads] = time_block(m, f, steps[name])
            w, c = res[name, threads]
            print(f"  torch {name} {threads} thread(s): wall {w:.2f} ms, cpu {c:.2f} ms", file=sys.stderr, flush=True)
    hdr = f"{'block':<18}{'torch 1t':>10}{'cpu 1t':>9}{'torch 2t':>10}{'2t/1t':>7}"
    if go:
        hdr += f"{'go 1t':>9}{'cpu 1t':>9}{'go 2t':>9}{'2t/1t':>7}{'go/torch cpu 1t':>16}{'wall 1t':>9}{'wall 2t':>9}"
    print(hdr)
    for name, _, _ in blocks:
        t1, c1 = res.get((name, 1), (None, None))
        t2, _ = res.get((name, 2), (None, None))
        num = lambda v, w=9: f"{v:>{w}.2f}" if v else f"{'-':>{w}}"
        ratio = lambda a, b, w: f"{a / b:>{w - 1}.2f}x" if a and b else f"{'-':>{w}}"
        row = f"{name:<18}" + num(t1, 10) + num(c1) + num(t2, 10) + ratio(t1, t2, 7)
        if go:
            g1, gc1 = go.get((name, 1), (None, None))
            g2, _ = go.get((name, 2), (None, None))
            row += num(g1) + num(gc1) + num(g2) + ratio(g1, g2, 7) + ratio(gc1, c1, 16) + ratio(g1, t1, 9) + ratio(g2, t2, 9)
        print(row)
    if go:
        print("go/torch > 1 means Go is slower. 'cpu 1t' compares process CPU time at one thread (Go: GOMAXPROCS=1, "
              "-cpu 1), the fairest figure on a shared machine; wall ratios need a quiet one.")


if __name__ == "__main__":
    main()
