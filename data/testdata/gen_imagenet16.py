#!/usr/bin/python3
"""Small ImageNet16 fixtures for data/imagenet16_test.go.

Writes testdata/imagenet16/{train_data_batch_1..10,val_data}: dicts with
"data" (uint8 numpy array N×768, channel-major: 256 R, 256 G, 256 B bytes),
"labels" (a list of 1-based ints in [1, 1000]) and "mean" (float64 array),
the layout of PatrykChrabaszcz/Imagenet32_Scripts image2numpy_imagenet_*.py.
The released files were loaded by NAS-Bench-201 with
pickle.load(f, encoding="latin1"), i.e. they hold Python 2 str payloads, so
the folder is written the way Python 2's cPickle writes protocol 2 (byte
strings as BINSTRING/SHORT_BINSTRING), emulated with a pure-Python pickler.

Also writes testdata/imagenet16_protocols/batch_p{2py2,2,3,4,5}.pkl (one
batch in each protocol: Python 3 protocol 2 stores bytes as
_codecs.encode(str, "latin1"); 3 and 4 as BINBYTES; 5 in-band buffers) and
testdata/imagenet16_ref.json: for each file the labels and, per image, the
pixel sum and the bytes at offsets 0, 255, 256, 511, 512, 767.

Versions: Python 3.11.2, numpy 1.24.2 (Debian /usr/bin/python3).
Run from the repository root: /usr/bin/python3 data/testdata/gen_imagenet16.py
"""
import io
import json
import os
import pickle
import struct

import numpy as np

OUT = os.path.join("data", "testdata")
OFFSETS = [0, 255, 256, 511, 512, 767]


class Py2Pickler(pickle._Pickler):
    """Writes bytes the way Python 2 cPickle writes str."""
    dispatch = pickle._Pickler.dispatch.copy()

    def save_bytes_py2(self, obj):
        n = len(obj)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", n) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_bytes_py2


def py2_dumps(obj):
    f = io.BytesIO()
    Py2Pickler(f, protocol=2).dump(obj)
    return f.getvalue()


def batch(rng, n):
    data = rng.integers(0, 256, size=(n, 768), dtype=np.uint8)
    # Labels: a mix of ImageNet16-120 classes (≤ 120) and others, both ends.
    labels = rng.choice([1, 2, 60, 119, 120, 121, 500, 1000], size=n).tolist()
    labels[0] = 1
    return {"data": data, "labels": labels, "mean": data.mean(axis=0)}


def ref(d):
    return {"labels": d["labels"], "sums": d["data"].astype(np.int64).sum(axis=1).tolist(),
            "pixels": d["data"][:, OFFSETS].astype(int).tolist()}


def main():
    rng = np.random.default_rng(16120)
    refs = {"pixel_offsets": OFFSETS, "source": "data/testdata/gen_imagenet16.py"}
    folder = os.path.join(OUT, "imagenet16")
    os.makedirs(folder, exist_ok=True)
    for name, n in [("train_data_batch_%d" % k, 5 + k % 3) for k in range(1, 11)] + [("val_data", 7)]:
        d = batch(rng, n)
        with open(os.path.join(folder, name), "wb") as f:
            f.write(py2_dumps(d))
        refs[name] = ref(d)
    pfolder = os.path.join(OUT, "imagenet16_protocols")
    os.makedirs(pfolder, exist_ok=True)
    d = batch(rng, 4)
    refs["protocols"] = ref(d)
    with open(os.path.join(pfolder, "batch_p2py2.pkl"), "wb") as f:
        f.write(py2_dumps(d))
    for p in (2, 3, 4, 5):
        with open(os.path.join(pfolder, "batch_p%d.pkl" % p), "wb") as f:
            pickle.dump(d, f, protocol=p)
    with open(os.path.join(OUT, "imagenet16_ref.json"), "w") as f:
        json.dump(refs, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
