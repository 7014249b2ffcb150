"""Layers and criterions from Python against numpy references (weights read back with get_weights)."""
import numpy as np
import pytest

from ember.nn.criterion import BCECriterion, ClassNLLCriterion, CrossEntropyCriterion, MSECriterion
from ember.nn.layer import (Dropout, Identity, Linear, LogSoftMax, ReLU, Reshape, Sequential, Sigmoid, SoftMax,
                            SpatialAveragePooling, SpatialConvolution, SpatialMaxPooling, Tanh, View)

ATOL, RTOL = 1e-5, 1e-4


def test_linear_forward_backward_match_numpy(sc, rng):
    m = Linear(5, 3)
    w, b = m.get_weights()
    assert w.shape == (3, 5) and b.shape == (3,)
    x = rng.standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(m.forward(x), x @ w.T + b, atol=ATOL, rtol=RTOL)
    g = rng.standard_normal((4, 3)).astype(np.float32)
    m.zero_grad_parameters()
    np.testing.assert_allclose(m.backward(x, g), g @ w, atol=ATOL, rtol=RTOL)


def _conv_ref(x, w, b, stride, pad):
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = np.zeros((n, o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out


def test_spatial_convolution_matches_numpy(sc, rng):
    m = SpatialConvolution(3, 4, 3, 3, 2, 2, 1, 1)
    x = rng.standard_normal((2, 3, 7, 7)).astype(np.float32)
    w, b = m.get_weights()
    np.testing.assert_allclose(m.forward(x), _conv_ref(x, w, b, 2, 1), atol=1e-4, rtol=1e-4)


def test_grouped_convolution_matches_numpy_per_group(sc, rng):
    m = SpatialConvolution(4, 6, 3, 3, 1, 1, 1, 1, n_group=2, with_bias=False)
    (w,) = m.get_weights()
    assert w.shape == (6, 2, 3, 3)
    x = rng.standard_normal((2, 4, 5, 6)).astype(np.float32)
    ref = np.concatenate([_conv_ref(x[:, 2 * g:2 * g + 2], w[3 * g:3 * g + 3], 0, 1, 1) for g in range(2)], axis=1)
    np.testing.assert_allclose(m.forward(x), ref, atol=1e-4, rtol=1e-4)
    assert "nGroup=2" in repr(m)
    with pytest.raises(ValueError, match="n_group=3 must"):
        SpatialConvolution(4, 6, 3, 3, n_group=3)


def test_pooling_matches_numpy(sc, rng):
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    blocks = x.reshape(2, 3, 3, 2, 3, 2)
    np.testing.assert_allclose(SpatialMaxPooling(2, 2, 2, 2).forward(x), blocks.max(axis=(3, 5)), atol=ATOL)
    np.testing.assert_allclose(SpatialAveragePooling(2, 2, 2, 2).forward(x), blocks.mean(axis=(3, 5)), atol=ATOL)


def test_activations_match_numpy(sc, rng):
    x = rng.standard_normal((4, 6)).astype(np.float32)
    e = np.exp(x - x.max(1, keepdims=True))
    cases = [(ReLU(), np.maximum(x, 0)), (Tanh(), np.tanh(x)), (Sigmoid(), 1 / (1 + np.exp(-x))),
             (SoftMax(), e / e.sum(1, keepdims=True)), (LogSoftMax(), np.log(e / e.sum(1, keepdims=True))),
             (Identity(), x)]
    for layer, ref in cases:
        np.testing.assert_allclose(layer.forward(x), ref, atol=ATOL, rtol=RTOL, err_msg=repr(layer))


def test_shapes_and_dropout_modes(sc, rng):
    x = rng.standard_normal((5, 12)).astype(np.float32)
    assert Reshape([3, 4]).forward(x).shape == (5, 3, 4)
    assert View([4, 3]).forward(x).shape == (5, 4, 3)
    d = Dropout(0.5)
    np.testing.assert_array_equal(d.evaluate().forward(x), x)
    assert not d.is_training()
    kept = d.training().forward(np.ones((200, 50), np.float32))
    assert set(np.unique(kept)) <= {0.0, 2.0} and 0.4 < (kept == 0).mean() < 0.6


def test_criterions_match_numpy(sc, rng):
    scores = rng.standard_normal((6, 4)).astype(np.float32)
    labels = np.array([0, 3, 1, 2, 3, 0])
    logp = scores - np.log(np.exp(scores).sum(1, keepdims=True))
    nll = -logp[np.arange(6), labels].mean()
    assert ClassNLLCriterion().forward(logp, labels) == pytest.approx(nll, rel=1e-5)
    assert CrossEntropyCriterion().forward(scores, labels) == pytest.approx(nll, rel=1e-5)
    t = rng.standard_normal((6, 4)).astype(np.float32)
    assert MSECriterion().forward(scores, t) == pytest.approx(((scores - t) ** 2).mean(), rel=1e-5)
    np.testing.assert_allclose(MSECriterion().backward(scores, t), 2 * (scores - t) / scores.size, atol=ATOL)
    p = 1 / (1 + np.exp(-scores))
    y = (t > 0).astype(np.float32)
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean()
    assert BCECriterion().forward(p, y) == pytest.approx(bce, rel=1e-4)
    weighted = ClassNLLCriterion(weights=[1, 2, 3, 4]).forward(logp, labels)
    w = np.array([1, 2, 3, 4], np.float32)[labels]
    assert weighted == pytest.approx(-(w * logp[np.arange(6), labels]).sum() / w.sum(), rel=1e-5)


def test_sequential_weights_predict_and_rebuild(sc, rng):
    model = Sequential().add(Linear(4, 8)).add(Tanh()).add(Linear(8, 3)).add(LogSoftMax())
    assert len(model) == 4 and [type(m).__name__ for m in model.modules] == ["Linear", "Tanh", "Linear", "LogSoftMax"]
    assert list(model.parameters()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert model.n_parameters() == 4 * 8 + 8 + 8 * 3 + 3
    new = [rng.standard_normal(w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(new)
    for a, b in zip(model.get_weights(), new):
        np.testing.assert_array_equal(a, b)
    x = rng.standard_normal((10, 4)).astype(np.float32)
    ref = np.tanh(x @ new[0].T + new[1]) @ new[2].T + new[3]
    ref = ref - np.log(np.exp(ref).sum(1, keepdims=True))
    np.testing.assert_allclose(model.predict(x, batch_size=3), ref, atol=1e-5)
    np.testing.assert_array_equal(model.predict_class(x, batch_size=4), ref.argmax(1))


def test_set_weights_checks_count_and_shapes(sc):
    model = Sequential().add(Linear(4, 2))
    with pytest.raises(ValueError, match="2 weight tensors"):
        model.set_weights([np.zeros((2, 4))])
    with pytest.raises(ValueError, match=r"0.weight.*\[2, 4\]"):
        model.set_weights([np.zeros((4, 2)), np.zeros(2)])
