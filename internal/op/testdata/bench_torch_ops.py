#!/usr/bin/python3
"""PyTorch side of the op benchmarks in internal/op/bench_ops_test.go: the same blocks, forward + backward
(y.backward(R) with a fixed R, gradients w.r.t. every input), float32, on CPU.

Usage (same thread count as the Go side, GOMAXPROCS=2):
    /usr/bin/python3 internal/op/testdata/bench_torch_ops.py --threads 2
    go test ./internal/op/ -run XXX -bench . -benchtime 50x
Prints one line per benchmark: name and the median ms of --reps timed steps after --warmup steps.
Tested with Debian python3-torch 1.13 (torch.__version__ '1.13.0a0').
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F


def bench(name, inputs, fn, warmup, reps):
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
        t0 = time.perf_counter()
        step()
        ts.append((time.perf_counter() - t0) * 1e3)
    print(f"{name:45s} {statistics.median(ts):9.3f} ms")


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
    bench("BatchNorm2d/N32_C16_16x16/plain", [dart], lambda x: F.batch_norm(x, None, None, training=True), w, r)
    bench("BatchNorm2d/N32_C16_16x16/affine", [dart, (16,), (16,)],
          lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True), w, r)
    bench("ReLU", [dart], torch.relu, w, r)
    bench("WeightedSum", [(8,)] + [dart] * 7, lambda wt, *xs: sum(wt[j + 1] * x for j, x in enumerate(xs)), w, r)
    bench("Linear/NAR_FFN_128x31x128to512", [(128, 31, 128), (512, 128), (512,)], F.linear, w, r)
    bench("Linear/NAR_QKV_128x31x128to128_nobias", [(128, 31, 128), (128, 128)], F.linear, w, r)
    bench("LayerNorm", [(128, 31, 128), (128,), (128,)], lambda x, g, b: F.layer_norm(x, (128,), g, b, 1e-6), w, r)
    bench("Softmax/NAR_scores_128x4x31x31", [(128, 4, 31, 31)], lambda x: torch.softmax(x, -1), w, r)
    bench("BatchedMatMul/NAR_QKt_128x4x31x32", [(128, 4, 31, 32), (128, 4, 31, 32)],
          lambda q, k: q @ k.transpose(-1, -2), w, r)
    bench("BatchedMatMul/NAR_PV_128x4x31x31_31x32", [(128, 4, 31, 31), (128, 4, 31, 32)], lambda p, v: p @ v, w, r)
    tgt = torch.arange(64) % 10
    bench("CrossEntropy", [(64, 10)], lambda x: F.cross_entropy(x, tgt, label_smoothing=0.1), w, r)


if __name__ == "__main__":
    main()
