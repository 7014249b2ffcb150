"""ONNX image and sequence operators -> Ember layers: Conv (2-d, grouped, dilated, asymmetric pads through a
SpatialZeroPadding; 1-d through TemporalConvolution), ConvTranspose, MaxPool / AveragePool / GlobalAveragePool,
BatchNormalization, LRN. ONNX and Ember agree on NCHW images and on conv weights ([out, in / groups, kH, kW];
transposed conv [in, out, kH, kW]); Ember's Temporal* layers read [batch, time, features] where ONNX's 1-d
ops read [batch, features, time], so transposes surround them."""
import numpy as np

from ember.io.onnx._context import Unsupported
from ember.io.onnx._ember import Layer


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
