"""ONNX shape operators -> Ember layers: Flatten, Shape (of the batch), Reshape, Transpose, Concat, Squeeze,
Unsqueeze, Gather, Slice, Pad, Constant. Ember's shape layers count dimensions over the whole input (batch
included, 0-based), as ONNX's axes do; Reshape keeps the batch with a leading 0, -1 or the batch marker."""
import numpy as np
from onnx import numpy_helper

from ember.io.onnx._context import BATCH, DOUBLE_MAX, Unsupported
from ember.io.onnx._ember import Layer


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
    dims = [BATCH if ctx.is_batch_dim(node.input[0], i) else d for i, d in enumerate(shape)]
    dims = dims[int(a.get("start", 0)):a.get("end", len(dims))]
    if any(d is None for d in dims):
        raise Unsupported(f"Shape: sizes other than the batch are dynamic ({ctx.shapes.get(node.input[0])})")
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
