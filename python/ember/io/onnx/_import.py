"""ONNX graph -> Ember model.

The nodes of an ONNX graph come in topological order. Each value is either a constant (an initializer, a
``Constant`` node's output, or the output of any node whose inputs are all constants, computed by the onnx
package's reference evaluator) held as a numpy array, or the output of an Ember node of a
:class:`~ember.io.onnx._ember.Builder`. One small function per operator family (``OPS``, the one mapping
table) turns a node into Ember layers wired to the Ember nodes of its inputs; they take the node's name.
A node that cannot be converted is recorded and its outputs marked failed (later nodes that read them are
skipped), so that one error lists every unsupported operator with its node name and index.

The families: image and 1-d ops in :mod:`ember.io.onnx._import_spatial`, shape ops in
:mod:`ember.io.onnx._import_shape`, LSTM / GRU in :mod:`ember.io.onnx._import_rnn`, the rest (Gemm, MatMul,
element-wise arithmetic and activations, softmax, reductions) here. Layout notes: Gemm's B is [in, out]
unless transB (Linear's weight is [out, in]); Ember's SoftMax works over dimension 1 of 2-d and 4-d input only;
Add / Mul of two computed values need equal shapes (CAddTable / CMulTable), broadcasting works against
constants (CAdd / CMul / AddConstant / MulConstant).
"""
import numpy as np
import onnx
from onnx import numpy_helper
from onnx.reference import ReferenceEvaluator

from ember.io.onnx._context import BATCH, DOUBLE_MAX, FAILED, Context, Unsupported, attributes
from ember.io.onnx._ember import Layer
from ember.io.onnx._import_rnn import gru, lstm
from ember.io.onnx._import_shape import (concat, constant, flatten, gather, pad, reshape, shape_of, slice_, squeeze,
                                         transpose, unsqueeze)
from ember.io.onnx._import_spatial import batch_norm, conv, conv_transpose, lrn, pool
from ember.io.onnx.errors import OnnxImportError, UnsupportedOperatorError

MIN_OPSET = 13
MOVES_VALUES = {"Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Slice", "Identity", "Reshape", "Flatten"}


# ---------------------------------------------------------------------------------------------- operators


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


def dropout(ctx, node, a):
    ratio = ctx.const(node, 1, "Dropout ratio")
    p = float(a.get("ratio", 0.5) if ratio is None else ratio)
    return ctx.chain([Layer("Dropout", {"initP": p, "inplace": False, "scale": True})], node.input[0])


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
    """Value name -> shape from ONNX shape inference and the declared values: a size, the name of a symbolic
    size ("N"), or None where unknown."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # noqa: BLE001 - shape inference is a hint; without it shapes come from the declared values
        inferred = model
    g = inferred.graph
    shapes = {}
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        t = vi.type.tensor_type
        if t.HasField("shape"):
            shapes[vi.name] = tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or None)
                                    for d in t.shape.dim)
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
    if node.op_type == "ConstantOfShape" and (ctx.values[inputs[0]] == BATCH).any():
        # a filled tensor of the batch's size (PyTorch's zero initial LSTM states): the same value with a batch
        # of 1, which broadcasts like the original wherever Ember accepts it
        shape = [1 if d == BATCH else int(d) for d in ctx.values[inputs[0]]]
        value = attributes(node).get("value")
        fill = numpy_helper.to_array(value).reshape(-1)[0] if value is not None else np.float32(0)
        ctx.values[node.output[0]] = np.full(shape, fill)
        return True
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
