"""Ember model -> ONNX graph (opset 17).

The model's structure and tensors come from its model file (:func:`~ember.io.onnx._ember.read_model`):
each module's class, constructor arguments and children, tensors named by module path. The walk keeps,
for every value, its ONNX name and its rank (the number of dimensions: ONNX's axes must be explicit where
Ember counts "within a sample" or picks a softmax dimension by rank); the graph inputs' shapes give the
first ranks. Containers (Sequential, Graph, Concat, ConcatTable, Recurrent, BiRecurrent) are walked; every
other module has one small function in ``LAYERS`` (the one mapping table) that appends ONNX nodes and
returns its output (:mod:`ember.io.onnx._export_layers`; the recurrent containers and TimeDistributed in
:mod:`ember.io.onnx._export_rnn`). A module without an export is recorded and reported with all the others
in one :class:`OnnxExportError`.
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ember.io.onnx._export_layers import LAYERS, NotExportable, sub_tensors as _sub
from ember.io.onnx._export_rnn import recurrent, time_distributed
from ember.io.onnx.errors import OnnxExportError

OPSET = 17
IR_VERSION = 8


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


# ---------------------------------------------------------------------------------------------- walk


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
