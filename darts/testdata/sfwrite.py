# Minimal safetensors writer (format: 8-byte little-endian header length, JSON header, raw C-order data),
# used by the nasx generator scripts because the safetensors package is not installed here.
import json
import struct

import numpy as np

_DT = {np.dtype('float32'): 'F32', np.dtype('float64'): 'F64', np.dtype('int64'): 'I64'}


def save(path, tensors):
    """tensors: dict name -> numpy array (kept in insertion order)."""
    header, blobs, off = {}, [], 0
    for name, a in tensors.items():
        a = np.array(a, order='C')  # ascontiguousarray would turn a 0-d scalar into shape (1,)
        b = a.tobytes()
        header[name] = {'dtype': _DT[a.dtype], 'shape': list(a.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def state_dict(module):
    return {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}
