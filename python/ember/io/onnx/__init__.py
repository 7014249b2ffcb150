"""ONNX import and export (mirrors the Scala package ``ember.io``; needs the ``onnx`` package:
``pip install ember-dl[onnx]``).

:func:`load` builds an Ember model from an ONNX graph (opset 13 or later) and :func:`save` writes an Ember
model as an ONNX graph (opset 17). Supported operators: Conv (groups, dilations, pads; asymmetric pads through a
padding layer), ConvTranspose, Gemm, MatMul (by a constant), Add / Sub / Mul / Div (with broadcasting
constants), Sum, Pow, Relu, LeakyRelu, Elu, Sigmoid, Tanh, Softmax / LogSoftmax, MaxPool, AveragePool,
GlobalAveragePool, BatchNormalization, LRN, Flatten, Reshape, Transpose, Concat, Squeeze / Unsqueeze,
Gather (embedding, or one index), Dropout, Identity, Cast, Pad, Constant, Shape (of the batch), ReduceSum / Mean /
Max / Min, Abs, Exp, Log, Sqrt, Neg, Reciprocal, Softplus, Softsign, HardSigmoid, Clip, PRelu, LayerNormalization,
1-d Conv / MaxPool, LSTM and GRU (forward or bidirectional).
The mapping table is ``ember.io.onnx._import.OPS`` (import) and ``ember.io.onnx._export.LAYERS`` (export).

Examples:
    >>> import os, tempfile
    >>> import numpy as np
    >>> from ember.models import LeNet5
    >>> from ember.io import onnx as ember_onnx
    >>> path = os.path.join(tempfile.mkdtemp(), "lenet5.onnx")
    >>> model = LeNet5(10).evaluate()
    >>> ember_onnx.save(model, path)  # input (batch, 784), from LeNet-5's first layer
    >>> again = ember_onnx.load(path).evaluate()
    >>> x = np.random.rand(4, 784).astype(np.float32)
    >>> bool(np.allclose(model.forward(x), again.forward(x), atol=1e-5))
    True
"""
import os

from ember.io.onnx.errors import OnnxExportError, OnnxImportError, UnsupportedOperatorError

__all__ = ["load", "save", "to_onnx", "from_onnx", "OnnxImportError", "OnnxExportError", "UnsupportedOperatorError"]


def _onnx():
    try:
        import onnx
    except ImportError as e:
        raise ImportError("ember.io.onnx needs the 'onnx' package: pip install ember-dl[onnx] "
                          "(or pip install onnx)") from e
    return onnx


def from_onnx(model):
    """The Ember model of an ``onnx.ModelProto`` (see :func:`load`)."""
    _onnx()
    from ember.io.onnx import _ember, _import  # optional dependency, see to_onnx

    return _ember.load_model(_import.convert(model))


def load(path_or_bytes):
    """Builds an Ember model from an ONNX model: a file path, the serialized bytes, or an ``onnx.ModelProto``.

    Weights, biases and batch-norm running statistics are copied; the model is in training mode, so it can be
    fine-tuned; call ``evaluate()`` for inference. A chain of layers becomes a ``Sequential``, anything else a
    ``Graph`` (one input per ONNX graph input that is not an initializer, in order).

    Raises:
        UnsupportedOperatorError: nodes that cannot be converted; the message names each (operator, node name,
            node index and why).
        OnnxImportError: an opset older than 13, an output that is a constant.
        FileNotFoundError: no file at the path.
    """
    onnx = _onnx()
    if isinstance(path_or_bytes, onnx.ModelProto):
        return from_onnx(path_or_bytes)
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        raw, what = bytes(path_or_bytes), "the given bytes"
    elif isinstance(path_or_bytes, (str, os.PathLike)):
        path = os.fspath(path_or_bytes)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no ONNX file at {path!r}")
        with open(path, "rb") as f:
            raw, what = f.read(), repr(path)
    else:
        raise TypeError(f"load: expected a path, bytes or onnx.ModelProto, got {type(path_or_bytes).__name__}")
    try:
        model = onnx.load_from_string(raw)
    except Exception as e:  # noqa: BLE001 - protobuf's DecodeError and friends: not an ONNX model
        raise OnnxImportError(f"{what} is not an ONNX model ({type(e).__name__}: {e})") from e
    if not model.graph.node:
        raise OnnxImportError(f"{what} holds no ONNX graph (no nodes)")
    return from_onnx(model)


def to_onnx(model, input_shape=None):
    """The ``onnx.ModelProto`` (opset 17) of an Ember model (see :func:`save`)."""
    _onnx()
    # imported here, not at the top: the converters import onnx, an optional dependency of Ember
    from ember.io.onnx import _ember, _export

    structure, tensors = _ember.read_model(model)
    return _export.convert(structure, tensors, _export.input_shapes(input_shape, structure))


def save(model, path, input_shape=None, over_write=True):
    """Writes an Ember model as an ONNX file (opset 17).

    Args:
        model: an Ember model made of the layers listed in this module's docstring (and Sequential / Graph /
            Concat / ConcatTable containers, Recurrent LSTM/GRU).
        path: the file to write.
        input_shape: shape of one input batch, batch first (``(None, 3, 32, 32)``; the batch dimension and any
            size given as None are dynamic in the file), or a list of shapes for a multi-input Graph. Default:
            what the first layer implies (``Linear(784, ...)``: (None, 784); a convolution with 3 input planes:
            (None, 3, None, None); ``Recurrent(LSTM(8, ...))``: (None, None, 8); ...).
        over_write (bool): replace an existing file. Default: True.

    Raises:
        OnnxExportError: modules without an ONNX export; the message names each one and its path in the model.
        ValueError: no ``input_shape`` and the first layer does not imply one.
        FileExistsError: ``path`` exists and ``over_write`` is False.
    """
    proto = to_onnx(model, input_shape)
    if not over_write and os.path.exists(path):
        raise FileExistsError(f"{os.fspath(path)!r} exists; pass over_write=True to replace it")
    with open(path, "wb") as f:
        f.write(proto.SerializeToString())
