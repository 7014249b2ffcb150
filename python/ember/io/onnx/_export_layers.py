"""Ember layers -> ONNX nodes, one small function per layer family, and ``LAYERS``, the export's mapping table.

Each function takes (ctx, args, tensors, x, where): the export context (:class:`ember.io.onnx._export.Context`:
``node`` appends a node, ``const`` an initializer), the module's constructor arguments and own tensors from
its model file, its input ``x`` = (ONNX value name, rank) - a list of them for table modules - and the
module's name or path; it returns the output's (name, rank). Ranks make ONNX's explicit axes out of Ember's
per-sample dimensions (``nInputDims``) and rank-dependent choices (SoftMax's dimension, PReLU's channel).
"""
import numpy as np
from onnx import TensorProto

DOUBLE_MAX = float(np.finfo(np.float64).max)


def sub_tensors(tensors, prefix):
    """The tensors under module path ``prefix`` ("3."), named relative to it."""
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


class NotExportable(Exception):
    """A module (or a setting of it) with no ONNX equivalent; the message says which."""




def conv(ctx, a, t, x, where):
    pads = [a["padH"], a["padW"], a["padH"], a["padW"]]
    if min(pads) < 0:
        raise NotExportable("negative (same) padding")
    k = t["weight"].shape[2:]
    inputs = [x[0], ctx.const("W", t["weight"])] + ([ctx.const("B", t["bias"])] if "bias" in t else [])
    strides = [a.get("strideH", a.get("dH")), a.get("strideW", a.get("dW"))]
    dil = [a.get("dilationH", 1), a.get("dilationW", 1)]
    return ctx.node("Conv", inputs, where, kernel_shape=list(k), strides=strides, pads=pads, dilations=dil,
                    group=a.get("nGroup", 1)), x[1]


def conv_transpose(ctx, a, t, x, where):
    inputs = [x[0], ctx.const("W", t["weight"])] + ([ctx.const("B", t["bias"])] if "bias" in t else [])
    return ctx.node("ConvTranspose", inputs, where, kernel_shape=list(t["weight"].shape[2:]),
                    strides=[a["dH"], a["dW"]],
                    pads=[a["padH"], a["padW"], a["padH"], a["padW"]], output_padding=[a["adjH"], a["adjW"]]), x[1]


def linear(ctx, a, t, x, where):
    if x[1] != 2:
        raise NotExportable(f"input of rank {x[1]} (ONNX Gemm takes 2-d input)")
    inputs = [x[0], ctx.const("W", t["weight"])] + ([ctx.const("B", t["bias"])] if "bias" in t else [])
    return ctx.node("Gemm", inputs, where, transB=1), 2


def pointwise(op, **fixed):
    def export(ctx, a, t, x, where):
        attrs = {k: float(a[v]) for k, v in fixed.items()}
        return ctx.node(op, [x[0]], where, **attrs), x[1]

    return export


def softmax(op):
    def export(ctx, a, t, x, where):
        if x[1] not in (1, 2, 3, 4):
            raise NotExportable(f"input of rank {x[1]}")
        return ctx.node(op, [x[0]], where, axis=0 if x[1] in (1, 3) else 1), x[1]

    return export


def max_pool(ctx, a, t, x, where):
    return ctx.node("MaxPool", [x[0]], where, kernel_shape=[a["kH"], a["kW"]], strides=[a["dH"], a["dW"]],
                    pads=_pool_pads(a), ceil_mode=int(a["ceilMode"])), x[1]


def _pool_pads(a):
    if a["padW"] < 0 or a["padH"] < 0:
        raise NotExportable("negative (same) padding")
    return [a["padH"], a["padW"], a["padH"], a["padW"]]


def avg_pool(ctx, a, t, x, where):
    if not a["divide"]:
        raise NotExportable("divide=false (sums, not averages)")
    if a["globalPooling"]:
        return ctx.node("GlobalAveragePool", [x[0]], where), x[1]
    return ctx.node("AveragePool", [x[0]], where, kernel_shape=[a["kH"], a["kW"]], strides=[a["dH"], a["dW"]],
                    pads=_pool_pads(a), ceil_mode=int(a["ceilMode"]), count_include_pad=int(a["countIncludePad"])), x[1]


def batch_norm(ctx, a, t, x, where):
    n = a["nOutput"]
    scale = t.get("weight", np.ones(n, np.float32))
    bias = t.get("bias", np.zeros(n, np.float32))
    inputs = [x[0]] + [ctx.const(h, v) for h, v in (("scale", scale), ("B", bias), ("mean", t["running_mean"]),
                                                    ("var", t["running_var"]))]
    momentum = 1.0 - float(a["momentum"])  # ONNX's momentum weighs the running value, Ember's the batch
    return ctx.node("BatchNormalization", inputs, where, epsilon=float(a["eps"]), momentum=momentum), x[1]


def lrn(ctx, a, t, x, where):
    return ctx.node("LRN", [x[0]], where, size=a["size"], alpha=float(a["alpha"]), beta=float(a["beta"]),
                    bias=float(a["k"])), x[1]


def reshape(ctx, a, t, x, where):
    size = list(a["size"])
    batch = a.get("batchMode", True)  # unset: a batched input keeps its first dimension
    shape = [0] + size if batch else size
    return ctx.node("Reshape", [x[0], ctx.const("shape", shape, np.int64)], where), len(shape)


def transpose(ctx, a, t, x, where):
    perm = list(range(x[1]))
    p = a["permutations"]
    for i in range(0, len(p), 2):
        perm[p[i]], perm[p[i + 1]] = perm[p[i + 1]], perm[p[i]]
    return ctx.node("Transpose", [x[0]], where, perm=perm), x[1]


def _batch_offset(rank, n_sample_dims):
    return 1 if n_sample_dims > 0 and rank > n_sample_dims else 0


def join(ctx, a, t, xs, where):
    rank = xs[0][1]
    d = a["dimension"]
    axis = d + _batch_offset(rank, a["nInputDims"]) if d >= 0 else d
    return ctx.node("Concat", [v for v, _ in xs], where, axis=axis), rank


def squeeze(ctx, a, t, x, where):
    if not a["dims"]:
        raise NotExportable("dims=[] (squeeze every size-1 dimension) needs static shapes; list the dims")
    off = 1 if a["batchMode"] else 0
    axes = [d + off if d >= 0 else d for d in a["dims"]]
    return ctx.node("Squeeze", [x[0], ctx.const("axes", axes, np.int64)], where), x[1] - len(axes)


def unsqueeze(ctx, a, t, x, where):
    pos = a["pos"] + _batch_offset(x[1], a["numInputDims"])
    return ctx.node("Unsqueeze", [x[0], ctx.const("axes", [pos], np.int64)], where), x[1] + 1


def select(ctx, a, t, x, where):
    return ctx.node("Gather", [x[0], ctx.const("index", a["index"], np.int64)], where, axis=a["dim"]), x[1] - 1


def narrow(ctx, a, t, x, where):
    d, offset, length = a["dimension"], a["offset"], a["length"]
    axis = d + x[1] if d < 0 else d
    end = offset + length if length > 0 else (length + 1 if length < -1 else np.iinfo(np.int64).max)
    inputs = [x[0]] + [ctx.const(h, [v], np.int64) for h, v in (("starts", offset), ("ends", end), ("axes", axis))]
    return ctx.node("Slice", inputs, where), x[1]


def lookup(ctx, a, t, x, where):
    if a["maxNorm"] < DOUBLE_MAX:
        raise NotExportable("maxNorm (rows renormalised in forward)")
    ids = ctx.node("Cast", [x[0]], where, to=TensorProto.INT64)
    return ctx.node("Gather", [ctx.const("embedding", t["weight"]), ids], where, axis=0), x[1] + 1


def dropout(ctx, a, t, x, where):
    return ctx.node("Dropout", [x[0], ctx.const("ratio", a["initP"])], where), x[1]


def table(op):
    def export(ctx, a, t, xs, where):
        names = [v for v, _ in xs]
        if len(names) == 2 or op != "Add":
            out = names[0]
            for other in names[1:]:
                out = ctx.node(op, [out, other], where)
            return out, xs[0][1]
        return ctx.node("Sum", names, where), xs[0][1]

    return export


def cadd(ctx, a, t, x, where):
    return ctx.node("Add", [x[0], ctx.const("bias", t["bias"])], where), x[1]


def cmul(ctx, a, t, x, where):
    return ctx.node("Mul", [x[0], ctx.const("weight", t["weight"])], where), x[1]


def add_constant(ctx, a, t, x, where):
    return ctx.node("Add", [x[0], ctx.const("c", a["constantScalar"])], where), x[1]


def mul_constant(ctx, a, t, x, where):
    return ctx.node("Mul", [x[0], ctx.const("c", a["scalar"])], where), x[1]


def power(ctx, a, t, x, where):
    v = x[0]
    if a["scale"] != 1:
        v = ctx.node("Mul", [v, ctx.const("scale", a["scale"])], where)
    if a["shift"] != 0:
        v = ctx.node("Add", [v, ctx.const("shift", a["shift"])], where)
    return ctx.node("Pow", [v, ctx.const("power", a["power"])], where), x[1]


def reduction(op, dim_key, dims_key):
    def export(ctx, a, t, x, where):
        op_ = "ReduceMean" if a.get("sizeAverage") else op  # Sum(sizeAverage=true) is a mean
        d = a[dim_key]
        axis = d + (x[1] - a[dims_key] if 0 < a[dims_key] < x[1] else 0) if d >= 0 else d + x[1]
        keep = 0 if a["squeeze"] else 1
        if op_ == "ReduceSum":  # axes became an input in opset 13 for ReduceSum, in 18 for the others
            out = ctx.node(op_, [x[0], ctx.const("axes", [axis], np.int64)], where, keepdims=keep)
        else:
            out = ctx.node(op_, [x[0]], where, axes=[axis], keepdims=keep)
        return out, x[1] - (1 - keep)

    return export


def _pad(ctx, x, axis_pads, value, where):
    """Pad node with (begin, end) per axis in ``axis_pads`` (dict axis -> pair)."""
    rank = x[1]
    pads = [0] * (2 * rank)
    for axis, (b, e) in axis_pads.items():
        if b < 0 or e < 0:
            raise NotExportable("negative padding (cropping)")
        pads[axis] += b
        pads[axis + rank] += e
    return ctx.node("Pad", [x[0], ctx.const("pads", pads, np.int64), ctx.const("value", value)], where), rank


def padding(ctx, a, t, x, where):
    d = a["dim"]
    axis = d + _batch_offset(x[1], a["nInputDim"]) if d >= 0 else d + x[1]
    pad = a["pad"]
    return _pad(ctx, x, {axis: (-pad, 0) if pad < 0 else (0, pad)}, a["value"], where)


def zero_padding(ctx, a, t, x, where):
    h, w = x[1] - 2, x[1] - 1
    return _pad(ctx, x, {h: (a["padTop"], a["padBottom"]), w: (a["padLeft"], a["padRight"])}, 0.0, where)


def softplus(ctx, a, t, x, where):
    beta = float(a["beta"])
    if beta == 1.0:
        return ctx.node("Softplus", [x[0]], where), x[1]
    v = ctx.node("Softplus", [ctx.node("Mul", [x[0], ctx.const("beta", beta)], where)], where)
    return ctx.node("Mul", [v, ctx.const("inv_beta", 1.0 / beta)], where), x[1]


def square(ctx, a, t, x, where):
    return ctx.node("Mul", [x[0], x[0]], where), x[1]


def clip(ctx, a, t, x, where):
    if "minValue" in a:  # HardTanh
        lo, hi = a["minValue"], a["maxValue"]
    elif "min" in a:  # Clamp
        lo, hi = a["min"], a["max"]
    else:  # ReLU6
        lo, hi = 0.0, 6.0
    return ctx.node("Clip", [x[0], ctx.const("min", lo), ctx.const("max", hi)], where), x[1]


def hard_sigmoid(ctx, a, t, x, where):
    return ctx.node("HardSigmoid", [x[0]], where, alpha=0.2, beta=0.5), x[1]


def prelu(ctx, a, t, x, where):
    w = t["weight"]
    if a["nOutputPlane"] > 0:
        if x[1] not in (2, 4):
            raise NotExportable(f"per-channel slopes on {x[1]}-d input (the channel is dimension 1 of 2-d / 4-d)")
        w = w.reshape(-1, 1, 1) if x[1] == 4 else w
    return ctx.node("PRelu", [x[0], ctx.const("slope", w)], where), x[1]


def layer_norm(ctx, a, t, x, where):
    inputs = [x[0], ctx.const("scale", t["weight"]), ctx.const("B", t["bias"])]
    return ctx.node("LayerNormalization", inputs, where, axis=-1, epsilon=float(a["eps"])), x[1]


def view(ctx, a, t, x, where):
    if a["numInputDims"] <= 0:
        raise NotExportable("numInputDims unset (whether the input is a batch depends on its size)")
    lead = x[1] - a["numInputDims"]
    if lead != 1:
        raise NotExportable(f"{lead} leading batch dimensions")
    shape = [0] + list(a["sizes"])
    return ctx.node("Reshape", [x[0], ctx.const("shape", shape, np.int64)], where), len(shape)


def temporal_conv(ctx, a, t, x, where):
    n_in, n_out, k = a["inputFrameSize"], a["outputFrameSize"], a["kernelW"]
    w = t["weight"].reshape(n_out, k, n_in).transpose(0, 2, 1)  # [out, kernel * in] frame-major -> [out, in, kernel]
    v = ctx.node("Transpose", [x[0]], where, perm=[0, 2, 1])
    v = ctx.node("Conv", [v, ctx.const("W", w), ctx.const("B", t["bias"])], where, kernel_shape=[k],
                 strides=[a["strideW"]])
    return ctx.node("Transpose", [v], where, perm=[0, 2, 1]), 3


def temporal_max_pool(ctx, a, t, x, where):
    v = ctx.node("Transpose", [x[0]], where, perm=[0, 2, 1])
    v = ctx.node("MaxPool", [v], where, kernel_shape=[a["kW"]], strides=[a["dW"]])
    return ctx.node("Transpose", [v], where, perm=[0, 2, 1]), 3


def identity(ctx, a, t, x, where):
    return ctx.node("Identity", [x[0]], where), x[1]


LAYERS = {
    "SpatialConvolution": conv, "SpatialDilatedConvolution": conv, "SpatialFullConvolution": conv_transpose,
    "Linear": linear,
    "ReLU": pointwise("Relu"), "Sigmoid": pointwise("Sigmoid"), "Tanh": pointwise("Tanh"),
    "LeakyReLU": pointwise("LeakyRelu", alpha="negval"), "ELU": pointwise("Elu", alpha="alpha"),
    "SoftMax": softmax("Softmax"), "LogSoftMax": softmax("LogSoftmax"),
    "SpatialMaxPooling": max_pool, "SpatialAveragePooling": avg_pool,
    "SpatialBatchNormalization": batch_norm, "BatchNormalization": batch_norm, "SpatialCrossMapLRN": lrn,
    "Reshape": reshape, "InferReshape": reshape, "Transpose": transpose, "JoinTable": join,
    "Squeeze": squeeze, "Unsqueeze": unsqueeze, "Select": select, "Narrow": narrow, "LookupTable": lookup,
    "Dropout": dropout, "Identity": identity,
    "CAddTable": table("Add"), "CMulTable": table("Mul"), "CAdd": cadd, "CMul": cmul,
    "AddConstant": add_constant, "MulConstant": mul_constant, "Power": power,
    "Padding": padding, "SpatialZeroPadding": zero_padding,
    "Abs": pointwise("Abs"), "Exp": pointwise("Exp"), "Log": pointwise("Log"), "Sqrt": pointwise("Sqrt"),
    "SoftSign": pointwise("Softsign"), "SoftPlus": softplus, "Square": square, "HardSigmoid": hard_sigmoid,
    "HardTanh": clip, "Clamp": clip, "ReLU6": clip, "PReLU": prelu, "LayerNormalization": layer_norm, "View": view,
    "TemporalConvolution": temporal_conv, "TemporalMaxPooling": temporal_max_pool,
    "Sum": reduction("ReduceSum", "dimension", "nInputDims"),
    "Mean": reduction("ReduceMean", "dimension", "nInputDims"),
    "Max": reduction("ReduceMax", "dim", "numInputDims"), "Min": reduction("ReduceMin", "dim", "numInputDims"),
}
