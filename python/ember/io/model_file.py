"""Reading the weights of an Ember model file with numpy alone (no JVM).

The file is in the safetensors layout: an 8-byte little-endian header length N, N bytes of JSON header
mapping each tensor name to its dtype, shape and byte range, then the raw little-endian data. The
module structure is the JSON string ``__metadata__["model"]``.
"""
import json
import struct

import numpy as np


def read_weights(path):
    """Returns ``(tensors, metadata)``: a dict name -> float32 array, and the metadata dict.

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
        if entry["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} has dtype {entry['dtype']}; expected F32")
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").astype(np.float32).reshape(entry["shape"])
    return tensors, metadata
