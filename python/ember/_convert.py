"""The Python half of the numpy <-> JVM boundary (the JVM half is ``ember.python.Convert``).

Arrays cross as raw little-endian float32 bytes plus an int32 shape, never as lists. py4j moves ``bytes``
at tens of MB/s, so arrays up to :data:`FILE_THRESHOLD` bytes travel inside the call; larger ones go
through a temporary file (under /dev/shm when it exists: RAM-backed) that the JVM memory-maps.
"""
import os
import tempfile

import numpy as np

from ember import _java
from ember._args import as_int_list

CONVERT = "ember.python.Convert"
FILE_THRESHOLD = 16 << 10  # bytes; measured: a file under /dev/shm beats py4j bytes above ~4-16 KB
_LE_F32 = np.dtype("<f4")
_LE_I32 = np.dtype("<i4")


def _tmp_dir():
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


def _tmp_path():
    fd, path = tempfile.mkstemp(prefix="ember-", suffix=".f32", dir=_tmp_dir())
    os.close(fd)
    return path


def _int_bytes(values):
    return np.ascontiguousarray(values, dtype=_LE_I32).tobytes()


def as_float32(x, name="input"):
    """``x`` as a C-contiguous little-endian float32 array (copies only when needed)."""
    try:
        arr = np.asarray(x)
    except Exception as e:  # ragged lists and the like
        raise TypeError(f"{name}: cannot convert {type(x).__name__} to a float32 array: {e}") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"{name}: expected a numeric array, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):  # numpy would drop the imaginary part with a warning
        raise TypeError(f"{name}: expected a real array, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=_LE_F32)


def int_array(values, name="sizes"):
    """A JVM ``int[]`` from a sequence of ints (shapes, sizes), each checked by :func:`ember._args.as_int`."""
    return _java.call_static(CONVERT, "intArray", _int_bytes(as_int_list(values, name)))


def float_array(values):
    """A JVM ``float[]`` from a sequence of numbers, or None for None."""
    if values is None:
        return None
    return _java.call_static(CONVERT, "floatArray", as_float32(values, "values").ravel().tobytes())


def to_tensor(x, name="input"):
    """A new JVM ``ember.tensor.Tensor`` holding a copy of the array ``x``."""
    arr = as_float32(x, name)
    shape = _int_bytes(arr.shape)
    if arr.nbytes <= FILE_THRESHOLD:
        return _java.call_static(CONVERT, "toTensor", arr.tobytes(), shape)
    path = _tmp_path()
    try:
        arr.tofile(path)
        return _java.call_static(CONVERT, "readTensorFile", path, shape)
    finally:
        os.unlink(path)


def to_numpy(jtensor):
    """A numpy float32 array with a copy of the JVM tensor's elements (row-major), in one py4j call."""
    path = _tmp_path()
    try:
        # int32 inline flag, int32 ndim, int32 shape, then float32 data when inline (else the data is in path)
        raw = _java.call_static(CONVERT, "exportTensor", jtensor, path, min(FILE_THRESHOLD, 2**31 - 1))
        inline, ndim = (int(v) for v in np.frombuffer(raw, dtype=_LE_I32, count=2))
        shape = tuple(int(s) for s in np.frombuffer(raw, dtype=_LE_I32, count=ndim, offset=8))
        if inline:
            return np.frombuffer(raw, dtype=_LE_F32, offset=4 * (2 + ndim)).astype(np.float32).reshape(shape)
        return np.fromfile(path, dtype=_LE_F32).astype(np.float32, copy=False).reshape(shape)
    finally:
        os.unlink(path)


def to_activity(x, name="input"):
    """A JVM Activity: a Tensor for an array, a Table for a list/tuple of arrays (multi-input layers)."""
    if isinstance(x, (list, tuple)) and x and all(isinstance(i, (np.ndarray, list, tuple)) for i in x) \
            and any(isinstance(i, np.ndarray) for i in x):
        return _java.call_static(CONVERT, "toTable", _java.java_list([to_activity(i, name) for i in x]))
    return to_tensor(x, name)


def from_activity(jactivity):
    """A numpy array for a JVM Tensor, a list of them for a Table."""
    if _java.call_static(CONVERT, "isTensor", jactivity):
        return to_numpy(jactivity)
    return [from_activity(a) for a in _java.call_static(CONVERT, "tableItems", jactivity)]


# ---------------------------------------------------------------------- RDD records (Python workers <-> JVM)
# Python RDDs reach the JVM as records of up to CHUNK_SAMPLES samples with equal shapes (the JVM half is
# Convert.samplesFromRecord): int32 magic, n, nFeatures, per feature ndim + sizes, label ndim (-1: none) +
# sizes, then float32 data feature by feature (n samples each), then the n labels; all little-endian.
SAMPLE_MAGIC = 0x31534D45  # "EMS1"
CHUNK_SAMPLES = 512


def _sample_parts(record, where):
    """(list of float32 feature arrays, float32 label array or None) of one RDD element."""
    if hasattr(record, "features") and hasattr(record, "label"):  # ember's (or BigDL-style) Sample
        features, label = record.features, record.label
    elif isinstance(record, (tuple, list)) and len(record) == 2:
        features, label = record
    elif isinstance(record, np.ndarray):
        features, label = record, None
    else:
        raise TypeError(f"{where}: expected a Sample, a (features, label) pair or a features ndarray, "
                        f"got {type(record).__name__}")
    if isinstance(features, (list, tuple)) and features and all(isinstance(f, np.ndarray) for f in features):
        feats = [as_float32(f, f"{where} features[{i}]") for i, f in enumerate(features)]
    else:
        feats = [as_float32(features, f"{where} features")]
    return feats, (None if label is None else as_float32(label, f"{where} label"))


def _pack_chunk(chunk, partition, first):
    feats0, label0 = chunk[0]
    header = [SAMPLE_MAGIC, len(chunk), len(feats0)]
    for f in feats0:
        header += [f.ndim, *f.shape]
    header += [-1] if label0 is None else [label0.ndim, *label0.shape]
    parts = [_int_bytes(header)]
    for i in range(len(feats0)):
        parts.append(_finite(np.stack([s[0][i] for s in chunk]), partition, first, "features").tobytes())
    if label0 is not None:
        parts.append(_finite(np.stack([s[1] for s in chunk]), partition, first, "label").tobytes())
    return b"".join(parts)


def _finite(block, partition, first, what):
    ok = np.isfinite(block.reshape(len(block), -1)).all(axis=1)
    if not ok.all():
        raise ValueError(f"partition {partition}, element {first + int(np.argmin(ok))}: the {what} contain NaN or "
                         "infinity; clean or impute the data")
    return block


def pack_samples(records, partition=0, chunk_samples=CHUNK_SAMPLES):
    """Encodes an iterator of RDD elements as sample records (bytes), for ``RddApi.toSamples``.

    Runs inside the Python workers (``rdd.mapPartitionsWithIndex``). Elements are Samples,
    ``(features, label)`` pairs (features an array or a list of arrays, label a number or an array) or bare
    feature arrays (no label: prediction input). Consecutive samples with equal shapes share a record.
    """
    chunk, key, first = [], None, 0
    for i, record in enumerate(records):
        feats, label = _sample_parts(record, f"partition {partition}, element {i}")
        k = (tuple(f.shape for f in feats), None if label is None else label.shape)
        if chunk and (k != key or len(chunk) >= chunk_samples):
            yield _pack_chunk(chunk, partition, first)
            chunk, first = [], i
        key = k
        chunk.append((feats, label))
    if chunk:
        yield _pack_chunk(chunk, partition, first)


def unpack_batch(record):
    """The per-sample arrays of one batch record ``Convert.toBytes`` ([b, ...] -> b arrays of shape [...])."""
    ndim = int(np.frombuffer(record, dtype=_LE_I32, count=1)[0])
    shape = tuple(int(s) for s in np.frombuffer(record, dtype=_LE_I32, count=ndim, offset=4))
    batch = np.frombuffer(record, dtype=_LE_F32, offset=4 * (1 + ndim)).astype(np.float32).reshape(shape)
    return list(batch)


def unpack_classes(record):
    """The 0-based classes (ints) of one record of little-endian int32 values."""
    return np.frombuffer(record, dtype=_LE_I32).tolist()
