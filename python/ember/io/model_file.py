"""Reading the weights of an Ember model file with numpy alone (no JVM).

The file is in the safetensors layout: an 8-byte little-endian header length N, N bytes of JSON header
mapping each tensor name to its dtype, shape and byte range, then the raw little-endian data. The
module structure is the JSON string ``__metadata__["model"]``.
"""
import json
import struct

import numpy as np


# safetensors dtype -> (stored numpy dtype, returned dtype); I8 holds the int8 weights of quantized layers
_DTYPES = {"F32": ("<f4", np.float32), "I8": ("i1", np.int8)}


def read_weights(path):
    """Returns ``(tensors, metadata)``: a dict name -> array (float32; int8 for the weights of quantized
    layers, see :meth:`ember.nn.module.Model.quantize`), and the metadata dict.

    Examples:
        >>> import os, tempfile
        >>> from ember.nn.layer import Linear
        >>> path = os.path.join(tempfile.mkdtemp(), "linear.ember")
        >>> _ = Linear(3, 2).saveModel(path)
        >>> tensors, meta = read_weights(path)
        >>> sorted(tensors), tensors["weight"].shape, meta["format"]
        (['bias', 'weight'], (2, 3), 'ember')
    """
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = memoryview(raw)[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        dtype = _DTYPES.get(entry["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name} has dtype {entry['dtype']}; expected F32 or I8")
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype=dtype[0]).astype(dtype[1]).reshape(entry["shape"])
    return tensors, metadata
