#!/usr/bin/python3
"""Writes randperm_ref.json: torch.randperm(n, generator=torch.Generator().manual_seed(seed))
as NAR's dataset split draws it (NAR:dataset/nasbench201/nasbench201_dataset.py), on torch 1.13 CPU.

Run from ranker/testdata with /usr/bin/python3 (torch 1.13 + numpy):
    /usr/bin/python3 gen_randperm.py

The fixture holds whole permutations for small n (every n from 1 to 12, a few seeds) and, for the NAS-Bench-201
size (15,625) and the NB101 size (423,624), the first 1,300 entries (the NB201 preset's 1,000 training + 256
validation architectures, and more) plus the sum of i*perm[i] over the whole permutation as a check of the rest.
"""
import json

import torch

SEEDS = [0, 1, 2, 3, 4, 5, 77777777, 2**32 + 1, 2**40 + 3]


def perm(n, seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return torch.randperm(n, generator=g).tolist()


def main():
    small = []
    for n in range(1, 13):
        for seed in SEEDS:
            small.append({"n": n, "seed": seed, "perm": perm(n, seed)})
    large = []
    for n, seeds in [(15625, [1, 2, 3, 4, 5, 77777777]), (423624, [77777777])]:
        for seed in seeds:
            p = perm(n, seed)
            large.append({"n": n, "seed": seed, "head": p[:1300],
                          "weighted_sum": sum(i * v for i, v in enumerate(p))})
    out = {"torch": torch.__version__, "small": small, "large": large}
    with open("randperm_ref.json", "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
