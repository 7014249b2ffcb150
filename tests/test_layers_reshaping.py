"""Reductions, constants, reshaping, masking, resampling and GaussianSampler against numpy references."""
import numpy as np
import pytest

from ember.nn.layer import (AddConstant, GaussianSampler, InferReshape, Masking, Max, Mean, Min, MulConstant,
                            ResizeBilinear, Sum, UpSampling2D)


def test_reductions_match_numpy_with_keepdim_and_batches(sc, rng):
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    np.testing.assert_allclose(Sum(1).forward(x), x.sum(1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(Sum(-1, squeeze=False).forward(x), x.sum(-1, keepdims=True), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(Sum(0, n_input_dims=2, size_average=True).forward(x), x.mean(1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(Mean(2).forward(x), x.mean(2), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(Max(1).forward(x), x.max(1))
    np.testing.assert_array_equal(Min(0, squeeze=False).forward(x), x.min(0, keepdims=True))
    m = Max(2)
    y = m.forward(x)
    g = m.backward(x, np.ones_like(y))
    want = np.zeros_like(x)
    idx = x.argmax(2)
    for i in range(3):
        for j in range(4):
            want[i, j, idx[i, j]] = 1
    np.testing.assert_array_equal(g, want)
    mean = Mean(1)
    mean.forward(x)
    np.testing.assert_allclose(mean.backward(x, np.ones((3, 5), np.float32)), np.full(x.shape, 0.25), rtol=1e-6)
    nan = np.array([[1.0, np.nan, 3.0]], np.float32)
    assert np.isnan(Max(1).forward(nan)[0]) and np.isnan(Min(1).forward(nan)[0])


def test_constants_and_infer_reshape(sc, rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(MulConstant(-1.5).forward(x), x * -1.5, rtol=1e-6)
    np.testing.assert_allclose(AddConstant(2.0).forward(x), x + 2.0, rtol=1e-6)
    assert InferReshape([0, -1]).forward(x).shape == (2, 12)
    assert InferReshape([-1, 2], batch_mode=True).forward(x).shape == (2, 6, 2)
    with pytest.raises(ValueError, match="InferReshape: cannot reshape input of shape \\[2, 3, 4\\] to \\[5, -1\\]"):
        InferReshape([5, -1]).forward(x)


def test_masking_zeroes_masked_steps_and_their_gradient(sc, rng):
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    x[0, 1] = -1
    x[1, 3] = -1
    x[1, 0, 0] = -1  # one feature equal to the mask value does not mask the step
    m = Masking(-1.0)
    y = m.forward(x)
    keep = ~(x == -1).all(axis=2)
    np.testing.assert_array_equal(y, x * keep[..., None])
    np.testing.assert_array_equal(m.backward(x, np.ones_like(x)), np.broadcast_to(keep[..., None], x.shape).astype(np.float32))


def _bilinear_ref(x, oh, ow, align):
    n, c, h, w = x.shape

    def taps(i, o):
        scale = (i - 1) / (o - 1) if align and o > 1 else i / o
        src = np.arange(o) * scale
        lo = np.minimum(src.astype(int), i - 1)
        return lo, np.minimum(lo + 1, i - 1), (src - lo).astype(np.float32)

    (y0, y1, fy), (x0, x1, fx) = taps(h, oh), taps(w, ow)
    top = x[:, :, y0][:, :, :, x0] * (1 - fx) + x[:, :, y0][:, :, :, x1] * fx
    bottom = x[:, :, y1][:, :, :, x0] * (1 - fx) + x[:, :, y1][:, :, :, x1] * fx
    return top * (1 - fy)[:, None] + bottom * fy[:, None]


def test_resampling_matches_references(sc, rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(UpSampling2D((2, 3)).forward(x), x.repeat(2, axis=2).repeat(3, axis=3))
    up = UpSampling2D((2, 3))
    up.forward(x)
    g = up.backward(x, np.ones((2, 3, 8, 15), np.float32))
    np.testing.assert_array_equal(g, np.full(x.shape, 6.0, np.float32))
    for oh, ow, align in [(7, 9, False), (7, 9, True), (2, 3, False), (1, 1, True)]:
        np.testing.assert_allclose(ResizeBilinear(oh, ow, align).forward(x), _bilinear_ref(x, oh, ow, align),
                                   rtol=1e-5, atol=1e-6)


def test_gaussian_sampler_draws_with_the_given_mean_and_variance(sc):
    mean = np.full((200, 100), 2.0, np.float32)
    log_var = np.full((200, 100), np.log(0.25), np.float32)
    z = GaussianSampler().set_seed(3).forward([mean, log_var])
    assert np.mean(z) == pytest.approx(2.0, abs=0.01) and np.std(z) == pytest.approx(0.5, rel=0.02)
    s = GaussianSampler().set_seed(3)
    z = s.forward([mean, log_var])
    g_mean, g_log_var = s.backward([mean, log_var], np.ones_like(z))
    np.testing.assert_array_equal(g_mean, np.ones_like(z))
    np.testing.assert_allclose(g_log_var, (z - mean) / 2, rtol=1e-5, atol=1e-6)  # exp(lv/2) eps / 2 = (z - mean) / 2


def test_pooling_options_reach_the_layers(sc):
    from ember.nn.layer import SpatialAveragePooling, SpatialMaxPooling

    x = np.arange(25, dtype=np.float32).reshape(1, 1, 5, 5)
    assert SpatialMaxPooling(2, 2, 2, 2).forward(x).shape == (1, 1, 2, 2)
    y = SpatialMaxPooling(2, 2, 2, 2, to_ceil=True).forward(x)
    np.testing.assert_array_equal(y[0, 0], [[6, 8, 9], [16, 18, 19], [21, 23, 24]])
    ones = np.ones((1, 1, 2, 2), np.float32)
    # 3x3 window, padding 1: the corner window covers 4 input pixels of 9 padded ones
    np.testing.assert_allclose(SpatialAveragePooling(3, 3, 1, 1, 1, 1).forward(ones)[0, 0, 0, 0], 4 / 9, rtol=1e-6)
    np.testing.assert_allclose(SpatialAveragePooling(3, 3, 1, 1, 1, 1, count_include_pad=False).forward(ones)[0, 0, 0, 0],
                               1.0, rtol=1e-6)
    assert SpatialAveragePooling(2, 2, divide=False).forward(ones)[0, 0, 0, 0] == 4.0
    assert SpatialAveragePooling(1, 1, global_pooling=True).forward(x).tolist() == [[[[12.0]]]]
