#!/usr/bin/python3
"""PyTorch side of the op benchmarks in internal/op/bench_ops_test.go: the same blocks, forward + backward
(y.backward(R) with a fixed R, gradients w.r.t. every input), float32, on CPU.

Usage (same thread count as the Go side, GOMAXPROCS=2):
    /usr/bin/python3 internal/op/testdata/bench_torch_ops.py --threads 2
    go test ./internal/op/ -run XXX -bench . -benchtime 50x
Prints one line per benchmark: the median ms of --reps timed steps after --warmup steps, as wall time
(time.perf_counter) and as process CPU time (time.process_time, all threads). On a shared machine compare the
cpu column at --threads 1 with Go's cpu-ms/op at GOMAXPROCS=1.
Tested with Debian python3-torch 1.13 (torch.__version__ '1.13.0a0').
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F


def bench(name, inputs, fn, warmup, reps, clock):
    xs = [torch.randn(*s, requires_grad=True) for s in inputs]
    y = fn(*xs)
    R = torch.randn_like(y)

    def step():
        for x in xs:
            x.grad = None
        fn(*xs).backward(R)

    for _ in range(warmup):
        step()
    ts = []
    for _ in range(reps):
        t0 = clock()
        step()
        ts.append((clock() - t0) * 1e3)
    return statistics.median(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--reps", type=int, default=50)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    w, r = a.warmup, a.reps
    dart = (32, 16, 16, 16)
    tgt = torch.arange(64) % 10
    cases = [
        ("BatchNorm2d/N32_C16_16x16/plain", [dart], lambda x: F.batch_norm(x, None, None, training=True)),
        ("BatchNorm2d/N32_C16_16x16/affine", [dart, (16,), (16,)],
         lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True)),
        ("ReLU", [dart], torch.relu),
        ("WeightedSum", [(8,)] + [dart] * 7, lambda wt, *xs: sum(wt[j + 1] * x for j, x in enumerate(xs))),
        ("Linear/NAR_FFN_128x31x128to512", [(128, 31, 128), (512, 128), (512,)], F.linear),
        ("Linear/NAR_QKV_128x31x128to128_nobias", [(128, 31, 128), (128, 128)], F.linear),
        ("LayerNorm", [(128, 31, 128), (128,), (128,)], lambda x, g, b: F.layer_norm(x, (128,), g, b, 1e-6)),
        ("Softmax/NAR_scores_128x4x31x31", [(128, 4, 31, 31)], lambda x: torch.softmax(x, -1)),
        ("BatchedMatMul/NAR_QKt_128x4x31x32", [(128, 4, 31, 32), (128, 4, 31, 32)],
         lambda q, k: q @ k.transpose(-1, -2)),
        ("BatchedMatMul/NAR_PV_128x4x31x31_31x32", [(128, 4, 31, 31), (128, 4, 31, 32)], lambda p, v: p @ v),
        ("CrossEntropy", [(64, 10)], lambda x: F.cross_entropy(x, tgt, label_smoothing=0.1)),
    ]
    print(f"{'benchmark':45s} {'wall ms':>9s} {'cpu ms':>9s}")
    for name, shapes, fn in cases:
        wall = bench(name, shapes, fn, w, r, time.perf_counter)
        cpu = bench(name, shapes, fn, w, r, time.process_time)
        print(f"{name:45s} {wall:9.3f} {cpu:9.3f}")


if __name__ == "__main__":
    main()
