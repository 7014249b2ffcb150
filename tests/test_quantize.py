"""Int8 inference from Python: ``model.quantize(calibration_data)`` against the float model (explicit
tolerances), the model file round trip (I8 weights readable with numpy), and bad input."""
import numpy as np
import pytest

from ember.io.model_file import read_weights
from ember.nn import quantized
from ember.nn.layer import Linear, LogSoftMax, Model, ReLU, Reshape, Sequential, SpatialConvolution, Tanh


def _convnet():
    return (Sequential().add(Reshape([1, 12, 12])).add(SpatialConvolution(1, 4, 3, 3)).add(ReLU())
            .add(SpatialConvolution(4, 6, 3, 3, 2, 2, 1, 1)).add(Tanh()).add(Reshape([6 * 5 * 5]))
            .add(Linear(150, 10)).add(LogSoftMax()))


def test_quantized_model_matches_float_within_tolerance(sc, rng):
    model = _convnet().evaluate()
    calib = rng.standard_normal((128, 144)).astype(np.float32)
    q = model.quantize(calib, batch_size=50)
    # the ReLU and Tanh after the convolutions are fused into them (oneDNN post-ops), and the two convolutions,
    # one feeding the other, form a chain (the intermediate stays int8 on oneDNN)
    kinds = [type(m) for m in q.modules]
    assert kinds.count(quantized.Chain) == 1 and kinds.count(quantized.Linear) == 1
    chain = next(m for m in q.modules if type(m) is quantized.Chain)
    assert [type(m) for m in chain.modules] == [quantized.SpatialConvolution] * 2
    assert [m.value.activation() for m in chain.modules] == ["relu", "tanh"]
    x = rng.standard_normal((64, 144)).astype(np.float32)
    want, got = model.forward(x), q.forward(x)
    # 8-bit inputs and 7-bit weights: errors of a few percent of the output range at most
    assert np.max(np.abs(got - want)) <= 0.03 * np.max(np.abs(want))
    assert np.mean(got.argmax(1) == want.argmax(1)) >= 0.9
    np.testing.assert_allclose(q.predict(x), got, rtol=1e-5, atol=1e-5)


def test_quantized_model_round_trips_through_the_model_file(sc, rng, tmp_path):
    q = _convnet().quantize(rng.standard_normal((32, 144)).astype(np.float32))
    path = tmp_path / "int8.ember"
    q.saveModel(path)
    tensors, meta = read_weights(path)
    assert meta["format_version"] == "2"
    # the first convolution is the first layer of the chain at position 1
    assert tensors["1.0.weight"].dtype == np.int8 and np.abs(tensors["1.0.weight"]).max() <= 63
    assert tensors["1.0.weight_scale"].dtype == np.float32
    back = Model.loadModel(path)
    x = rng.standard_normal((5, 144)).astype(np.float32)
    np.testing.assert_array_equal(back.forward(x), q.forward(x))


def test_quantize_bad_input(sc, rng):
    model = Sequential().add(Linear(4, 3)).add(ReLU())
    with pytest.raises(ValueError, match="calibration_data is required"):
        model.quantize(None)
    with pytest.raises(ValueError, match="at least one sample"):
        model.quantize(np.zeros((0, 4), np.float32))
    with pytest.raises(ValueError, match="NaN"):
        model.quantize(np.full((2, 4), np.nan, np.float32))
    with pytest.raises(ValueError):
        model.quantize(np.ones((2, 5), np.float32))
    with pytest.raises(ValueError, match="batch_size"):
        model.quantize(np.ones((2, 4), np.float32), batch_size=0)
    q = model.quantize(np.ones((2, 4), np.float32))
    q.forward(np.ones((2, 4), np.float32))
    with pytest.raises(Exception, match="int8 inference layer"):
        q.backward(np.ones((2, 4), np.float32), np.ones((2, 3), np.float32))
