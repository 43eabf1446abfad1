#!/usr/bin/python3
"""PyTorch side of BenchmarkStep (internal/optim/bench_test.go).

Debian python3-torch 1.13.0a0. Times one torch.optim step (default
single-tensor implementation on CPU) on the same two layouts as the Go
benchmark: "darts", 10,000 tensors of 193 values (1.93M, like the DARTS
search supernet), and "nar", 8 tensors of 2^20 values. Run:

    /usr/bin/python3 internal/optim/testdata/bench_torch_optim.py
    go test -run '^$' -bench Step -benchtime 10x -cpu 1,2 ./internal/optim/
"""
import torch, time
for threads in (1, 2):
    torch.set_num_threads(threads)
    for name, count, size in (("darts", 10000, 193), ("nar", 8, 1 << 20)):
        ps = [torch.randn(size, requires_grad=True) for _ in range(count)]
        for p in ps: p.grad = torch.randn(size)
        for oname, opt in (("SGD-momentum-wd", torch.optim.SGD(ps, lr=0.025, momentum=0.9, weight_decay=3e-4)),
                           ("Adam-wd", torch.optim.Adam(ps, lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)),
                           ("AdamW", torch.optim.AdamW(ps, lr=1e-3, betas=(0.9, 0.99), eps=1e-9, weight_decay=1e-2))):
            opt.step()
            ts = []
            for _ in range(10):
                t = time.perf_counter(); opt.step(); ts.append(time.perf_counter() - t)
            ts.sort()
            print(f"threads={threads} {name}/{oname}: {ts[5]*1e3:.1f} ms (median of 10)")
