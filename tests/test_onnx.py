"""ONNX import and export (ember.io.onnx) against onnxruntime: LeNet-5, ResNet-20, the LSTM classifier (and a
GRU one), an embedding model and a graph with branches; import (ONNX graph -> Ember), export (Ember model ->
ONNX) and the round trip agree to 1e-4; unsupported operators are all named in one error; an imported
model fine-tunes, saves in Ember's format and loads in Scala."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest

import onnx_graphs
from ember.io import onnx as ember_onnx
from ember.io.onnx import OnnxExportError, UnsupportedOperatorError

ATOL = 1e-4


def run_ort(model, *inputs):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return session.run(None, dict(zip(names, inputs)))


def close(a, b, atol=ATOL):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, atol=atol, rtol=ATOL)


def check_import(proto, x, ember_x=None, outputs=1):
    """Ember (imported, evaluation mode) and onnxruntime agree on ``x``; returns the Ember model."""
    onnx.checker.check_model(proto)
    model = ember_onnx.load(proto.SerializeToString()).evaluate()
    expected = run_ort(proto, x)
    got = model.forward(x if ember_x is None else ember_x)
    got = got if isinstance(got, list) else [got]
    for e, g in zip(expected[:outputs], got):
        close(g, e)
    return model


def check_export_and_round_trip(model, x, input_shape, ember_x=None):
    """onnxruntime on the exported graph and Ember on the re-imported one agree with ``model`` on ``x``."""
    model.evaluate()
    expected = model.forward(x if ember_x is None else ember_x)
    proto = ember_onnx.to_onnx(model, input_shape)
    close(run_ort(proto, x)[0], expected)
    again = ember_onnx.load(proto.SerializeToString()).evaluate()
    close(again.forward(x if ember_x is None else ember_x), expected)
    return proto


# ------------------------------------------------------------------------------------------- LeNet-5


def test_lenet5_import_export_round_trip(sc, rng, tmp_path):
    from ember.models import LeNet5

    x = rng.rand(5, 784).astype(np.float32)
    imported = check_import(onnx_graphs.lenet5(rng), x)
    assert imported.n_parameters() == 22278
    model = LeNet5(10)
    proto = check_export_and_round_trip(model, x, (None, 784))
    assert [n.op_type for n in proto.graph.node if n.op_type in ("Conv", "Gemm", "MaxPool")] == \
        ["Conv", "MaxPool", "Conv", "MaxPool", "Gemm", "Gemm"]
    path = tmp_path / "lenet5.onnx"
    ember_onnx.save(model, path)  # input (batch, 784) from the first layer; a path works as well as bytes
    assert [d.dim_value for d in onnx.load(str(path)).graph.input[0].type.tensor_type.shape.dim] == [0, 784]
    close(ember_onnx.load(str(path)).evaluate().forward(x), model.forward(x))


# ------------------------------------------------------------------------------------------- ResNet-20


def test_resnet20_import(sc, rng):
    x = rng.rand(2, 3, 32, 32).astype(np.float32)
    model = check_import(onnx_graphs.resnet20(rng), x)
    assert type(model).__name__ == "Graph"


def test_resnet20_export_and_round_trip(sc, rng):
    from ember.models import ResNet

    model = ResNet(10, depth=20)
    x = rng.rand(4, 3, 32, 32).astype(np.float32)
    model.training().forward(x * 2 - 0.5)  # running statistics away from (0, 1)
    proto = check_export_and_round_trip(model, x, (None, 3, 32, 32))
    ops = {n.op_type for n in proto.graph.node}
    assert {"Conv", "BatchNormalization", "Relu", "Add", "Pad", "AveragePool", "Gemm", "LogSoftmax"} <= ops


# ------------------------------------------------------------------------------------------- recurrent


@pytest.mark.parametrize("kind,bidirectional", [("LSTM", False), ("GRU", False), ("LSTM", True)])
def test_recurrent_classifier_import(sc, rng, kind, bidirectional):
    proto = onnx_graphs.lstm_classifier(rng, kind, bidirectional=bidirectional)
    x = rng.normal(0, 1, (3, 7, 8)).astype(np.float32)
    model = ember_onnx.load(proto).evaluate()
    expected = run_ort(proto, x)
    got = model.forward(x)
    close(got[0], expected[0])  # class log-probabilities
    close(got[1], expected[1])  # the full sequence Y [T, 1, N, H]


def test_lstm_classifier_export_and_round_trip(sc, rng):
    from ember.models import LstmClassifier

    model = LstmClassifier(class_num=5, embedding_dim=8, hidden_size=12)
    x = rng.normal(0, 1, (3, 7, 8)).astype(np.float32)
    proto = check_export_and_round_trip(model, x, None)  # (batch, time, 8) from the LSTM
    assert "LSTM" in {n.op_type for n in proto.graph.node}


@pytest.mark.parametrize("cell,merge", [("GRU", "concat"), ("LSTM", "add")])
def test_bidirectional_export_and_round_trip(sc, rng, cell, merge):
    from ember.nn import layer

    model = layer.Sequential().add(layer.BiRecurrent(merge).add(getattr(layer, cell)(4, 5))).add(layer.Tanh())
    check_export_and_round_trip(model, rng.normal(0, 1, (3, 6, 4)).astype(np.float32), None)


def test_embedding_import_export(sc, rng):
    from ember.nn.layer import GRU, LookupTable, Recurrent, Select, Sequential

    proto = onnx_graphs.embedding_bag(rng)
    ids = rng.randint(0, 20, (4, 3))
    check_import(proto, ids.astype(np.int64), ember_x=ids.astype(np.float32))
    model = Sequential().add(LookupTable(20, 6)).add(Recurrent().add(GRU(6, 5))).add(Select(1, -1))
    check_export_and_round_trip(model, ids.astype(np.float32), (None, 3))


# ------------------------------------------------------------------------------------------- branches


def test_graph_with_branches_import_export_round_trip(sc, rng):
    x = rng.normal(0, 1, (2, 3, 12, 12)).astype(np.float32)
    model = check_import(onnx_graphs.branches(rng), x)
    assert type(model).__name__ == "Graph"
    check_export_and_round_trip(model, x, (None, 3, 12, 12))


def test_two_input_graph_export(sc, rng):
    from ember.nn.graph import Input
    from ember.nn.layer import CAddTable, JoinTable, Linear, Model, ReLU, Tanh

    a, b = Input(), Input()
    h = JoinTable(0, 1)([Tanh()(Linear(4, 3)(a)), ReLU()(Linear(5, 3)(b))])
    model = Model([a, b], [CAddTable()([h, Linear(6, 6)(h)]), h])
    xs = [rng.normal(0, 1, (3, 4)).astype(np.float32), rng.normal(0, 1, (3, 5)).astype(np.float32)]
    model.evaluate()
    expected = model.forward(xs)
    proto = ember_onnx.to_onnx(model, [(None, 4), (None, 5)])
    for e, g in zip(expected, run_ort(proto, *xs)):
        close(g, e)
    for e, g in zip(expected, ember_onnx.load(proto).evaluate().forward(xs)):
        close(g, e)


def test_concat_containers_export(sc, rng):
    from ember.nn.layer import (CAddTable, Concat, ConcatTable, ReLU, Sequential, SpatialConvolution,
                                SpatialMaxPooling)

    branches = Concat(1).add(SpatialConvolution(3, 4, 1, 1)).add(
        Sequential().add(SpatialMaxPooling(3, 3, 1, 1, 1, 1)).add(SpatialConvolution(3, 2, 3, 3, 1, 1, 1, 1)))
    model = Sequential().add(branches).add(ReLU()).add(
        ConcatTable().add(SpatialConvolution(6, 6, 3, 3, 1, 1, 1, 1)).add(SpatialConvolution(6, 6, 1, 1)))
    model.add(CAddTable())
    check_export_and_round_trip(model, rng.normal(0, 1, (2, 3, 8, 8)).astype(np.float32), None)


def test_sequence_and_pointwise_layers_import(sc, rng):
    """1-d conv / max pool, MatMul of 3-d input, LayerNormalization, PRelu, Clip and the element-wise functions."""
    b = onnx_graphs.GraphBuilder(rng)
    h = b.op("Conv", ["x", b.weight(5, 6, 3), b.weight(5, scale=0.1)], kernel_shape=[3])  # (N, 5, 8)
    h = b.op("MaxPool", [b.op("Softplus", [h])], kernel_shape=[2], strides=[2])  # (N, 5, 4)
    h = b.op("MatMul", [b.op("Transpose", [h], perm=[0, 2, 1]), b.const(rng.normal(0, 1, (5, 3)))])  # (N, 4, 3)
    h = b.op("LayerNormalization", [h, b.const(rng.uniform(0.5, 1.5, 3)), b.const(rng.normal(0, 0.1, 3))],
             axis=-1, epsilon=1e-5)
    h = b.op("Clip", [b.op("PRelu", [h, b.const([0.3])]), b.const(-0.8), b.const(1.2)])
    e = b.op("Log", [b.op("Exp", [b.op("Abs", [h])])])
    r = b.op("Reciprocal", [b.op("Add", [b.op("Sqrt", [b.op("Abs", [h])]), b.const(1.0)])])
    q = b.op("Neg", [b.op("HardSigmoid", [b.op("Softsign", [h])], alpha=0.2, beta=0.5)])
    y = b.op("Sum", [e, r, q])
    y = b.op("Slice", [y, b.const([1, -2], "s", np.int64), b.const([2 ** 62, -1], "e", np.int64),
                       b.const([-1, 1], "a", np.int64)])  # (N, 1..3, 1..3)
    proto = b.model([("x", ["N", 6, 10], onnx_graphs.F)], [(y, 3)], opset=17)  # LayerNormalization: 17
    check_import(proto, rng.normal(0, 1, (2, 6, 10)).astype(np.float32))


def test_sequence_and_pointwise_layers_export_and_round_trip(sc, rng):
    from ember.nn import layer as L

    model = L.Sequential().add(L.TemporalConvolution(6, 5, 3)).add(L.ReLU6()).add(L.TemporalMaxPooling(2))
    model.add(L.TimeDistributed(L.Linear(5, 4))).add(L.LayerNormalization(4)).add(L.PReLU())
    model.add(L.HardTanh(-0.9, 0.9)).add(L.SoftPlus(2.0)).add(L.SoftSign()).add(L.Square()).add(L.HardSigmoid())
    model.add(L.Exp()).add(L.Log()).add(L.Abs()).add(L.Sqrt()).add(L.Clamp(0.1, 0.9)).add(L.View([16], 2))
    model.add(L.Narrow(1, 2, -2)).add(L.Narrow(1, 1, 9))  # Slice [2, -1) then [1, 10)
    x = rng.normal(0, 2, (2, 10, 6)).astype(np.float32)
    check_export_and_round_trip(model, x, None)


# ------------------------------------------------------------------------------------------- errors


def test_unsupported_operators_are_all_named(sc, rng):
    b = onnx_graphs.GraphBuilder(rng)
    h = b.op("Relu", ["x"])
    h = b.op("Resize", [h, "", b.const([1, 1, 2, 2])], mode="nearest")
    h = b.op("Relu", [h])  # after a failed node: not reported again
    h = b.op("Softmax", [h], axis=2)  # supported operator, unsupported setting
    y = b.op("HardSwish", [b.op("Tanh", ["x"])])
    proto = b.model([("x", ["N", 3, 4, 4], onnx_graphs.F)], [(h, 4), (y, 4)])
    with pytest.raises(UnsupportedOperatorError) as e:
        ember_onnx.load(proto)
    message = str(e.value)
    assert "Resize (node 'Resize_" in message and "index 1" in message
    assert "HardSwish (node 'HardSwish_" in message and "index 5" in message
    assert [p[0] for p in e.value.problems] == ["Resize", "HardSwish"]
    assert isinstance(e.value, ValueError)


def test_constant_subgraphs_fold_and_layers_keep_node_names(sc, rng):
    """Nodes computing from constants only (a shape built with Shape / Concat / Cast, a weight scaled by Mul)
    fold into constants; the layers are named after their ONNX nodes."""
    b = onnx_graphs.GraphBuilder(rng)
    w = b.op("Mul", [b.const(rng.normal(0, 1, (6, 4)), "w"), b.const(0.5)])
    batch_first = b.op("Concat", [b.const([-1], "n", np.int64), b.op("Shape", [b.const(np.zeros((3, 2)), "z")])],
                       axis=0)
    h = b.op("Reshape", ["x", b.op("Cast", [batch_first], to=onnx.TensorProto.INT64)])  # (N, 6) -> (N, 3, 2)
    h = b.op("Flatten", [b.op("Relu", [h])])
    y = b.op("Gemm", [h, w, b.const(np.zeros(4), "b")])
    proto = b.model([("x", ["N", 6], onnx_graphs.F)], [(y, 2)])
    model = check_import(proto, rng.normal(0, 1, (5, 6)).astype(np.float32))
    names = [m.name() for m in model.modules]
    assert names == [n.name for n in proto.graph.node if n.op_type in ("Reshape", "Relu", "Flatten", "Gemm")]


def test_pytorch_style_flatten_and_fixed_batch(sc, rng):
    """x.view(x.size(0), -1) as PyTorch exports it (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) keeps the
    dynamic batch; a graph exported with a fixed batch of 1 (Reshape to [1, 18]) serves any batch in Ember."""
    def graph(batch, dynamic):
        b = onnx_graphs.GraphBuilder(rng)
        h = b.op("Relu", ["x"])
        if dynamic:
            n = b.op("Unsqueeze", [b.op("Gather", [b.op("Shape", [h]), b.const(0, "i", np.int64)], axis=0),
                                   b.const([0], "axes", np.int64)])
            shape = b.op("Concat", [n, b.const([-1], "rest", np.int64)], axis=0)
        else:
            shape = b.const([1, 18], "shape", np.int64)
        y = b.gemm(b.op("Reshape", [h, shape]), 18, 4)
        return b.model([("x", [batch, 2, 3, 3], onnx_graphs.F)], [(y, 2)])

    x = rng.normal(0, 1, (5, 2, 3, 3)).astype(np.float32)
    check_import(graph("N", True), x)
    fixed = graph(1, False)
    model = check_import(fixed, x[:1])
    close(model.forward(x), np.concatenate([run_ort(fixed, x[i:i + 1])[0] for i in range(5)]))
    b = onnx_graphs.GraphBuilder(rng)
    n = b.op("Gather", [b.op("Shape", ["x"]), b.const(0, "i", np.int64)], axis=0)
    n = b.op("Mul", [n, b.const(2, "two", np.int64)])
    y = b.op("Reshape", ["x", b.op("Concat", [b.op("Unsqueeze", [n, b.const([0], "a", np.int64)]),
                                              b.const([-1], "r", np.int64)], axis=0)])
    with pytest.raises(UnsupportedOperatorError, match=r"Mul \(node 'Mul_\d+', index 2\): Mul computes with the "
                                                      r"dynamic batch size"):
        ember_onnx.load(b.model([("x", ["N", 4], onnx_graphs.F)], [(y, 2)]))


def test_unsupported_settings_and_old_opsets(sc, rng):
    b = onnx_graphs.GraphBuilder(rng)
    y = b.op("Softmax", [b.op("Relu", ["x"])], axis=1)
    message = r"Softmax \(node 'Softmax_\d+', index 1\): Softmax: axis 1 of 3-d"
    with pytest.raises(UnsupportedOperatorError, match=message):
        ember_onnx.load(b.model([("x", ["N", 3, 4], onnx_graphs.F)], [(y, 3)]))
    b = onnx_graphs.GraphBuilder(rng)
    y = b.op("Add", [b.op("Relu", ["x"]), b.op("ReduceSum", ["x", b.const([2], "axes", np.int64)], keepdims=1)])
    with pytest.raises(UnsupportedOperatorError, match=r"Add of two computed values of shapes \(None, 3, 4\) and "
                                                      r"\(None, 3, 1\)"):
        ember_onnx.load(b.model([("x", ["N", 3, 4], onnx_graphs.F)], [(y, 3)]))
    with pytest.raises(ember_onnx.OnnxImportError, match="opset 11 is not supported"):
        ember_onnx.load(b.model([("x", ["N", 3, 4], onnx_graphs.F)], [(y, 3)], opset=11))
    with pytest.raises(FileNotFoundError):
        ember_onnx.load("/nonexistent/model.onnx")
    with pytest.raises(ember_onnx.OnnxImportError, match="is not an ONNX model|holds no ONNX graph"):
        ember_onnx.load(b"\x00 certainly not protobuf \xff\xff")
    with pytest.raises(TypeError, match="expected a path, bytes or onnx.ModelProto"):
        ember_onnx.load(42)


def test_export_names_every_module_without_onnx_equivalent(sc):
    from ember.nn.layer import Linear, Masking, ReLU, Sequential, Threshold

    model = Sequential().add(Linear(3, 3)).add(Threshold()).add(Linear(3, 3)).add(Masking(0.0))
    with pytest.raises(OnnxExportError) as e:
        ember_onnx.to_onnx(model, (None, 3))
    assert "Threshold (module 'model.1')" in str(e.value) and "Masking (module 'model.3')" in str(e.value)
    with pytest.raises(ValueError, match="input_shape is required"):
        ember_onnx.save(Sequential().add(ReLU()).add(Linear(3, 3)), "/tmp/never.onnx")


# ------------------------------------------------------------------------------------------- fine-tuning


def test_imported_model_fine_tunes_saves_and_loads_in_scala(sc, rng, tmp_path):
    from ember._convert import to_tensor
    from ember._java import call_static
    from ember.nn.criterion import ClassNLLCriterion
    from ember.optim.optimizer import SGD, MaxEpoch, Optimizer, TrainSummary

    from sklearn.datasets import load_digits

    model = ember_onnx.load(onnx_graphs.lenet5(rng))
    digits = load_digits()  # real 8x8 digits, scaled up to LeNet's 28x28
    images = np.kron(digits.images[:320] / 16.0, np.ones((3, 3)))
    x = np.pad(images, ((0, 0), (2, 2), (2, 2))).reshape(-1, 784).astype(np.float32)
    y = digits.target[:320]
    summary = TrainSummary(str(tmp_path), "onnx")
    opt = Optimizer(model=model, training_rdd=(x, y), criterion=ClassNLLCriterion(),
                    optim_method=SGD(learningrate=0.1), end_trigger=MaxEpoch(3), batch_size=40)
    opt.set_train_summary(summary)
    opt.optimize()
    losses = summary.read_scalar("Loss")[:, 1]
    assert len(losses) == 24 and losses[-6:].mean() < 0.5 * losses[:6].mean(), losses
    assert (model.evaluate().predict_class(x) == y).mean() > 0.8
    path = str(tmp_path / "tuned.ember")
    model.evaluate().saveModel(path)
    scala_model = call_static("ember.io.ModelFile", "load", path)  # Scala's loader, no Python wrapper involved
    scala_model.evaluate()
    out = scala_model.forward(to_tensor(x[:8], "x"))
    from ember._convert import to_numpy

    close(to_numpy(out), model.forward(x[:8]), atol=1e-6)
