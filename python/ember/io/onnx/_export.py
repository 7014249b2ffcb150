"""Ember model -> ONNX graph (opset 17).

The model's structure and tensors come from its model file (:func:`~ember.io.onnx._ember.read_model`):
each module's class, constructor arguments and children, tensors named by module path. The walk keeps,
for every value, its ONNX name and its rank (the number of dimensions: ONNX's axes must be explicit where
Ember counts "within a sample" or picks a softmax dimension by rank); the graph inputs' shapes give the
first ranks. Containers (Sequential, Graph, Concat, ConcatTable, Recurrent, BiRecurrent) are walked; every
other module has one small function in ``LAYERS`` (the one mapping table) that appends ONNX nodes and
returns its output. A module without an export is recorded and reported with all the others in one
:class:`OnnxExportError`.

Layout notes (the inverse of the importer's): Linear -> Gemm with transB=1; Recurrent and BiRecurrent read
[batch, time, features], so a Transpose feeds ONNX's layout-0 LSTM/GRU and a Transpose + Reshape follow;
Ember's LSTM gates i, f, g, o go to ONNX's i, o, f, c with the bias as Wb (Rb = 0); GRU r, z, n -> z, r, h
with linear_before_reset=1.
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ember.io.onnx.errors import OnnxExportError

OPSET = 17
IR_VERSION = 8
DOUBLE_MAX = float(np.finfo(np.float64).max)


class NotExportable(Exception):
    """A module (or a setting of it) with no ONNX equivalent; the message says which."""


class Context:
    """The ONNX graph being written: nodes, initializers and fresh value names."""

    def __init__(self):
        self.nodes = []
        self.initializers = []
        self.count = 0
        self.problems = []
        self.names = set()

    def fresh(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, hint, value, dtype=np.float32):
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(self, op, inputs, where, **attrs):
        """Appends node ``op`` reading ``inputs``; returns the name of its (first) output. The node is named
        after its module (``where``: the module's name or path), made unique when a module needs several."""
        out = self.fresh(where.replace(".", "_").replace("/", "_") + "_" + op)
        name = where if where not in self.names else f"{where}/{op}_{self.count}"
        self.names.add(name)
        self.nodes.append(helper.make_node(op, list(inputs), [out], name=name, **attrs))
        return out


# ---------------------------------------------------------------------------------------------- layers
# Each takes (ctx, args, tensors, x, where) with x = (name, rank), or a list of them for table modules, and
# returns (name, rank) of the output.


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


LSTM_ORDER = (0, 3, 1, 2)  # ONNX i, o, f, c <- Ember i, f, g, o
GRU_ORDER = (1, 0, 2)  # ONNX z, r, h <- Ember r, z, n


def _reorder(x, order):
    chunks = np.split(x, len(order), axis=0)
    return np.concatenate([chunks[k] for k in order], axis=0)


def _onnx_weights(kind, cell_tensors):
    """ONNX W, R, B of one direction ([gates*H, I], [gates*H, H], [2*gates*H]) from an Ember cell's tensors."""
    t = cell_tensors
    order = LSTM_ORDER if kind == "LSTM" else GRU_ORDER
    rb = _reorder(t["bias_hh"], order) if kind == "GRU" else np.zeros_like(t["bias"])
    bias = np.concatenate([_reorder(t["bias"], order), rb])
    return _reorder(t["weight_ih"], order), _reorder(t["weight_hh"], order), bias


def recurrent(ctx, spec, tensors, x, where):
    """Recurrent(cell) or BiRecurrent: [batch, time, in] -> Transpose -> ONNX LSTM/GRU (forward or bidirectional)
    -> Y [time, dirs, batch, hidden] -> back to [batch, time, hidden] (BiRecurrent: 2 hidden with "concat", the
    sum of the directions with "add")."""
    bi = spec["class"].endswith(".BiRecurrent")
    cells = [d["children"][0] for d in spec["children"]] if bi else [spec["children"][0]]
    cell_tensors = [_sub(tensors, f"{i}.0.") for i in range(2)] if bi else [_sub(tensors, "0.")]
    kind = cells[0]["class"].rsplit(".", 1)[1]
    if kind not in ("LSTM", "GRU") or isinstance(x, list):
        raise NotExportable(f"{kind} cell" if not isinstance(x, list) else "given initial states")
    h = cells[0]["args"]["hiddenSize"]
    w, r, b = (np.stack(ws) for ws in zip(*(_onnx_weights(kind, t) for t in cell_tensors)))
    attrs = {"hidden_size": h, "direction": "bidirectional" if bi else "forward"}
    if kind == "GRU":
        attrs["linear_before_reset"] = 1
    seq = ctx.node("Transpose", [x[0]], where, perm=[1, 0, 2])
    y = ctx.node(kind, [seq, ctx.const("W", w), ctx.const("R", r), ctx.const("B", b)], where, **attrs)
    if bi and spec["args"]["merge"] == "add":
        y = ctx.node("ReduceSum", [y, ctx.const("axes", [1], np.int64)], where, keepdims=0)
        return ctx.node("Transpose", [y], where, perm=[1, 0, 2]), 3
    y = ctx.node("Transpose", [y], where, perm=[2, 0, 1, 3])  # [batch, time, dirs, hidden]
    return ctx.node("Reshape", [y, ctx.const("shape", [0, 0, -1], np.int64)], where), 3


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


# ---------------------------------------------------------------------------------------------- walk


def _sub(tensors, prefix):
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def emit(ctx, spec, tensors, x, where):
    """ONNX nodes for module ``spec`` applied to ``x``; returns its output (name, rank) or a list of them."""
    kind = spec["class"].rsplit(".", 1)[1]
    where = spec.get("name", where)
    if kind == "Sequential":
        for i, child in enumerate(spec.get("children", [])):
            x = emit(ctx, child, _sub(tensors, f"{i}."), x, f"{where}.{i}")
        return x
    if kind == "Graph":
        return _graph(ctx, spec, tensors, x, where)
    if kind in ("Concat", "ConcatTable"):  # every child on the same input; joined along a dimension, or a list
        outs = [emit(ctx, c, _sub(tensors, f"{i}."), x, f"{where}.{i}") for i, c in enumerate(spec["children"])]
        if kind == "ConcatTable":
            return outs
        return ctx.node("Concat", [v for v, _ in outs], where, axis=spec["args"]["dimension"]), outs[0][1]
    if kind == "TimeDistributed":
        return _guard(ctx, kind, where, lambda: time_distributed(ctx, spec, tensors, x, where), x)
    if kind in ("Recurrent", "BiRecurrent"):
        return _guard(ctx, kind, where, lambda: recurrent(ctx, spec, tensors, x, where), x)
    if kind not in LAYERS:
        ctx.problems.append(f"{kind} (module '{where}'): no ONNX export")
        return _placeholder(x)
    own = {k: v for k, v in tensors.items() if "." not in k}
    return _guard(ctx, kind, where, lambda: LAYERS[kind](ctx, spec["args"], own, x, where), x)


def _guard(ctx, kind, where, f, x=None):
    try:
        return f()
    except NotExportable as e:
        ctx.problems.append(f"{kind} (module '{where}'): {e}")
        return _placeholder(x)


def _placeholder(x):
    """Stands for the output of a module that failed, so that the walk goes on and finds every problem."""
    first = x[0] if isinstance(x, list) else x
    return ("?", first[1] if first else 0)


def time_distributed(ctx, spec, tensors, x, where):
    """TimeDistributed(Linear) on [batch, time, in]: MatMul by the transposed weight (+ bias)."""
    inner = spec["children"][0]
    if not inner["class"].endswith(".Linear") or isinstance(x, list) or x[1] != 3:
        raise NotExportable(f"only TimeDistributed(Linear) on 3-d input ({inner['class'].rsplit('.', 1)[1]} inside)")
    t = _sub(tensors, "0.")
    v = ctx.node("MatMul", [x[0], ctx.const("W", t["weight"].T)], where)
    if "bias" in t:
        v = ctx.node("Add", [v, ctx.const("B", t["bias"])], where)
    return v, 3


def _graph(ctx, spec, tensors, x, where):
    a = spec["args"]
    inputs = x if isinstance(x, list) else [x]
    if len(inputs) != len(a["inputNodes"]):
        raise OnnxExportError(f"Graph '{where}' has {len(a['inputNodes'])} inputs, given {len(inputs)}")
    values = {}
    for i, child in enumerate(spec["children"]):
        if i in a["inputNodes"]:
            values[i] = inputs[a["inputNodes"].index(i)]
            continue
        preds = [values[p] for p in a["predecessors"][i]]
        arg = preds[0] if len(preds) == 1 else preds
        values[i] = emit(ctx, child, _sub(tensors, f"{i}."), arg, f"{where}.{i}")
    outs = [values[o] for o in a["outputNodes"]]
    return outs[0] if len(outs) == 1 else outs


_SPATIAL_INPUT = {"SpatialConvolution": "nInputPlane", "SpatialDilatedConvolution": "nInputPlane",
                  "SpatialFullConvolution": "nInputPlane", "SpatialBatchNormalization": "nOutput"}


def guess_input_shape(spec):
    """The input shape (batch and unknown sizes None) that the first layer reading the input implies, or None
    when it does not tell (an activation, pooling, ...)."""
    kind = spec["class"].rsplit(".", 1)[1]
    a, children = spec.get("args", {}), spec.get("children", [])
    if kind in ("Sequential", "Concat", "ConcatTable") and children:
        return guess_input_shape(children[0])
    if kind == "Recurrent" and children:
        return (None, None, children[0]["args"]["inputSize"])
    if kind == "BiRecurrent" and children:
        return guess_input_shape(children[0])
    if kind == "Linear":
        return (None, a["inputSize"])
    if kind == "BatchNormalization":
        return (None, a["nOutput"])
    if kind in _SPATIAL_INPUT:
        return (None, a[_SPATIAL_INPUT[kind]], None, None)
    if kind == "LookupTable":
        return (None, None)
    if kind == "TemporalConvolution":
        return (None, None, a["inputFrameSize"])
    if kind == "TimeDistributed" and children and children[0]["class"].endswith(".Linear"):
        return (None, None, children[0]["args"]["inputSize"])
    if kind == "Reshape" and a.get("batchMode", True):
        return (None, int(np.prod(a["size"])))
    return None


def guess_input_shapes(structure):
    """One shape per model input from the first layer reading it (see :func:`guess_input_shape`), or None."""
    if structure["class"].endswith(".Graph"):
        a = structure["args"]
        shapes = []
        for k in a["inputNodes"]:
            readers = [i for i, p in enumerate(a["predecessors"]) if k in p]
            shapes.append(guess_input_shape(structure["children"][readers[0]]) if len(readers) >= 1 else None)
        return None if any(s is None for s in shapes) else shapes
    shape = guess_input_shape(structure)
    return None if shape is None else [shape]


def input_shapes(input_shape, structure):
    """``input_shape`` as a list of shapes (one per model input), checked; guessed when None."""
    if input_shape is None:
        shapes = guess_input_shapes(structure)
        if shapes is None:
            raise ValueError("input_shape is required for this model (its first layer does not tell the input's "
                             "rank): the shape of one input batch, e.g. (None, 3, 32, 32) (the batch dimension, "
                             "first, is declared dynamic), or a list of shapes for a multi-input model")
        return shapes
    shapes = list(input_shape)
    if shapes and all(isinstance(s, (list, tuple)) for s in shapes):
        shapes = [tuple(s) for s in shapes]
    else:
        shapes = [tuple(shapes)]
    for s in shapes:
        if len(s) < 1 or any(d is not None and (isinstance(d, bool) or not isinstance(d, int) or d <= 0)
                             for d in s[1:]):
            raise ValueError(f"input_shape: expected (batch, *sizes) with positive int sizes (or None), got {s!r}")
    return shapes


def convert(structure, tensors, input_shapes):
    """``onnx.ModelProto`` of an Ember model (its file structure and tensors) for inputs of ``input_shapes``
    (each with the batch dimension first; it is declared dynamic, and so is any size given as None)."""
    ctx = Context()
    inputs = [helper.make_tensor_value_info(f"input_{i}" if len(input_shapes) > 1 else "input", TensorProto.FLOAT,
                                            ["batch"] + [None if d is None else int(d) for d in s[1:]])
              for i, s in enumerate(input_shapes)]
    xs = [(vi.name, len(s)) for vi, s in zip(inputs, input_shapes)]
    out = emit(ctx, structure, tensors, xs[0] if len(xs) == 1 else xs, "model")
    if ctx.problems:
        raise OnnxExportError(f"{len(ctx.problems)} module(s) cannot be exported to ONNX:\n  "
                              + "\n  ".join(ctx.problems))
    outs = out if isinstance(out, list) else [out]
    names = ["output"] if len(outs) == 1 else [f"output_{i}" for i in range(len(outs))]
    for (v, _), name in zip(outs, names):
        ctx.nodes.append(helper.make_node("Identity", [v], [name], name=f"{name}/Identity"))
    outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [None] * rank) for n, (_, rank) in zip(names, outs)]
    graph = helper.make_graph(ctx.nodes, "ember", inputs, outputs, ctx.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="ember")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model
