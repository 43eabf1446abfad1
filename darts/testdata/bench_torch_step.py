# Times the forward+backward pass of the DARTS search supernet in PyTorch (the reference for
# BenchmarkSupernetStep). torch 1.13.0a0, 2 threads unless NASX_TORCH_THREADS says otherwise.
# Run: cd darts/testdata && /usr/bin/python3 bench_torch_step.py
import os
import time

import torch
import torch.nn.functional as F

from gen_supernet import Network, fill, images, weights_of

torch.set_num_threads(int(os.environ.get('NASX_TORCH_THREADS', '2')))
CASES = [('small/C=8/L=5/N=16', 8, 5, 16), ('ref/C=16/L=8/N=64', 16, 8, 64)]
ONLY = os.environ.get('NASX_BENCH_ONLY', '')  # e.g. 'small'
for name, C, L, N in [c for c in CASES if c[0].startswith(ONLY)]:
    torch.manual_seed(0)
    net = Network(C, 10, L)
    ws = weights_of(net)
    fill([('a', a) for a in [net.alphas_normal, net.alphas_reduce]], fill(ws))
    params = [p for _, p in ws] + [net.alphas_normal, net.alphas_reduce]
    x, y = images(N, 32, 32), torch.arange(N) % 10
    for _ in range(2):
        torch.autograd.grad(F.cross_entropy(net(x)[0], y), params)
    reps = 5
    t0 = time.perf_counter()
    for _ in range(reps):
        torch.autograd.grad(F.cross_entropy(net(x)[0], y), params)
    dt = (time.perf_counter() - t0) / reps
    print('%-22s %8.1f ms/pass  %7.1f img/s  (threads %d)' % (name, dt * 1e3, N / dt, torch.get_num_threads()))
