"""Layers from Python against numpy references written here: activations, elementwise
functions, noise layers, shape layers, learnable scale/shift, embedding and the linear family.

Weights are set from numpy (``set_weights``), so each comparison is Python/Scala parity for known weights.
"""
import numpy as np
import pytest

from ember.errors import EmberValueError
from ember.nn.layer import (ELU, Abs, Add, Bilinear, CAdd, Clamp, CMul, Cosine, Euclidean, Exp, GaussianNoise, HardSigmoid,
                            HardTanh, Highway, LeakyReLU, Log, LookupTable, Model, Mul, Narrow, Padding, Power, PReLU, ReLU6,
                            Replicate, Select, Sequential, SoftPlus, SoftSign, SpatialDropout2D, SpatialZeroPadding, Sqrt,
                            Square, Squeeze, Tanh, Threshold, Transpose, Unsqueeze)

ATOL, RTOL = 1e-5, 1e-4


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


# (layer factory, numpy forward, numpy derivative, input sampler)
ELEMENTWISE = [
    (lambda: ReLU6(), lambda x: np.clip(x, 0, 6), lambda x: ((x > 0) & (x < 6)) * 1.0, lambda r: r.uniform(-3, 9, (4, 5))),
    (lambda: LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x), lambda x: np.where(x > 0, 1, 0.2),
     lambda r: r.standard_normal((4, 5))),
    (lambda: ELU(0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x)), lambda x: np.where(x > 0, 1, 0.7 * np.exp(x)),
     lambda r: r.standard_normal((3, 2, 4))),
    (lambda: SoftPlus(2.0), lambda x: np.log1p(np.exp(2 * x)) / 2, lambda x: _sigmoid(2 * x),
     lambda r: 3 * r.standard_normal((4, 5))),
    (lambda: SoftSign(), lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x)) ** 2, lambda r: r.standard_normal(7)),
    (lambda: HardTanh(-0.5, 2.0), lambda x: np.clip(x, -0.5, 2), lambda x: ((x > -0.5) & (x < 2)) * 1.0,
     lambda r: r.uniform(-3, 3, (4, 5))),
    (lambda: HardSigmoid(), lambda x: np.clip(0.2 * x + 0.5, 0, 1), lambda x: ((x > -2.5) & (x < 2.5)) * 0.2,
     lambda r: r.uniform(-4, 4, (4, 5))),
    (lambda: Threshold(0.3, -2.0), lambda x: np.where(x > 0.3, x, -2.0), lambda x: (x > 0.3) * 1.0,
     lambda r: r.standard_normal((4, 5))),
    (lambda: Power(2.5, 0.5, 1.0), lambda x: (1 + 0.5 * x) ** 2.5, lambda x: 2.5 * 0.5 * (1 + 0.5 * x) ** 1.5,
     lambda r: r.uniform(0, 3, (4, 5))),
    (lambda: Sqrt(), np.sqrt, lambda x: 0.5 / np.sqrt(x), lambda r: r.uniform(0.1, 3, (4, 5))),
    (lambda: Square(), np.square, lambda x: 2 * x, lambda r: r.standard_normal((4, 5))),
    (lambda: Log(), np.log, lambda x: 1 / x, lambda r: r.uniform(0.1, 3, (4, 5))),
    (lambda: Exp(), np.exp, np.exp, lambda r: r.standard_normal((4, 5))),
    (lambda: Abs(), np.abs, np.sign, lambda r: r.standard_normal((4, 5))),
    (lambda: Clamp(-1, 0.5), lambda x: np.clip(x, -1, 0.5), lambda x: ((x > -1) & (x < 0.5)) * 1.0,
     lambda r: r.uniform(-2, 2, (4, 5))),
]


@pytest.mark.parametrize("make,fn,dfn,sample", ELEMENTWISE, ids=lambda v: getattr(v, "__name__", None))
def test_elementwise_forward_and_backward_match_numpy(sc, rng, make, fn, dfn, sample):
    layer = make()
    x = sample(rng).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    np.testing.assert_allclose(layer.forward(x), fn(x.astype(np.float64)), atol=ATOL, rtol=RTOL, err_msg=repr(layer))
    np.testing.assert_allclose(layer.backward(x, g), g * dfn(x.astype(np.float64)), atol=ATOL, rtol=RTOL, err_msg=repr(layer))


def test_inplace_variants_give_the_same_values(sc, rng):
    x = rng.uniform(-3, 9, (3, 4)).astype(np.float32)
    for plain, inplace in [(ReLU6(), ReLU6(True)), (LeakyReLU(0.1), LeakyReLU(0.1, True)), (ELU(), ELU(1.0, True)),
                           (HardTanh(), HardTanh(-1, 1, True)), (Threshold(0.5, 0.0), Threshold(0.5, 0.0, True))]:
        np.testing.assert_array_equal(plain.forward(x), inplace.forward(x), err_msg=repr(inplace))


def test_bad_arguments_raise_value_errors(sc):
    with pytest.raises(EmberValueError, match="maxValue must be greater than minValue"):
        HardTanh(1, -1)
    with pytest.raises(EmberValueError, match="v must be <= th"):
        Threshold(0.0, 1.0, True)
    with pytest.raises(EmberValueError, match="format must be"):
        SpatialDropout2D(0.5, "CHWN")


def test_noise_layers_train_and_evaluate(sc, rng):
    x = rng.standard_normal((300, 40)).astype(np.float32)
    noise = GaussianNoise(0.5).forward(x) - x
    assert abs(noise.mean()) < 0.02 and abs(noise.std() - 0.5) < 0.02
    np.testing.assert_array_equal(GaussianNoise(0.5).evaluate().forward(x), x)
    d = SpatialDropout2D(0.25)
    y = d.forward(np.ones((200, 10, 3, 3), np.float32))
    per_plane = y.reshape(200, 10, 9)
    assert np.all(per_plane.min(2) == per_plane.max(2)), "whole planes are dropped or kept"
    assert abs((per_plane[:, :, 0] == 0).mean() - 0.25) < 0.04
    np.testing.assert_allclose(d.evaluate().forward(np.ones((2, 3, 2, 2))), np.full((2, 3, 2, 2), 0.75))
    nhwc = SpatialDropout2D(0.5, "NHWC").forward(np.ones((50, 3, 3, 8), np.float32))
    assert np.all(nhwc.min((1, 2)) == nhwc.max((1, 2))), "NHWC: one mask value per (sample, channel)"


def test_shape_layers_match_numpy(sc, rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    cases = [
        (Padding(1, -2, 3), np.pad(x, ((0, 0), (0, 0), (2, 0), (0, 0)))),
        (Padding(0, 1, 3, 7.0), np.pad(x, ((0, 0), (0, 1), (0, 0), (0, 0)), constant_values=7.0)),
        (SpatialZeroPadding(1, 2, 0, 1), np.pad(x, ((0, 0), (0, 0), (0, 1), (1, 2)))),
        (SpatialZeroPadding(-1, 1, 2, -2), np.pad(x[:, :, :2, 1:], ((0, 0), (0, 0), (2, 0), (0, 1)))),
        (Transpose([(0, 3), (1, 2)]), x.swapaxes(0, 3).swapaxes(1, 2)),
        (Narrow(2, 1, 2), x[:, :, 1:3]),
        (Narrow(-1, 2, -1), x[..., 2:]),
        (Select(1, 2), x[:, 2]),
        (Select(-1, -2), x[..., -2]),
        (Unsqueeze(2), x[:, :, None]),
        (Unsqueeze(0, 3), x[:, None]),
        (Replicate(3), np.broadcast_to(x, (3,) + x.shape)),
        (Replicate(2, 1, 3), np.broadcast_to(x[:, :, None], (2, 3, 2, 4, 5))),
    ]
    for layer, ref in cases:
        out = layer.forward(x)
        np.testing.assert_array_equal(out, ref, err_msg=repr(layer))
        g = rng.standard_normal(out.shape).astype(np.float32)
        gi = layer.backward(x, g)
        assert gi.shape == x.shape
        # the adjoint identity <layer(x), g> = <x, layer^T(g)> holds for these linear maps (padding value 0)
        if "value=" not in repr(layer):
            assert np.isclose((out * g).sum(), (x * gi).sum(), rtol=1e-4), repr(layer)
    s = np.zeros((2, 1, 3, 1), np.float32)
    assert Squeeze().forward(s).shape == (2, 3)
    assert Squeeze(3).forward(s).shape == (2, 1, 3)
    assert Squeeze([0], batch_mode=True).forward(s).shape == (2, 3, 1)
    with pytest.raises(EmberValueError, match="out of range"):
        Select(4, 0).forward(x)


def test_scale_and_shift_layers_match_numpy(sc, rng):
    x = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    b = rng.standard_normal((3, 1, 1)).astype(np.float32)
    np.testing.assert_allclose(CAdd([3, 1, 1]).set_weights([b]).forward(x), x + b, atol=ATOL)
    cmul = CMul([3, 1, 1]).set_weights([b])
    np.testing.assert_allclose(cmul.forward(x), x * b, atol=ATOL)
    np.testing.assert_allclose(cmul.backward(x, x), x * b, atol=ATOL)
    np.testing.assert_allclose(Mul().set_weights([np.array([-1.5])]).forward(x), -1.5 * x, atol=ATOL)
    v = rng.standard_normal(4).astype(np.float32)
    m = rng.standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(Add(4).set_weights([v]).forward(m), m + v, atol=ATOL)
    with pytest.raises(EmberValueError, match="does not broadcast"):
        CAdd([5]).forward(x)


def test_prelu_matches_numpy(sc, rng):
    x = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    a = np.array([0.1, -0.5, 2.0], np.float32)
    ref = np.where(x > 0, x, a[None, :, None, None] * x)
    np.testing.assert_allclose(PReLU(3).set_weights([a]).forward(x), ref, atol=ATOL)
    np.testing.assert_allclose(PReLU(3).set_weights([a]).forward(x[0]), ref[0], atol=ATOL)  # (C, H, W): channel dim 0
    assert PReLU().get_weights()[0].tolist() == [0.25]


def test_lookup_table_is_zero_based_and_rejects_bad_indices(sc, rng):
    w = rng.standard_normal((6, 3)).astype(np.float32)
    emb = LookupTable(6, 3).set_weights([w])
    idx = np.array([[0, 5, 2], [5, 5, 1]])
    np.testing.assert_array_equal(emb.forward(idx), w[idx])
    assert emb.backward(idx, np.ones((2, 3, 3))).shape == (2, 3)
    with pytest.raises(IndexError, match=r"index 6\.0 at position 1 .* 0-based whole numbers in \[0, 6\)"):
        emb.forward(np.array([0, 6]))
    with pytest.raises(IndexError, match="index -1.0"):
        emb.forward(np.array([-1]))
    renorm = LookupTable(6, 3, max_norm=1.0).set_weights([w * 10])
    out = renorm.forward(np.array([1, 4]))
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), [1.0, 1.0], rtol=1e-5)


def test_linear_family_matches_numpy(sc, rng):
    x1 = rng.standard_normal((5, 3)).astype(np.float32)
    x2 = rng.standard_normal((5, 4)).astype(np.float32)
    w = rng.standard_normal((2, 3, 4)).astype(np.float32)
    b = rng.standard_normal(2).astype(np.float32)
    bil = Bilinear(3, 4, 2).set_weights([w, b])
    np.testing.assert_allclose(bil.forward([x1, x2]), np.einsum("ni,kij,nj->nk", x1, w, x2) + b, atol=1e-4, rtol=1e-4)
    g = rng.standard_normal((5, 2)).astype(np.float32)
    g1, g2 = bil.backward([x1, x2], g)
    np.testing.assert_allclose(g1, np.einsum("nk,kij,nj->ni", g, w, x2), atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(g2, np.einsum("nk,kij,ni->nj", g, w, x1), atol=1e-4, rtol=1e-4)

    wc = rng.standard_normal((3, 4)).astype(np.float32)
    cos = np.dot(x2, wc.T) / np.outer(np.linalg.norm(x2, axis=1), np.linalg.norm(wc, axis=1))
    np.testing.assert_allclose(Cosine(4, 3).set_weights([wc]).forward(x2), cos, atol=1e-5, rtol=1e-4)

    we = rng.standard_normal((4, 3)).astype(np.float32)
    dist = np.linalg.norm(x2[:, :, None] - we[None], axis=1)
    np.testing.assert_allclose(Euclidean(4, 3).set_weights([we]).forward(x2), dist, atol=1e-5, rtol=1e-4)

    wt, bt, wh, bh = (rng.standard_normal(s).astype(np.float32) for s in [(4, 4), 4, (4, 4), 4])
    hw = Highway(4, activation=Tanh()).set_weights([wt, bt, wh, bh])
    t = _sigmoid(x2 @ wt.T + bt)
    ref = t * np.tanh(x2 @ wh.T + bh) + (1 - t) * x2
    np.testing.assert_allclose(hw.forward(x2), ref, atol=1e-5, rtol=1e-4)
    assert list(hw.parameters()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_embedding_highway_and_shape_layers_survive_a_python_save_and_load(sc, rng, tmp_path):
    model = Sequential().add(LookupTable(7, 4)).add(Highway(4, activation=Tanh())).add(PReLU()).add(Unsqueeze(1)).add(
        Transpose([(1, 2)])).add(Narrow(1, 1, 2)).add(SoftPlus(1.5)).add(Padding(1, -1, 2, 0.5))
    x = rng.randint(0, 7, 6).astype(np.float32)
    path = str(tmp_path / "layers.ember")
    model.saveModel(path)
    back = Model.loadModel(path)
    assert [type(m).__name__ for m in back.modules] == ["LookupTable", "Highway", "PReLU", "Unsqueeze", "Transpose",
                                                        "Narrow", "SoftPlus", "Padding"]
    np.testing.assert_array_equal(back.forward(x), model.forward(x))
    assert repr(back) == repr(model)
