#!/usr/bin/python3
# Generates testdata/encode_ref.json: NAR's feature tensors of the two example
# records in ../shared/data (NAR's own examples), encoded by a literal reading
# of NAR:architecture/arch_encode.py / arch_encode_201.py as algorithms.md B.2
# describes them (pad one row+column at a time, swap the last two indices).
# Run from ranker/: /usr/bin/python3 testdata/gen_encode.py  (Python 3.11, numpy 1.24.2)
import json
import numpy as np

D = "../../shared/data/"
OPS101 = {"input": 1, "conv1x1-bn-relu": 2, "conv3x3-bn-relu": 3, "maxpool3x3": 4, "output": 5}

def pad_swap(a, vecs):
    a = np.array(a, dtype=np.float64); vecs = [np.array(v, dtype=np.float64) for v in vecs]
    while a.shape[0] < 7:
        n = a.shape[0]
        a = np.pad(a, ((0, 1), (0, 1)))
        perm = list(range(n + 1)); perm[n - 1], perm[n] = perm[n], perm[n - 1]
        a = a[perm][:, perm]
        vecs = [np.pad(v, (0, 1))[perm] for v in vecs]
    return a, vecs

r = json.load(open(D + "nasbench101/nar_example.json"))[0]
keys = [f"stack{s}/module{m}" for s in range(3) for m in range(3)]
ops = [OPS101[o] for o in r["module_operations"]]
vecs = [ops] + [r["vertex_flops"][k] for k in keys] + [r["vertex_params"][k] for k in keys]
a, vecs = pad_swap(r["module_adjacency"], vecs)
t101 = [a * vecs[0][None, :]]
for c in range(9):
    t101.append(a * vecs[1 + c][None, :] / 1e7)
    t101.append(a * vecs[10 + c][None, :] / 1e5)
t101 = np.stack(t101)

r = json.load(open(D + "nasbench201/nar_example_arch0.json"))["0"]
edges = [(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)]
cells = [f"cells{i}" for i in list(range(0, 5)) + list(range(6, 11)) + list(range(12, 17))]
out201 = {}
for ds in ["cifar10-valid", "cifar100", "ImageNet16-120"]:
    t = [np.array(r["cell_adjacency"], dtype=np.float64)]
    for c in cells:
        fl = np.zeros((4, 4)); pa = np.zeros((4, 4))
        for e, (s, d) in enumerate(edges):
            fl[s, d] = r[ds + "_opt_flops"][c][e]; pa[s, d] = r[ds + "_opt_params"][c][e]
        t += [fl, pa]
    out201[ds] = np.stack(t).ravel().tolist()
# A hand-made 5-vertex cell exercises the padding (the example has 7 vertices).
pad_adj = [[0, 1, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]]
pad_ops = ["input", "conv3x3-bn-relu", "maxpool3x3", "conv1x1-bn-relu", "output"]
pad_fl = [[0, 1000 * (c + 1), 2000 * (c + 1), 3000 * (c + 1), 0] for c in range(9)]
pad_pa = [[0, 100 * (c + 1), 0, 300 * (c + 1), 0] for c in range(9)]
a, vecs = pad_swap(pad_adj, [[OPS101[o] for o in pad_ops]] + pad_fl + pad_pa)
tp = [a * vecs[0][None, :]]
for c in range(9):
    tp.append(a * vecs[1 + c][None, :] / 1e7)
    tp.append(a * vecs[10 + c][None, :] / 1e5)
json.dump({"nb101": t101.ravel().tolist(), "nb201": out201,
           "pad": {"adj": pad_adj, "ops": pad_ops, "flops": pad_fl, "params": pad_pa, "want": np.stack(tp).ravel().tolist()}}, open("testdata/encode_ref.json", "w"))
