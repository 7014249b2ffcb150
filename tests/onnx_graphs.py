"""ONNX graphs built with the ``onnx`` package's helpers for tests/test_onnx.py (random weights, no downloads):
LeNet-5, ResNet-20, an LSTM classifier, a GRU classifier, an embedding bag and a graph with branches."""
import numpy as np
from onnx import TensorProto, helper, numpy_helper

OPSET = 13


class GraphBuilder:
    """Nodes and initializers of one graph, with fresh names."""

    def __init__(self, rng):
        self.rng = rng
        self.nodes, self.inits, self.n = [], [], 0

    def name(self, hint):
        self.n += 1
        return f"{hint}{self.n}"

    def const(self, value, hint="c", dtype=np.float32):
        name = self.name(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def weight(self, *shape, scale=None):
        scale = scale if scale is not None else 1.0 / np.sqrt(np.prod(shape[1:]) or 1)
        return self.const(self.rng.uniform(-scale, scale, shape), "w")

    def op(self, op_type, inputs, n_out=1, **attrs):
        outs = [self.name(op_type.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=self.name(op_type + "_"), **attrs))
        return outs[0] if n_out == 1 else outs

    def conv(self, x, c_in, c_out, k, stride=1, pad=None, bias=True, **attrs):
        pad = k // 2 if pad is None else pad
        pads = list(pad) if isinstance(pad, (list, tuple)) else [pad] * 4
        ins = [x, self.weight(c_out, c_in // attrs.get("group", 1), k, k)]
        ins += [self.weight(c_out, scale=0.1)] if bias else []
        return self.op("Conv", ins, kernel_shape=[k, k], strides=[stride, stride], pads=pads, **attrs)

    def bn(self, x, c):
        r = self.rng
        stats = [self.const(r.uniform(lo, hi, c)) for lo, hi in ((0.5, 1.5), (-0.2, 0.2), (-0.3, 0.3), (0.5, 2.0))]
        return self.op("BatchNormalization", [x] + stats, epsilon=1e-5, momentum=0.9)

    def gemm(self, x, n_in, n_out, trans_b=True):
        w = self.weight(n_out, n_in) if trans_b else self.const(self.rng.uniform(-0.3, 0.3, (n_in, n_out)), "w")
        return self.op("Gemm", [x, w, self.weight(n_out, scale=0.1)], transB=int(trans_b))

    def model(self, inputs, outputs, opset=OPSET):
        """inputs: list of (name, shape, elem_type); outputs: list of (name, rank)."""
        ins = [helper.make_tensor_value_info(n, t, s) for n, s, t in inputs]
        outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [None] * r) for n, r in outputs]
        g = helper.make_graph(self.nodes, "test", ins, outs, self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 8
        return m


F = TensorProto.FLOAT


def lenet5(rng):
    """LeNet-5 as Ember's: (N, 784) -> Reshape -> conv 5x5 (6) -> tanh -> max pool -> conv (12) -> tanh -> pool ->
    Flatten -> Gemm 192->100 -> tanh -> Gemm (B not transposed) 100->10 -> LogSoftmax."""
    b = GraphBuilder(rng)
    h = b.op("Reshape", ["x", b.const([-1, 1, 28, 28], "shape", np.int64)])
    for c_in, c_out in ((1, 6), (6, 12)):
        h = b.op("MaxPool", [b.op("Tanh", [b.conv(h, c_in, c_out, 5, pad=0)])], kernel_shape=[2, 2], strides=[2, 2])
    h = b.op("Tanh", [b.gemm(b.op("Flatten", [h], axis=1), 192, 100)])
    y = b.op("LogSoftmax", [b.gemm(h, 100, 10, trans_b=False)], axis=1)
    return b.model([("x", ["N", 784], F)], [(y, 2)])


def resnet20(rng, classes=10):
    """ResNet-20 (3 stages x 3 basic blocks, 16/32/64 maps) with option-B shortcuts (1x1 conv + BN) where the
    size changes, convs without bias, batch norm with non-trivial running statistics."""
    b = GraphBuilder(rng)
    h = b.op("Relu", [b.bn(b.conv("x", 3, 16, 3, bias=False), 16)])
    planes = 16
    for stage, width in enumerate((16, 32, 64)):
        for block in range(3):
            stride = 2 if stage > 0 and block == 0 else 1
            a = b.op("Relu", [b.bn(b.conv(h, planes, width, 3, stride, bias=False), width)])
            a = b.bn(b.conv(a, width, width, 3, bias=False), width)
            same = stride == 1 and planes == width
            short = h if same else b.bn(b.conv(h, planes, width, 1, stride, 0, bias=False), width)
            h = b.op("Relu", [b.op("Add", [a, short])])
            planes = width
    h = b.op("Flatten", [b.op("GlobalAveragePool", [h])])
    y = b.op("LogSoftmax", [b.gemm(h, 64, classes)], axis=-1)
    return b.model([("x", ["N", 3, 32, 32], F)], [(y, 2)])


def _rnn(b, kind, x, n_in, hidden, gates, dirs=1, states=(), **attrs):
    w = b.weight(dirs, gates * hidden, n_in, scale=0.4)
    r = b.weight(dirs, gates * hidden, hidden, scale=0.4)
    bias = b.weight(dirs, 2 * gates * hidden, scale=0.3)
    inputs = [x, w, r, bias] + (["", *states] if states else [])
    outs = b.op(kind, inputs, n_out=3 if kind == "LSTM" else 2, hidden_size=hidden, **attrs)
    return outs[:2]


def _torch_zero_states(b, seq, dirs, hidden, n):
    """PyTorch's export of zero initial states: ConstantOfShape([dirs, batch, hidden]), the batch read with
    Shape -> Gather from the time-major sequence."""
    batch = b.op("Unsqueeze", [b.op("Gather", [b.op("Shape", [seq]), b.const(1, "i", np.int64)], axis=0),
                               b.const([0], "axes", np.int64)])
    shape = b.op("Concat", [b.const([dirs], "d", np.int64), batch, b.const([hidden], "h", np.int64)], axis=0)
    return [b.op("ConstantOfShape", [shape]) for _ in range(n)]


def lstm_classifier(rng, kind="LSTM", embed=8, hidden=12, classes=5, bidirectional=False):
    """(N, T, embed) -> Transpose to (T, N, embed) -> LSTM (or GRU with linear_before_reset=1; both directions
    with ``bidirectional``, then as PyTorch exports it: zero initial states built from the batch size, an
    unused Y_c) -> Y_h (dirs, N, H) -> Transpose + Reshape to (N, dirs * H) -> Gemm -> Gemm -> LogSoftmax;
    the full sequence Y (T, dirs, N, H) is a second output."""
    b = GraphBuilder(rng)
    seq = b.op("Transpose", ["x"], perm=[1, 0, 2])
    attrs = {"linear_before_reset": 1} if kind == "GRU" else {}
    dirs = 2 if bidirectional else 1
    states = []
    if bidirectional:
        attrs["direction"] = "bidirectional"
        states = _torch_zero_states(b, seq, dirs, hidden, 2 if kind == "LSTM" else 1)
    y, y_h = _rnn(b, kind, seq, embed, hidden, 4 if kind == "LSTM" else 3, dirs, states, **attrs)
    last = b.op("Reshape", [b.op("Transpose", [y_h], perm=[1, 0, 2]), b.const([0, -1], "shape", np.int64)])
    out = b.op("LogSoftmax", [b.gemm(b.gemm(last, dirs * hidden, 10), 10, classes)], axis=1)
    return b.model([("x", ["N", 7, embed], F)], [(out, 2), (y, 4)])


def embedding_bag(rng, vocab=20, dim=6):
    """Token ids (N, T) -> Gather from a table (an embedding) -> the mean over time (Mul by 1/T after Sum of the
    time slices, built from Gather of single indices) -> Gemm."""
    b = GraphBuilder(rng)
    emb = b.op("Gather", [b.const(rng.normal(0, 1, (vocab, dim)), "table"), "ids"], axis=0)
    steps = [b.op("Gather", [emb, b.const(t, "t", np.int64)], axis=1) for t in range(3)]
    mean = b.op("Div", [b.op("Sum", steps), b.const(3.0)])
    return b.model([("ids", ["N", 3], TensorProto.INT64)], [(b.gemm(mean, dim, 4), 2)])


def branches(rng):
    """A graph with branches and joins over most of the element-wise and shape operators: an asymmetric-pad
    conv, an inception-like split (grouped 1x1 conv | max pool + conv with dilation | average pool), Concat, a
    broadcast Add / Mul / Sub / Div with constants, LRN, a residual Sub of two branches, LeakyRelu, Elu,
    Sigmoid, Dropout, Identity, Transpose / Unsqueeze / Squeeze, a ConvTranspose, GlobalAveragePool, reductions,
    MatMul,
    and Softmax."""
    b = GraphBuilder(rng)
    h = b.op("Relu", [b.conv("x", 3, 8, 3, pad=[0, 0, 1, 1])])  # 12x12 -> 11x11 with pads (top, left, bottom, right)
    p = b.conv(h, 8, 6, 1, pad=0, group=2)  # grouped
    q = b.conv(b.op("MaxPool", [h], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1]), 8, 6, 3, pad=2,
               dilations=[2, 2])
    r = b.op("AveragePool", [h], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1], count_include_pad=0)
    h = b.op("Concat", [p, q, r], axis=1)  # 20 channels
    h = b.op("Add", [h, b.const(rng.normal(0, 0.5, (1, 20, 1, 1)))])
    h = b.op("Mul", [b.const(rng.uniform(0.5, 1.5, (20, 1, 1))), h])
    h = b.op("LRN", [b.op("LeakyRelu", [h], alpha=0.1)], size=5, alpha=1e-3, beta=0.75, bias=1.5)
    s = b.op("Sub", [b.op("Elu", [h], alpha=0.7), b.op("Sigmoid", [h])])
    s = b.op("Div", [s, b.const(2.0)])
    s = b.op("Sub", [b.const(1.0), s])
    s = b.op("Transpose", [b.op("Identity", [b.op("Dropout", [s])])], perm=[0, 2, 3, 1])  # NHWC
    s = b.op("Transpose", [s], perm=[0, 3, 1, 2])
    u = b.op("ConvTranspose", [s, b.weight(20, 4, 3, 3, scale=0.2), b.weight(4, scale=0.1)], kernel_shape=[3, 3],
             strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])
    g = b.op("Squeeze", [b.op("Squeeze", [b.op("GlobalAveragePool", [u]), b.const([3], "axes", np.int64)]),
                         b.const([2], "axes", np.int64)])
    g = b.op("Unsqueeze", [b.op("Unsqueeze", [g, b.const([1], "axes", np.int64)]), b.const([-1], "axes", np.int64)])
    g = b.op("Reshape", [g, b.const([0, 4], "shape", np.int64)])
    m = b.op("ReduceMean", [b.op("ReduceMax", [u], axes=[-1], keepdims=0)], axes=[2], keepdims=0)  # (N, 4)
    g = b.op("Concat", [b.op("Add", [g, m]), b.op("ReduceSum", [m, b.const([1], "axes", np.int64)], keepdims=1)],
             axis=1)  # (N, 5)
    y = b.op("Softmax", [b.op("MatMul", [g, b.const(rng.normal(0, 1, (5, 3)), "m")])], axis=-1)
    return b.model([("x", ["N", 3, 12, 12], F)], [(y, 2)])
