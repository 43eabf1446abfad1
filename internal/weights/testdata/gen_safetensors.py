#!/usr/bin/python3
"""Reference safetensors file for internal/weights, written with numpy only.

numpy 1.24.2 (Debian python3-numpy); no torch and no safetensors package:

    cd internal/weights && /usr/bin/python3 testdata/gen_safetensors.py

This is an independent writer that follows the safetensors specification
(https://github.com/huggingface/safetensors, README "Format") and the layout
choices of the reference Rust crate (safetensors/src/tensor.rs, `prepare` and
`impl Serialize for Metadata`):
  * 8-byte little-endian unsigned header length N, then N bytes of UTF-8 JSON;
  * tensors laid out by descending dtype (the Rust Dtype enum order
    ... F32 < F64 < I64 ...), then by name;
  * the header lists "__metadata__" first (the Rust crate writes its HashMap
    in arbitrary order; here keys are sorted, as nasx does), then the tensors
    in data order, as compact JSON (serde_json escapes only '"', '\\' and
    control characters, as json.dumps(ensure_ascii=False) does);
  * the header is padded with spaces to a multiple of 8 bytes;
  * data little-endian, C order.
It writes testdata/ref.safetensors and testdata/ref_expected.json (each
tensor's dtype, shape and values, and the metadata).
"""
import json
import struct

import numpy as np

RANK = {"F32": 11, "F64": 12, "I64": 13}  # Rust Dtype enum positions
NP = {"F32": "<f4", "F64": "<f8", "I64": "<i8"}


def dtype_name(a):
    return {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("int64"): "I64"}[a.dtype]


def serialize(tensors, metadata):
    order = sorted(tensors.items(), key=lambda kv: (-RANK[dtype_name(kv[1])], kv[0]))
    header = {}
    if metadata:
        header["__metadata__"] = dict(sorted(metadata.items()))
    off = 0
    blobs = []
    for name, a in order:
        blob = np.ascontiguousarray(a, dtype=NP[dtype_name(a)]).tobytes()
        header[name] = {"dtype": dtype_name(a), "shape": list(a.shape),
                        "data_offsets": [off, off + len(blob)]}
        off += len(blob)
        blobs.append(blob)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def main():
    rng = np.random.default_rng(5)
    tensors = {
        "cells.0._ops.3.op.1.weight": rng.standard_normal((2, 1, 3, 3)).astype(np.float32),
        "alphas_normal": (1e-3 * rng.standard_normal((3, 4))).astype(np.float32),
        "stem.1.running_var": rng.uniform(0.5, 2, (4,)).astype(np.float64),
        "stem.1.num_batches_tracked": np.array(7, dtype=np.int64),
        "classifier.bias": np.array([-0.0, 1e-30, -3.4e38, 2.0], dtype=np.float32),
        "empty.weight": np.zeros((0, 3), dtype=np.float32),
        "step.counts": np.array([[-1, 2**40], [3, -(2**62)]], dtype=np.int64),
        'odd "name"\\with\tescapes': np.array([1.5], dtype=np.float64),
    }
    metadata = {"format": "pt", "producer": "gen_safetensors.py"}
    with open("testdata/ref.safetensors", "wb") as f:
        f.write(serialize(tensors, metadata))
    expected = {
        "metadata": metadata,
        "tensors": {name: {"dtype": dtype_name(a), "shape": list(a.shape),
                           "values": [float(x) if a.dtype.kind == "f" else int(x) for x in a.reshape(-1)]}
                    for name, a in tensors.items()},
    }
    with open("testdata/ref_expected.json", "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
