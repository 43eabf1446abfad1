#!/usr/bin/python3
"""Reference genotypes for searchspace.Derive (darts_derive_test.go).

Run from the repository root with /usr/bin/python3 (torch 1.13, numpy 1.24):

    /usr/bin/python3 searchspace/testdata/gen_derive.py > searchspace/testdata/derive_ref.json

_parse below is a port of Network.genotype()._parse from quark0/darts
cnn/model_search.py (commit 8876e79), with steps=4 and the PRIMITIVES of
cnn/genotypes.py. The softmax is torch.nn.functional.softmax in float64
(the reference runs it on float32 α; searchspace.Derive works in float64).
Each case also records the genotype obtained with a float32 softmax, and
the script asserts the two agree, so the cases carry no near-ties that
depend on the precision.
"""
import json

import numpy as np
import torch
import torch.nn.functional as F

PRIMITIVES = ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect',
              'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5']
STEPS = 4


def _parse(weights):
    gene = []
    n = 2
    start = 0
    for i in range(STEPS):
        end = start + n
        W = weights[start:end].copy()
        edges = sorted(range(i + 2), key=lambda x: -max(W[x][k] for k in range(len(W[x])) if k != PRIMITIVES.index('none')))[:2]
        for j in edges:
            k_best = None
            for k in range(len(W[j])):
                if k != PRIMITIVES.index('none'):
                    if k_best is None or W[j][k] > W[j][k_best]:
                        k_best = k
            gene.append([PRIMITIVES[k_best], j])
        start = end
        n += 1
    return gene


def genotype(an, ar, dtype):
    wn = F.softmax(torch.tensor(an, dtype=dtype), dim=-1).numpy()
    wr = F.softmax(torch.tensor(ar, dtype=dtype), dim=-1).numpy()
    return {"normal": _parse(wn), "normal_concat": list(range(2, 6)),
            "reduce": _parse(wr), "reduce_concat": list(range(2, 6))}


def case(name, an, ar):
    an = np.asarray(an, dtype=np.float64)
    ar = np.asarray(ar, dtype=np.float64)
    g64 = genotype(an, ar, torch.float64)
    g32 = genotype(an, ar, torch.float32)
    assert g64 == g32, name
    return {"name": name, "alpha_normal": an.tolist(), "alpha_reduce": ar.tolist(), "genotype": g64}


def main():
    cases = []
    torch.manual_seed(2)  # the DARTS search seed (train_search.py --seed 2)
    # The initialisation of model_search.py _initialize_alphas: 1e-3 * randn(14, 8).
    for s in range(3):
        cases.append(case("init_1e-3_randn_%d" % s, (1e-3 * torch.randn(14, 8, dtype=torch.float64)).numpy(),
                          (1e-3 * torch.randn(14, 8, dtype=torch.float64)).numpy()))
    # Trained-looking α: unit-scale randn.
    for s in range(3):
        cases.append(case("randn_%d" % s, torch.randn(14, 8, dtype=torch.float64).numpy(),
                          torch.randn(14, 8, dtype=torch.float64).numpy()))
    # none dominates every row (as it does late in a DARTS search), the rest random.
    an = torch.randn(14, 8, dtype=torch.float64)
    ar = torch.randn(14, 8, dtype=torch.float64)
    an[:, 0] = 10.0
    ar[:, 0] = 10.0
    cases.append(case("none_dominates", an.numpy(), ar.numpy()))
    # Small integers: many exact ties between ops and between edges.
    g = torch.Generator().manual_seed(7)
    an = torch.randint(0, 3, (14, 8), generator=g).double()
    ar = torch.randint(0, 3, (14, 8), generator=g).double()
    cases.append(case("integer_ties", an.numpy(), ar.numpy()))
    # All zero: every edge and op tied.
    cases.append(case("all_zero", np.zeros((14, 8)), np.zeros((14, 8))))
    json.dump({"source": "searchspace/testdata/gen_derive.py; torch %s, numpy %s" % (torch.__version__, np.__version__),
               "cases": cases}, __import__("sys").stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
