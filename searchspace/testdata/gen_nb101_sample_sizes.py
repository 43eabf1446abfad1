#!/usr/bin/python3
"""Vertex-count distribution of NAS-Bench-101's random-spec procedure.

Independent reference for searchspace.TestSampleNB101. Pure Python 3 (no
numpy, no torch). It follows the NAS-Bench-101 random search example: each
entry above the diagonal of a 7x7 matrix is 0/1 with probability 1/2, the
spec is pruned as ModelSpec._prune does, and a draw is rejected when the input
does not reach the output or the pruned cell has more than 9 edges. Op draws
do not affect the vertex count, so they are omitted.

Run: /usr/bin/python3 searchspace/testdata/gen_nb101_sample_sizes.py
Output (seed 0, 200000 accepted draws) is pasted into nb101_test.go.
"""
import collections
import random


def kept(m):
    n = len(m)
    fi, st = {0}, [0]
    while st:
        t = st.pop()
        for v in range(t + 1, n):
            if m[t][v] and v not in fi:
                fi.add(v)
                st.append(v)
    to, st = {n - 1}, [n - 1]
    while st:
        t = st.pop()
        for v in range(t):
            if m[v][t] and v not in to:
                to.add(v)
                st.append(v)
    return sorted(fi & to)


def main(draws=200000):
    random.seed(0)
    c = collections.Counter()
    tot = 0
    while tot < draws:
        m = [[random.randint(0, 1) if j > i else 0 for j in range(7)] for i in range(7)]
        k = kept(m)
        if len(k) < 2 or sum(m[i][j] for i in k for j in k) > 9:
            continue
        tot += 1
        c[len(k)] += 1
    for v in range(2, 8):
        print("%d: %.4f" % (v, c[v] / tot))


if __name__ == "__main__":
    main()
