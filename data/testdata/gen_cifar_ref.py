#!/usr/bin/python3
"""Independent reference values for the CIFAR-10 reader (data/cifar_test.go).

Reads ../shared/data/cifar10/cifar-10-binary.tar.gz with Python's tarfile and
numpy only (no nasx code) and writes testdata/cifar10_ref.json:

  - for train images 0..3999 and test images 0..999 (the records whose pixels
    are the original CIFAR-10 ones, see /work/shared/data/README.md): the
    label, the pixel sum, the weighted sum sum_k (k+1)*pix[k] over the 3072
    bytes, and 5 exact pixels (offsets 0, 1023, 1024, 2047, 3071);
  - SHA-256 of those 4000 and 1000 images' pixel bytes;
  - the class histogram and per-channel mean/std (float64, ddof=0, on
    pixel/255) of the whole 50,000-image train split.

Versions: Python 3.11.2, numpy 1.24.2 (Debian /usr/bin/python3).
Run from the repository root: /usr/bin/python3 data/testdata/gen_cifar_ref.py
"""
import hashlib
import json
import os
import tarfile

import numpy as np

ARCHIVE = os.path.join("..", "shared", "data", "cifar10", "cifar-10-binary.tar.gz")
REC = 3073
OFFSETS = [0, 1023, 1024, 2047, 3071]


def main():
    members = {}
    with tarfile.open(ARCHIVE, "r:gz") as tf:
        for m in tf.getmembers():
            if m.isfile() and m.name.endswith(".bin"):
                members[os.path.basename(m.name)] = np.frombuffer(tf.extractfile(m).read(), dtype=np.uint8)
    train = np.concatenate([members["data_batch_%d.bin" % k] for k in range(1, 6)]).reshape(-1, REC)
    test = members["test_batch.bin"].reshape(-1, REC)
    assert train.shape == (50000, REC) and test.shape == (10000, REC)
    out = {"source": "data/testdata/gen_cifar_ref.py"}
    weights = np.arange(1, 3073, dtype=np.int64)
    for split, arr, n in (("train", train, 4000), ("test", test, 1000)):
        pix = arr[:n, 1:]
        out[split] = {
            "n": n,
            "labels": arr[:n, 0].astype(int).tolist(),
            "sums": pix.astype(np.int64).sum(axis=1).tolist(),
            "wsums": (pix.astype(np.int64) * weights).sum(axis=1).tolist(),
            "pixels": pix[:, OFFSETS].astype(int).tolist(),
            "sha256": hashlib.sha256(np.ascontiguousarray(pix).tobytes()).hexdigest(),
        }
    out["pixel_offsets"] = OFFSETS
    out["train_histogram"] = np.bincount(train[:, 0], minlength=10).astype(int).tolist()
    px = train[:, 1:].reshape(-1, 3, 1024).astype(np.float64) / 255.0
    out["train_mean"] = px.mean(axis=(0, 2)).tolist()
    out["train_std"] = px.std(axis=(0, 2)).tolist()
    with open(os.path.join("data", "testdata", "cifar10_ref.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
