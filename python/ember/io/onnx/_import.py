"""ONNX graph -> Ember model.

The nodes of an ONNX graph come in topological order. Each value is either a constant (an initializer, a
``Constant`` node's output, or the output of any node whose inputs are all constants, computed by the onnx
package's reference evaluator) held as a numpy array, or the output of an Ember node of a
:class:`~ember.io.onnx._ember.Builder`. One small function per operator family (``OPS``, the one mapping
table) turns a node into Ember layers wired to the Ember nodes of its inputs; they take the node's name.
A node that cannot be converted is recorded and its outputs marked failed (later nodes that read them are
skipped), so that one error lists every unsupported operator with its node name and index.

Layout notes: ONNX and Ember agree on NCHW images and on conv weights ([out, in, kH, kW]; transposed
conv [in, out, kH, kW]). Gemm's B is [in, out] unless transB (Linear's weight is [out, in]). Asymmetric
conv pads become a SpatialZeroPadding in front. ONNX LSTM gates come in the order i, o, f, c and Ember's
(PyTorch's) i, f, g, o, with one bias (ONNX's Wb + Rb); ONNX GRU's z, r, h become Ember's r, z, n, and only
``linear_before_reset=1`` is Ember's GRU. ONNX recurrent layers read [time, batch, features] (layout 0)
and output [time, directions, batch, hidden]; Ember's Recurrent reads and writes [batch, time, ...], so
transposes surround it. Ember's SoftMax works over dimension 1 of 2-d and 4-d input only.
"""
import numpy as np
import onnx
from onnx import numpy_helper
from onnx.reference import ReferenceEvaluator

from ember.io.onnx._context import FAILED, Context, Unsupported, attributes
from ember.io.onnx._ember import Layer
from ember.io.onnx._import_rnn import gru, lstm
from ember.io.onnx.errors import OnnxImportError, UnsupportedOperatorError

MIN_OPSET = 13
BATCH = -(2 ** 62)  # stands for the dynamic batch size inside a folded shape (see shape_of)
MOVES_VALUES = {"Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Slice", "Identity", "Reshape", "Flatten"}
DOUBLE_MAX = float(np.finfo(np.float64).max)


# ---------------------------------------------------------------------------------------------- operators


def _pairs(pads, what):
    """ONNX 2-d pads [top, left, bottom, right] -> (top, left, bottom, right)."""
    if len(pads) != 4:
        raise Unsupported(f"{what}: only 2-d spatial ops are supported, got pads {list(pads)}")
    return tuple(int(p) for p in pads)


def _spatial(a, what, kernel=None):
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
        raise Unsupported(f"{what}: auto_pad={a['auto_pad']!r} is not supported; give explicit pads")
    k = list(a.get("kernel_shape", kernel if kernel is not None else []))
    if len(k) != 2:
        raise Unsupported(f"{what}: only 2-d kernels are supported, got kernel_shape {k}")
    strides = list(a.get("strides", [1, 1]))
    dil = list(a.get("dilations", [1, 1]))
    return k, strides, dil, _pairs(a.get("pads", [0, 0, 0, 0]), what)


def _temporal(a, what):
    """(kernel, stride) of a 1-d conv / pool that Ember's Temporal* layers run: no padding, dilation or groups."""
    if any(int(p) for p in a.get("pads", [])) or any(int(d) != 1 for d in a.get("dilations", [])) or \
            int(a.get("group", 1)) != 1 or int(a.get("ceil_mode", 0)) or \
            a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
        raise Unsupported(f"{what}: 1-d with pads, dilations, groups or ceil_mode is not supported")
    return int(a["kernel_shape"][0]), int(a.get("strides", [1])[0])


def _time_last(layer):
    """Ember's Temporal* layers read [batch, time, features]; ONNX's 1-d ops [batch, features, time]."""
    return [Layer("Transpose", {"permutations": [1, 2]}), layer, Layer("Transpose", {"permutations": [1, 2]})]


def conv1d(ctx, node, a, w, b):
    k, stride = _temporal(dict(a, kernel_shape=a.get("kernel_shape", [w.shape[2]])), "Conv")
    n_out, n_in = w.shape[0], w.shape[1]
    weight = w.transpose(0, 2, 1).reshape(n_out, k * n_in)  # [out, kernel * in], frame-major
    bias = np.zeros(n_out, np.float32) if b is None else b
    layer = Layer("TemporalConvolution", {"inputFrameSize": n_in, "outputFrameSize": n_out, "kernelW": k,
                                          "strideW": stride}, {"weight": weight, "bias": bias})
    return ctx.chain(_time_last(layer), node.input[0])


def conv(ctx, node, a):
    w = ctx.const(node, 1, "Conv weight")
    b = ctx.const(node, 2, "Conv bias")
    if w.ndim == 3:
        return conv1d(ctx, node, a, w, b)
    (kh, kw), (sh, sw), (dh, dw), (t, l, bo, r) = _spatial(a, "Conv", w.shape[2:])
    group = int(a.get("group", 1))
    layers = []
    if (t, l) != (bo, r):
        layers.append(Layer("SpatialZeroPadding", {"padLeft": l, "padRight": r, "padTop": t, "padBottom": bo}))
        t, l = 0, 0
    n_out, n_in = w.shape[0], w.shape[1] * group
    tensors = {"weight": w} if b is None else {"weight": w, "bias": b}
    if (dh, dw) != (1, 1):
        if group != 1:
            raise Unsupported(f"Conv: group={group} with dilations {[dh, dw]} "
                              "(Ember's dilated convolution has no groups)")
        if b is None:
            tensors["bias"] = np.zeros(n_out, np.float32)
        layers.append(Layer("SpatialDilatedConvolution", {
            "nInputPlane": n_in, "nOutputPlane": n_out, "kW": kw, "kH": kh, "dW": sw, "dH": sh, "padW": l,
            "padH": t, "dilationW": dw, "dilationH": dh}, tensors))
    else:
        layers.append(Layer("SpatialConvolution", {
            "nInputPlane": n_in, "nOutputPlane": n_out, "kernelW": kw, "kernelH": kh, "strideW": sw, "strideH": sh,
            "padW": l, "padH": t, "nGroup": group, "withBias": b is not None}, tensors))
    return ctx.chain(layers, node.input[0])


def conv_transpose(ctx, node, a):
    w = ctx.const(node, 1, "ConvTranspose weight")
    b = ctx.const(node, 2, "ConvTranspose bias")
    (kh, kw), (sh, sw), (dh, dw), (t, l, bo, r) = _spatial(a, "ConvTranspose", w.shape[2:])
    if int(a.get("group", 1)) != 1 or (dh, dw) != (1, 1) or (t, l) != (bo, r) or "output_shape" in a:
        raise Unsupported("ConvTranspose: only group=1, dilations=1, symmetric pads and no output_shape are supported")
    ah, aw = (int(x) for x in a.get("output_padding", [0, 0]))
    tensors = {"weight": w} if b is None else {"weight": w, "bias": b}
    return ctx.chain([Layer("SpatialFullConvolution", {
        "nInputPlane": w.shape[0], "nOutputPlane": w.shape[1], "kW": kw, "kH": kh, "dW": sw, "dH": sh, "padW": l,
        "padH": t, "adjW": aw, "adjH": ah, "withBias": b is not None}, tensors)], node.input[0])


def _linear(ctx, x, weight, bias):
    """Linear(x) with ``weight`` [out, in] and an optional bias broadcast to [out]."""
    n_out, n_in = weight.shape
    tensors = {"weight": weight}
    if bias is not None:
        tensors["bias"] = np.broadcast_to(np.asarray(bias, np.float32).reshape(-1), (n_out,))
    return ctx.chain([Layer("Linear", {"inputSize": n_in, "outputSize": n_out, "withBias": bias is not None}, tensors)],
                     x)


def gemm(ctx, node, a):
    if int(a.get("transA", 0)):
        raise Unsupported("Gemm: transA=1 is not supported")
    b = ctx.const(node, 1, "Gemm B")
    c = ctx.const(node, 2, "Gemm C")
    weight = (b if int(a.get("transB", 0)) else b.T) * float(a.get("alpha", 1.0))
    bias = None if c is None else c * float(a.get("beta", 1.0))
    if bias is not None and bias.size not in (1, weight.shape[0]):
        raise Unsupported(f"Gemm: bias C of shape {list(c.shape)} is not per output")
    return _linear(ctx, node.input[0], weight, bias)


def matmul(ctx, node, a):
    b = ctx.values.get(node.input[1])
    rank = ctx.rank(node.input[0])
    if not ctx.is_const(node.input[1]) or b.ndim != 2 or rank not in (2, 3, None):
        raise Unsupported("MatMul: only a 2-d or 3-d input times a constant 2-d matrix is supported")
    if rank == 3:  # [batch, time, in] @ [in, out]: the Linear of every step
        linear = Layer("Linear", {"inputSize": b.shape[0], "outputSize": b.shape[1], "withBias": False},
                       {"weight": b.T})
        return ctx.chain([Layer("TimeDistributed", children=[linear])], node.input[0])
    return _linear(ctx, node.input[0], b.T, None)


_TABLE_OP = {"Add": "CAddTable", "Mul": "CMulTable"}


def binary(ctx, node, a):
    """Add / Sub / Mul / Div with numpy broadcasting; a constant operand becomes a (scalar) layer."""
    op = node.op_type
    x, y = node.input[0], node.input[1]
    if not ctx.is_const(x) and not ctx.is_const(y):
        sx, sy = ctx.shape(x), ctx.shape(y)
        if sx is not None and sy is not None and (len(sx) != len(sy) or any(
                p is not None and q is not None and p != q for p, q in zip(sx, sy))):
            raise Unsupported(f"{op} of two computed values of shapes {sx} and {sy}: Ember's CAddTable / CMulTable "
                              "need equal shapes (broadcasting is supported against constants)")
        if op in _TABLE_OP:
            return ctx.add(Layer(_TABLE_OP[op], {"inplace": False} if op == "Add" else {}), x, y)
        if op == "Sub":  # x - y = x + (-1 * y)
            neg = ctx.chain([Layer("MulConstant", {"scalar": -1.0, "inplace": False})], y)
            return ctx.builder.add(Layer("CAddTable", {"inplace": False}), [ctx.node(x), neg])
        inv = ctx.chain([Layer("Power", {"power": -1.0, "scale": 1.0, "shift": 0.0})], y)  # x / y = x * y^-1
        return ctx.builder.add(Layer("CMulTable"), [ctx.node(x), inv])
    const_first = ctx.is_const(x)
    c, v = (ctx.values[x], y) if const_first else (ctx.values[y], x)
    c = np.asarray(c, np.float32)
    layers = []
    if op == "Sub" and const_first:  # c - v = c + (-v)
        layers.append(Layer("MulConstant", {"scalar": -1.0, "inplace": False}))
        op = "Add"
    elif op == "Sub":
        c, op = -c, "Add"
    elif op == "Div" and const_first:  # c / v = c * v^-1
        layers.append(Layer("Power", {"power": -1.0, "scale": 1.0, "shift": 0.0}))
        op = "Mul"
    elif op == "Div":
        c, op = 1.0 / c, "Mul"
    if c.size == 1:
        cls, arg = ("AddConstant", "constantScalar") if op == "Add" else ("MulConstant", "scalar")
        layers.append(Layer(cls, {arg: float(c.reshape(-1)[0]), "inplace": False}))
    else:
        rank = ctx.rank(v)
        if rank is not None and c.ndim > rank:
            raise Unsupported(f"{node.op_type}: the constant of shape {list(c.shape)} has more dimensions "
                              "than the input")
        size = list(c.shape)
        while len(size) > 1 and size[0] == 1:  # leading 1s broadcast over the batch anyway
            size.pop(0)
        cls, key = ("CAdd", "bias") if op == "Add" else ("CMul", "weight")
        layers.append(Layer(cls, {"size": size}, {key: c.reshape(size)}))
    return ctx.chain(layers, v)


_POINTWISE = {"Sigmoid": "Sigmoid", "Tanh": "Tanh", "Identity": "Identity", "Cast": "Identity", "Abs": "Abs",
              "Exp": "Exp", "Log": "Log", "Sqrt": "Sqrt", "Softsign": "SoftSign"}


def activation(ctx, node, a):
    op = node.op_type
    if op == "Cast" and int(a.get("to", 1)) not in (1, 6, 7, 10, 11):  # float, int32, int64, float16, double
        raise Unsupported(f"Cast: to type {a.get('to')} is not supported")
    if op == "HardSigmoid" and not np.allclose([a.get("alpha", 0.2), a.get("beta", 0.5)], [0.2, 0.5], atol=1e-6):
        raise Unsupported("HardSigmoid: only alpha=0.2, beta=0.5 (Keras's) is supported")
    if op in _POINTWISE or op == "HardSigmoid":
        layer = Layer(_POINTWISE.get(op, op))
    elif op == "Relu":
        layer = Layer("ReLU", {"ip": False})
    elif op == "LeakyRelu":
        layer = Layer("LeakyReLU", {"negval": float(a.get("alpha", 0.01)), "inplace": False})
    elif op == "Elu":
        layer = Layer("ELU", {"alpha": float(a.get("alpha", 1.0)), "inplace": False})
    elif op == "Softplus":
        layer = Layer("SoftPlus", {"beta": 1.0})
    elif op == "Neg":
        layer = Layer("MulConstant", {"scalar": -1.0, "inplace": False})
    else:  # Reciprocal
        layer = Layer("Power", {"power": -1.0, "scale": 1.0, "shift": 0.0})
    return ctx.chain([layer], node.input[0])


def clip(ctx, node, a):
    lo, hi = ctx.const(node, 1, "Clip min"), ctx.const(node, 2, "Clip max")
    lo = -DOUBLE_MAX if lo is None else float(lo)
    hi = DOUBLE_MAX if hi is None else float(hi)
    return ctx.chain([Layer("HardTanh", {"minValue": lo, "maxValue": hi, "inplace": False})], node.input[0])


def prelu(ctx, node, a):
    slope = np.asarray(ctx.const(node, 1, "PRelu slope"), np.float32)
    rank = ctx.rank(node.input[0])
    if slope.size == 1:
        return ctx.chain([Layer("PReLU", {"nOutputPlane": 0}, {"weight": slope.reshape(1)})], node.input[0])
    per_channel = (rank == 2 and slope.shape == (slope.size,)) or (rank == 4 and slope.shape[-2:] == (1, 1)
                                                                  and slope.reshape(-1).size == slope.shape[-3])
    if not per_channel:
        raise Unsupported(f"PRelu: slope of shape {list(slope.shape)} for {rank}-d input; Ember's PReLU has one "
                          "slope, or one per channel of 2-d or 4-d input")
    return ctx.chain([Layer("PReLU", {"nOutputPlane": slope.size}, {"weight": slope.reshape(-1)})], node.input[0])


def layer_norm(ctx, node, a):
    scale, bias = ctx.const(node, 1, "LayerNormalization scale"), ctx.const(node, 2, "LayerNormalization B")
    rank = ctx.rank(node.input[0])
    axis = int(a.get("axis", -1))
    if axis != -1 and (rank is None or axis != rank - 1):
        raise Unsupported(f"LayerNormalization: axis {axis}; Ember normalises over the last axis only")
    if len([o for o in node.output if o]) > 1:
        raise Unsupported("LayerNormalization: the Mean / InvStdDev outputs are not supported")
    n = scale.size
    bias = np.zeros(n, np.float32) if bias is None else bias
    return ctx.chain([Layer("LayerNormalization", {"hiddenSize": n, "eps": float(a.get("epsilon", 1e-5))},
                            {"weight": scale.reshape(n), "bias": bias.reshape(n)})], node.input[0])


def softmax(ctx, node, a):
    rank = ctx.rank(node.input[0])
    axis = int(a.get("axis", -1))
    if rank is None:
        raise Unsupported(f"{node.op_type}: the input's rank is unknown (give the graph input shapes)")
    if axis < 0:
        axis += rank
    if not ((rank == 2 and axis == 1) or (rank == 4 and axis == 1)):
        raise Unsupported(f"{node.op_type}: axis {a.get('axis', -1)} of {rank}-d input; Ember's SoftMax works over "
                          "the last axis of 2-d input or the channels of 4-d input")
    return ctx.chain([Layer("SoftMax" if node.op_type == "Softmax" else "LogSoftMax")], node.input[0])


def pool(ctx, node, a):
    op = node.op_type
    if op == "GlobalAveragePool":
        return ctx.chain([Layer("SpatialAveragePooling", {
            "kW": 1, "kH": 1, "dW": 1, "dH": 1, "padW": 0, "padH": 0, "globalPooling": True, "ceilMode": False,
            "countIncludePad": True, "divide": True})], node.input[0])
    if len(a.get("kernel_shape", [])) == 1 and op == "MaxPool":
        k, stride = _temporal(a, op)
        return ctx.chain(_time_last(Layer("TemporalMaxPooling", {"kW": k, "dW": stride})), node.input[0])
    (kh, kw), (sh, sw), dil, (t, l, bo, r) = _spatial(a, op)
    if list(dil) != [1, 1] or (t, l) != (bo, r) or int(a.get("storage_order", 0)):
        raise Unsupported(f"{op}: only dilations=1, symmetric pads and storage_order=0 are supported")
    ceil = bool(a.get("ceil_mode", 0))
    if op == "MaxPool":
        if len(node.output) > 1 and node.output[1]:
            raise Unsupported("MaxPool: the Indices output is not supported")
        return ctx.chain([Layer("SpatialMaxPooling", {"kW": kw, "kH": kh, "dW": sw, "dH": sh, "padW": l, "padH": t,
                                                      "ceilMode": ceil})], node.input[0])
    return ctx.chain([Layer("SpatialAveragePooling", {
        "kW": kw, "kH": kh, "dW": sw, "dH": sh, "padW": l, "padH": t, "globalPooling": False, "ceilMode": ceil,
        "countIncludePad": bool(a.get("count_include_pad", 0)), "divide": True})], node.input[0])


def batch_norm(ctx, node, a):
    if int(a.get("training_mode", 0)) or len([o for o in node.output if o]) > 1:
        raise Unsupported("BatchNormalization: training_mode=1 (running statistics as outputs) is not supported")
    scale, bias, mean, var = (ctx.const(node, i, what) for i, what in enumerate(("scale", "B", "mean", "var"), 1))
    rank = ctx.rank(node.input[0])
    if rank not in (2, 4):
        raise Unsupported(f"BatchNormalization: input of rank {rank}; Ember normalises 2-d or 4-d input")
    cls = "BatchNormalization" if rank == 2 else "SpatialBatchNormalization"
    # ONNX: running = momentum * running + (1 - momentum) * batch; Ember's momentum weighs the batch
    return ctx.chain([Layer(cls, {"nOutput": scale.size, "eps": float(a.get("epsilon", 1e-5)),
                                  "momentum": 1.0 - float(a.get("momentum", 0.9)), "affine": True},
                            {"weight": scale, "bias": bias, "running_mean": mean, "running_var": var})], node.input[0])


def lrn(ctx, node, a):
    args = {"size": int(a["size"]), "alpha": float(a.get("alpha", 1e-4)), "beta": float(a.get("beta", 0.75)),
            "k": float(a.get("bias", 1.0))}
    return ctx.chain([Layer("SpatialCrossMapLRN", args)], node.input[0])


def flatten(ctx, node, a):
    axis = int(a.get("axis", 1))
    rank = ctx.rank(node.input[0])
    if axis < 0 and rank is not None:
        axis += rank
    if axis != 1:
        raise Unsupported(f"Flatten: axis {a.get('axis', 1)}; only axis 1 (keep the batch) is supported")
    return ctx.chain([Layer("InferReshape", {"size": [-1], "batchMode": True})], node.input[0])


def shape_of(ctx, node, a):
    """Shape of a computed value: its sizes from shape inference, the dynamic batch size as BATCH (PyTorch's
    ``x.view(x.size(0), -1)`` exports as Shape -> Gather -> Unsqueeze -> Concat -> Reshape)."""
    shape = ctx.shape(node.input[0])
    if shape is None:
        raise Unsupported("Shape: the input's shape is unknown (give the graph inputs' shapes)")
    dims = [BATCH if i == 0 and d is None else d for i, d in enumerate(shape)]
    dims = dims[int(a.get("start", 0)):a.get("end", len(dims))]
    if any(d is None for d in dims):
        raise Unsupported(f"Shape: sizes other than the batch are dynamic ({list(shape)})")
    ctx.values[node.output[0]] = np.array(dims, np.int64)
    return None


def reshape(ctx, node, a):
    shape = [int(s) for s in ctx.const(node, 1, "Reshape shape")]
    if int(a.get("allowzero", 0)) and 0 in shape:
        raise Unsupported("Reshape: allowzero=1 with a 0 in the shape is not supported")
    in_shape = ctx.shape(node.input[0])
    if shape and (shape[0] == BATCH or (in_shape and in_shape[0] is not None and shape[0] == in_shape[0])):
        shape[0] = 0  # the batch size (dynamic, or the graph's fixed one): kept, whatever the batch
    if BATCH in shape:
        raise Unsupported(f"Reshape: the batch size moves to position {shape.index(BATCH)} of the new shape")
    if len(shape) >= 1 and shape[0] in (0, -1) and (shape[0] == 0 or -1 not in shape[1:]):
        rest = shape[1:]
        if all(s > 0 for s in rest) and rest:
            layer = Layer("Reshape", {"size": rest, "batchMode": True})
        elif rest:
            layer = Layer("InferReshape", {"size": rest, "batchMode": True})
        else:
            raise Unsupported(f"Reshape: shape {shape} removes every dimension but the batch")
    else:
        layer = Layer("InferReshape", {"size": shape, "batchMode": False})
    return ctx.chain([layer], node.input[0])


def transpose(ctx, node, a):
    perm = [int(p) for p in a.get("perm", [])]
    if not perm:
        rank = ctx.rank(node.input[0])
        if rank is None:
            raise Unsupported("Transpose: no perm and unknown rank")
        perm = list(range(rank))[::-1]
    swaps = swaps_for(perm)
    if not swaps:
        return ctx.chain([Layer("Identity")], node.input[0])
    return ctx.chain([Layer("Transpose", {"permutations": [d for s in swaps for d in s]})], node.input[0])


def swaps_for(perm):
    """Pairs of dimensions whose successive swaps turn dims (0, 1, ...) into ``perm`` (output dim i = input perm[i])."""
    cur = list(range(len(perm)))
    swaps = []
    for i, p in enumerate(perm):
        j = cur.index(p)
        if j != i:
            cur[i], cur[j] = cur[j], cur[i]
            swaps.append((i, j))
    return swaps


def concat(ctx, node, a):
    return ctx.add(Layer("JoinTable", {"dimension": int(a["axis"]), "nInputDims": 0}), *node.input)


def squeeze(ctx, node, a):
    axes = ctx.const(node, 1, "Squeeze axes")
    dims = [] if axes is None else [int(d) for d in axes]
    return ctx.chain([Layer("Squeeze", {"dims": dims, "batchMode": False})], node.input[0])


def unsqueeze(ctx, node, a):
    axes = [int(d) for d in ctx.const(node, 1, "Unsqueeze axes")]
    rank = ctx.rank(node.input[0])
    if any(d < 0 for d in axes):
        if rank is None:
            raise Unsupported("Unsqueeze: negative axes need the input's rank")
        axes = [d + rank + len(axes) if d < 0 else d for d in axes]
    return ctx.chain([Layer("Unsqueeze", {"pos": d, "numInputDims": 0}) for d in sorted(axes)], node.input[0])


def gather(ctx, node, a):
    axis = int(a.get("axis", 0))
    if ctx.is_const(node.input[0]) and not ctx.is_const(node.input[1]):  # an embedding
        w = ctx.values[node.input[0]]
        if axis != 0 or w.ndim != 2:
            raise Unsupported("Gather: a constant table must be 2-d and gathered along axis 0 (an embedding)")
        return ctx.chain([Layer("LookupTable", {"nIndex": w.shape[0], "nOutput": w.shape[1], "paddingValue": -1,
                                                "maxNorm": DOUBLE_MAX, "normType": 2.0, "shouldScaleGradByFreq": False},
                                {"weight": w})], node.input[1])
    idx = ctx.const(node, 1, "Gather indices")
    if idx.ndim != 0:
        raise Unsupported("Gather: only a scalar index (select one slice) or an embedding table is supported")
    return ctx.chain([Layer("Select", {"dim": axis, "index": int(idx)})], node.input[0])


def slice_(ctx, node, a):
    """Slice with step 1 -> one Narrow per axis (Narrow's negative length counts from the end: -1 keeps
    everything from the offset, -2 all but the last, ...)."""
    starts, ends = ctx.const(node, 1, "Slice starts"), ctx.const(node, 2, "Slice ends")
    axes = ctx.const(node, 3, "Slice axes")
    steps = ctx.const(node, 4, "Slice steps")
    axes = list(range(len(starts))) if axes is None else [int(d) for d in axes]
    if steps is not None and any(int(t) != 1 for t in steps):
        raise Unsupported(f"Slice: steps {list(steps)}; only step 1 is supported")
    shape = ctx.shape(node.input[0])
    layers = []
    for axis, start, end in zip(axes, (int(v) for v in starts), (int(v) for v in ends)):
        size = shape[axis] if shape is not None else None
        if start < 0 and size is not None:
            start += size
        if start < 0:
            raise Unsupported(f"Slice: a negative start on an axis of unknown size (axis {axis})")
        if end >= 2 ** 31 - 1 or (size is not None and end >= size):
            length = -1
        elif end < 0:
            length = end - 1
        elif end > start:
            length = end - start
        else:
            raise Unsupported(f"Slice: empty range [{start}, {end}) on axis {axis}")
        layers.append(Layer("Narrow", {"dimension": axis, "offset": start, "length": length}))
    return ctx.chain(layers or [Layer("Identity")], node.input[0])


def dropout(ctx, node, a):
    ratio = ctx.const(node, 1, "Dropout ratio")
    p = float(a.get("ratio", 0.5) if ratio is None else ratio)
    return ctx.chain([Layer("Dropout", {"initP": p, "inplace": False, "scale": True})], node.input[0])


def pad(ctx, node, a):
    mode = a.get("mode", b"constant")
    pads = [int(p) for p in ctx.const(node, 1, "Pad pads")]
    value = ctx.const(node, 2, "Pad constant_value")
    if mode not in (b"constant", "constant") or (len(node.input) > 3 and node.input[3]):
        raise Unsupported(f"Pad: only constant padding over all axes is supported (mode {mode!r})")
    rank = len(pads) // 2
    value = 0.0 if value is None else float(value)
    begin, end = pads[:rank], pads[rank:]
    if begin[0] or end[0] or min(pads) < 0:
        raise Unsupported(f"Pad: pads {pads}: the batch axis and negative pads (cropping) are not supported")
    layers = []
    for d in range(1, rank):
        for amount in (-begin[d], end[d]):
            if amount:
                layers.append(Layer("Padding", {"dim": d - 1, "pad": amount, "nInputDim": rank - 1, "value": value}))
    return ctx.chain(layers or [Layer("Identity")], node.input[0])


def constant(ctx, node, a):
    if "value" not in a:
        raise Unsupported("Constant: only the 'value' attribute is supported")
    ctx.values[node.output[0]] = numpy_helper.to_array(a["value"])
    return None


def reduce(ctx, node, a):
    """ReduceSum / ReduceMean / ReduceMax / ReduceMin over listed axes: one Ember reduction per axis, the
    highest axis first so that the lower ones keep their index when dimensions go."""
    axes = a.get("axes") if "axes" in a else ctx.const(node, 1, f"{node.op_type} axes")
    if axes is None or len(axes) == 0:
        raise Unsupported(f"{node.op_type}: reducing every axis (no axes) is not supported")
    rank = ctx.rank(node.input[0])
    axes = [int(d) for d in axes]
    if any(d < 0 for d in axes):
        if rank is None:
            raise Unsupported(f"{node.op_type}: negative axes need the input's rank")
        axes = [d + rank if d < 0 else d for d in axes]
    squeeze = not int(a.get("keepdims", 1))
    return ctx.chain([_reduction(node.op_type, d, squeeze) for d in sorted(axes, reverse=True)], node.input[0])


def _reduction(op, d, squeeze):
    if op == "ReduceSum":
        return Layer("Sum", {"dimension": d, "nInputDims": -1, "sizeAverage": False, "squeeze": squeeze})
    if op == "ReduceMean":
        return Layer("Mean", {"dimension": d, "nInputDims": -1, "squeeze": squeeze})
    return Layer("Max" if op == "ReduceMax" else "Min", {"dim": d, "numInputDims": -1, "squeeze": squeeze})


def pow_(ctx, node, a):
    p = ctx.const(node, 1, "Pow exponent")
    if p.size != 1:
        raise Unsupported("Pow: only a scalar constant exponent is supported")
    return ctx.chain([Layer("Power", {"power": float(p.reshape(-1)[0]), "scale": 1.0, "shift": 0.0})], node.input[0])


def sum_(ctx, node, a):
    if len(node.input) == 1:
        return ctx.chain([Layer("Identity")], node.input[0])
    return ctx.add(Layer("CAddTable", {"inplace": False}), *node.input)


OPS = {
    "Conv": conv, "ConvTranspose": conv_transpose, "Gemm": gemm, "MatMul": matmul,
    "Add": binary, "Sub": binary, "Mul": binary, "Div": binary, "Sum": sum_, "Pow": pow_,
    "Relu": activation, "LeakyRelu": activation, "Elu": activation, "Sigmoid": activation, "Tanh": activation,
    "Identity": activation, "Cast": activation, "Abs": activation, "Exp": activation, "Log": activation,
    "Sqrt": activation, "Softsign": activation, "Softplus": activation, "HardSigmoid": activation,
    "Neg": activation, "Reciprocal": activation, "Clip": clip, "PRelu": prelu, "LayerNormalization": layer_norm,
    "Softmax": softmax, "LogSoftmax": softmax,
    "MaxPool": pool, "AveragePool": pool, "GlobalAveragePool": pool,
    "BatchNormalization": batch_norm, "LRN": lrn,
    "Flatten": flatten, "Reshape": reshape, "Transpose": transpose, "Concat": concat,
    "Squeeze": squeeze, "Unsqueeze": unsqueeze, "Gather": gather, "Slice": slice_, "Dropout": dropout, "Pad": pad,
    "ReduceSum": reduce, "ReduceMean": reduce, "ReduceMax": reduce, "ReduceMin": reduce,
    "Constant": constant, "Shape": shape_of, "LSTM": lstm, "GRU": gru,
}


# ---------------------------------------------------------------------------------------------- driver


def _shapes(model):
    """Value name -> shape (a size, or None where unknown) from ONNX shape inference and the declared values."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # noqa: BLE001 - shape inference is a hint; without it shapes come from the declared values
        inferred = model
    g = inferred.graph
    shapes = {}
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        t = vi.type.tensor_type
        if t.HasField("shape"):
            shapes[vi.name] = tuple(d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim)
    return shapes


def _opset(model):
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return o.version
    return None


def convert(model):
    """The Ember model structure (a :class:`Layer`) of an ``onnx.ModelProto``."""
    opset = _opset(model)
    if opset is None or opset < MIN_OPSET:
        raise OnnxImportError(f"ONNX opset {opset} is not supported: Ember reads opset {MIN_OPSET} or later "
                              "(convert with onnx.version_converter.convert_version(model, 13))")
    graph = model.graph
    ctx = Context(graph, _shapes(model))
    for vi in graph.input:
        if vi.name not in ctx.values:
            ctx.values[vi.name] = ctx.builder.input(vi.name)
    problems = []
    for index, node in enumerate(graph.node):
        if any(ctx.values.get(i) is FAILED for i in node.input if i):
            _fail(ctx, node)
            continue
        missing = [i for i in node.input if i and i not in ctx.values]
        handler = OPS.get(node.op_type) if node.domain in ("", "ai.onnx") else None
        first_layer = len(ctx.builder.layers)
        try:
            if not missing and _fold(ctx, node):
                continue
            if handler is None:
                raise Unsupported("")
            if missing:
                raise Unsupported(f"inputs {missing} are not defined before this node")
            out = handler(ctx, node, attributes(node))
        except Unsupported as e:
            problems.append((node.op_type, node.name, index, str(e)))
            _fail(ctx, node)
            continue
        _name_layers(ctx.builder.layers[first_layer:], node.name)
        if out is not None:
            outs = out if isinstance(out, (list, tuple)) else [out]
            for name, v in zip(node.output, outs):
                if name:
                    ctx.values[name] = v
    if problems:
        raise UnsupportedOperatorError(problems)
    outputs = []
    for vi in graph.output:
        v = ctx.values.get(vi.name)
        if not isinstance(v, int):
            raise OnnxImportError(f"graph output '{vi.name}' is {'a constant' if v is not None else 'never computed'}; "
                                  "Ember models compute every output from the inputs")
        outputs.append(v)
    return ctx.builder.model(outputs)


def _fold(ctx, node):
    """Computes a node whose inputs are all constants (shape arithmetic, weight preprocessing) with the onnx
    package's reference evaluator; True when its outputs are now constants. A shape holding the dynamic batch
    size (BATCH) may only be moved around (gathered, sliced, concatenated, ...), not computed with."""
    inputs = [i for i in node.input if i]
    if not inputs or not all(ctx.is_const(i) for i in inputs):
        return False
    if node.op_type not in MOVES_VALUES and any(ctx.values[i].dtype == np.int64 and (ctx.values[i] == BATCH).any()
                                                for i in inputs):
        raise Unsupported(f"{node.op_type} computes with the dynamic batch size (from Shape); only "
                          f"{', '.join(sorted(MOVES_VALUES))} of it are supported")
    try:
        outs = ReferenceEvaluator(node).run(None, {i: ctx.values[i] for i in inputs})
    except Exception:  # noqa: BLE001 - not foldable here; the operator's own function decides
        return False
    for name, v in zip(node.output, outs):
        if name:
            ctx.values[name] = np.asarray(v)
    return True


def _name_layers(layers, node_name):
    """Ember layers made for one ONNX node carry its name (suffixed when there are several), so that the
    model's printout, freeze(names) and a re-export point back to the ONNX graph."""
    if not node_name:
        return
    for i, layer in enumerate(layers):
        if layer.cls != "ember.nn.Input":
            layer.name = node_name if len(layers) == 1 else f"{node_name}/{i}"


def _fail(ctx, node):
    for o in node.output:
        if o:
            ctx.values[o] = FAILED
