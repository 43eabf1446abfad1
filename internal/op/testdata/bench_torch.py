"""Times the engine-conv ops in PyTorch CPU, fwd+bwd, at 1 and 2 threads, for ratios against the Go
benchmarks (BenchmarkOpFwdBwd in internal/op and BenchmarkConvFwdBwd / BenchmarkPoolFwdBwd in internal/kernel).

Workload: the DARTS mixed edge of the engine issue, x = (32, 16, 16, 16) float32; each step runs
y = op(x), L = sum(y * r), L.backward() (gradients w.r.t. x and the weight), like the Go op benchmarks. The
"identity" row is the loss alone (y = x), the overhead shared by every row. Medians of 7 repeats of 20 steps,
after 5 warm-up steps.

Run with: /usr/bin/python3 internal/op/testdata/bench_torch.py   (torch 1.13, numpy; prints ms per step)
Go side:  GOMAXPROCS=1 go test ./internal/op -run XXX -bench OpFwdBwd -benchtime 50x   (and without GOMAXPROCS)
"""
import statistics
import time

import torch
import torch.nn.functional as F

N, C, H, W = 32, 16, 16, 16


def make_ops():
    dw3 = torch.randn(C, 1, 3, 3, requires_grad=True)
    dw5 = torch.randn(C, 1, 5, 5, requires_grad=True)
    pw = torch.randn(C, C, 1, 1, requires_grad=True)
    dense = torch.randn(C, C, 3, 3, requires_grad=True)
    return [
        ("identity", lambda x: x),
        ("dw3x3", lambda x: F.conv2d(x, dw3, padding=1, groups=C)),
        ("relu_dw3x3", lambda x: F.conv2d(F.relu(x), dw3, padding=1, groups=C)),
        ("dw5x5_d2", lambda x: F.conv2d(x, dw5, padding=4, dilation=2, groups=C)),
        ("pw1x1", lambda x: F.conv2d(x, pw)),
        ("dense3x3", lambda x: F.conv2d(x, dense, padding=1)),
        ("max3x3", lambda x: F.max_pool2d(x, 3, 1, 1)),
        ("avg3x3_excl", lambda x: F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)),
    ]


def time_op(fn, x, r, clock, steps=20, repeats=7):
    def step():
        x.grad = None
        y = fn(x)
        (y * r).sum().backward()

    for _ in range(5):
        step()
    meds = []
    for _ in range(repeats):
        t0 = clock()
        for _ in range(steps):
            step()
        meds.append((clock() - t0) / steps * 1e3)
    return statistics.median(meds)


def main():
    torch.manual_seed(0)
    x = torch.randn(N, C, H, W, requires_grad=True)
    r = torch.randn(N, C, H, W)
    ops = make_ops()
    print(f"torch {torch.__version__}, x = {(N, C, H, W)} float32, ms per fwd+bwd step (median)")
    print("wall: time.perf_counter; cpu: time.process_time (all threads; compare with Go's cpu-ms/op at GOMAXPROCS=1)")
    print(f"{'op':<14}{'wall 1 thr':>11}{'wall 2 thr':>11}{'cpu 1 thr':>11}")
    # All one-thread timings first: once a second OpenMP thread exists it may spin between ops and inflate
    # process_time.
    torch.set_num_threads(1)
    one = {name: (time_op(fn, x, r, time.perf_counter), time_op(fn, x, r, time.process_time)) for name, fn in ops}
    torch.set_num_threads(2)
    for name, fn in ops:
        two = time_op(fn, x, r, time.perf_counter)
        print(f"{name:<14}{one[name][0]:>11.3f}{two:>11.3f}{one[name][1]:>11.3f}")

if __name__ == "__main__":
    main()
