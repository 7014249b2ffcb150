"""Layer numerics against independent numpy implementations written here: batch normalisation in
both modes with its running statistics, LRN, layer normalisation, Lp normalisation, dilated / transposed /
temporal convolution and temporal max pooling. Weights are set from numpy; tolerances are explicit.
"""
import numpy as np
import pytest

from ember.io import read_weights
from ember.nn.layer import (BatchNormalization, LayerNormalization, Normalize, SpatialBatchNormalization,
                            SpatialCrossMapLRN, SpatialDilatedConvolution, SpatialFullConvolution, TemporalConvolution,
                            TemporalMaxPooling)

ATOL, RTOL = 1e-4, 1e-4


# ------------------------------------------------------------------ numpy references

def bn_ref(x, axes, weight, bias, rmean, rvar, training, momentum, eps):
    """(output, new running mean, new running var); statistics per channel (axis 1) over ``axes``."""
    shape = [1, -1] + [1] * (x.ndim - 2)
    if training:
        mean, var = x.mean(axes), x.var(axes)
        count = x.size // x.shape[1]
        rmean = momentum * mean + (1 - momentum) * rmean
        rvar = momentum * var * count / (count - 1) + (1 - momentum) * rvar
    else:
        mean, var = rmean, rvar
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * weight.reshape(shape) + bias.reshape(shape)
    return y, rmean, rvar


def lrn_ref(x, size, alpha, beta, k):
    c = x.shape[1]
    before = (size - 1) // 2
    sq = x.astype(np.float64) ** 2
    scale = np.empty_like(sq)
    for ch in range(c):
        lo, hi = max(0, ch - before), min(c, ch - before + size)
        scale[:, ch] = k + alpha / size * sq[:, lo:hi].sum(1)
    return x * scale ** -beta


def conv_ref(x, w, b, stride, pad, dilation):
    """Direct dilated convolution, (N, C, H, W) x (O, C, kh, kw)."""
    (sh, sw), (ph, pw), (dh, dw) = stride, pad, dilation
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n, c, h, wd = xp.shape
    o, _, kh, kw = w.shape
    oh, ow = (h - dh * (kh - 1) - 1) // sh + 1, (wd - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, oh, ow)) + b.reshape(1, -1, 1, 1)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
            out += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    return out


def full_conv_ref(x, w, b, stride, pad, adj):
    """Transposed convolution by scattering each input pixel times the kernel, (N, C, H, W) x (C, O, kh, kw)."""
    (sh, sw), (ph, pw), (ah, aw) = stride, pad, adj
    n, c, h, wd = x.shape
    _, o, kh, kw = w.shape
    full = np.zeros((n, o, (h - 1) * sh + kh + ah, (wd - 1) * sw + kw + aw))
    for i in range(h):
        for j in range(wd):
            full[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += np.einsum("nc,cokl->nokl", x[:, :, i, j], w)
    oh, ow = (h - 1) * sh - 2 * ph + kh + ah, (wd - 1) * sw - 2 * pw + kw + aw
    return full[:, :, ph:ph + oh, pw:pw + ow] + b.reshape(1, -1, 1, 1)


# ------------------------------------------------------------------ normalisation

@pytest.mark.parametrize("spatial", [False, True])
def test_batch_norm_both_modes_and_running_statistics(sc, rng, spatial, tmp_path):
    c, momentum, eps = 3, 0.2, 1e-3
    layer = SpatialBatchNormalization(c, eps, momentum) if spatial else BatchNormalization(c, eps, momentum)
    shape, axes = ((4, c, 3, 2), (0, 2, 3)) if spatial else ((6, c), (0,))
    weight, bias = rng.uniform(0.5, 2, c).astype(np.float32), rng.standard_normal(c).astype(np.float32)
    layer.set_weights([weight, bias])
    rmean, rvar = np.zeros(c), np.ones(c)
    for step in range(3):  # training mode: batch statistics, running statistics move
        x = (rng.standard_normal(shape) * 2 + step).astype(np.float32)
        y, rmean, rvar = bn_ref(x, axes, weight, bias, rmean, rvar, True, momentum, eps)
        np.testing.assert_allclose(layer.forward(x), y, atol=ATOL, rtol=RTOL)
    path = str(tmp_path / "bn.ember")
    layer.saveModel(path)
    stored, _ = read_weights(path)
    np.testing.assert_allclose(stored["running_mean"], rmean, atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(stored["running_var"], rvar, atol=1e-5, rtol=1e-5)
    layer.evaluate()  # evaluation mode: the running statistics, which stay put
    x = rng.standard_normal(shape).astype(np.float32)
    y = bn_ref(x, axes, weight, bias, rmean, rvar, False, momentum, eps)[0]
    np.testing.assert_allclose(layer.forward(x), y, atol=ATOL, rtol=RTOL)
    np.testing.assert_allclose(layer.forward(x), y, atol=ATOL, rtol=RTOL)
    g = rng.standard_normal(shape).astype(np.float32)
    bshape = [1, -1] + [1] * (x.ndim - 2)
    np.testing.assert_allclose(layer.backward(x, g), g * (weight / np.sqrt(rvar + eps)).reshape(bshape), atol=ATOL, rtol=RTOL)


def test_batch_norm_training_gradient_matches_the_closed_form(sc, rng):
    x = rng.standard_normal((8, 3)).astype(np.float64)
    g = rng.standard_normal((8, 3))
    w = np.array([0.5, 1.5, -1.0])
    layer = BatchNormalization(3, 1e-5).set_weights([w, np.zeros(3)])
    layer.forward(x)
    xhat = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)
    ref = w / np.sqrt(x.var(0) + 1e-5) * (g - g.mean(0) - xhat * (g * xhat).mean(0))
    np.testing.assert_allclose(layer.backward(x, g), ref, atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("size,alpha,beta,k", [(5, 1e-2, 0.75, 1.0), (4, 0.5, 0.5, 2.0), (1, 1.0, 1.0, 1.0)])
def test_lrn_matches_numpy(sc, rng, size, alpha, beta, k):
    x = rng.standard_normal((2, 7, 3, 3)).astype(np.float32)
    np.testing.assert_allclose(SpatialCrossMapLRN(size, alpha, beta, k).forward(x), lrn_ref(x, size, alpha, beta, k),
                               atol=1e-5, rtol=1e-4)


def test_layer_norm_and_normalize_match_numpy(sc, rng):
    x = rng.standard_normal((2, 3, 5)).astype(np.float32)
    w, b = rng.standard_normal(5).astype(np.float32), rng.standard_normal(5).astype(np.float32)
    ref = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5) * w + b
    np.testing.assert_allclose(LayerNormalization(5).set_weights([w, b]).forward(x), ref, atol=ATOL, rtol=RTOL)
    for p in [1.0, 2.0, 3.0, np.inf]:
        if np.isinf(p):
            norm = np.abs(x).max(1, keepdims=True) + 1e-10
        else:
            norm = ((np.abs(x) ** p).sum(1, keepdims=True) + 1e-10) ** (1 / p)
        np.testing.assert_allclose(Normalize(p).forward(x), x / norm, atol=1e-5, rtol=1e-4, err_msg=f"p={p}")


# ------------------------------------------------------------------ convolutions and pooling

@pytest.mark.parametrize("k,stride,pad,dilation", [((3, 3), (1, 1), (2, 2), (2, 2)), ((3, 2), (2, 1), (0, 1), (1, 3)),
                                                   ((2, 2), (2, 2), (1, 0), (3, 1))])
def test_dilated_convolution_matches_numpy(sc, rng, k, stride, pad, dilation):
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = k, stride, pad, dilation
    layer = SpatialDilatedConvolution(2, 3, kw, kh, sw, sh, pw, ph, dw, dh)
    w = rng.standard_normal((3, 2, kh, kw)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    layer.set_weights([w, b])
    x = rng.standard_normal((2, 2, 9, 8)).astype(np.float32)
    ref = conv_ref(x, w, b, stride, pad, dilation)
    np.testing.assert_allclose(layer.forward(x), ref, atol=ATOL, rtol=RTOL)
    g = rng.standard_normal(ref.shape).astype(np.float32)
    gi = layer.backward(x, g)  # adjoint identity with the bias-free map
    assert np.isclose((g * (ref - b.reshape(1, -1, 1, 1))).sum(), (gi * x).sum(), rtol=1e-4)


@pytest.mark.parametrize("k,stride,pad,adj", [(3, 1, 0, 0), (3, 2, 1, 1), (4, 2, 1, 0), (2, 3, 0, 2)])
def test_full_convolution_matches_numpy(sc, rng, k, stride, pad, adj):
    layer = SpatialFullConvolution(2, 3, k, k, stride, stride, pad, pad, adj, adj)
    w = rng.standard_normal((2, 3, k, k)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    layer.set_weights([w, b])
    x = rng.standard_normal((2, 2, 4, 3)).astype(np.float32)
    ref = full_conv_ref(x, w, b, (stride, stride), (pad, pad), (adj, adj))
    np.testing.assert_allclose(layer.forward(x), ref, atol=ATOL, rtol=RTOL)
    # its input gradient is the plain convolution of gradOutput with the same weight
    g = rng.standard_normal(ref.shape).astype(np.float32)
    conv_of_g = conv_ref(g, w, np.zeros(2), (stride, stride), (pad, pad), (1, 1))
    np.testing.assert_allclose(layer.backward(x, g), conv_of_g, atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("kw,dw", [(2, 1), (3, 2), (1, 1), (4, 3)])
def test_temporal_convolution_matches_numpy(sc, rng, kw, dw):
    layer = TemporalConvolution(3, 4, kw, dw)
    w = rng.standard_normal((4, kw * 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    layer.set_weights([w, b])
    x = rng.standard_normal((2, 9, 3)).astype(np.float32)
    t_out = (9 - kw) // dw + 1
    windows = np.stack([x[:, t * dw:t * dw + kw].reshape(2, -1) for t in range(t_out)], 1)  # (N, T', kw * 3)
    ref = windows @ w.T + b
    np.testing.assert_allclose(layer.forward(x[1]), ref[1], atol=ATOL, rtol=RTOL)
    np.testing.assert_allclose(layer.forward(x), ref, atol=ATOL, rtol=RTOL)
    g = rng.standard_normal(ref.shape).astype(np.float32)
    gi_ref = np.zeros_like(x, dtype=np.float64)
    for t in range(t_out):
        gi_ref[:, t * dw:t * dw + kw] += (g[:, t] @ w).reshape(2, kw, 3)
    np.testing.assert_allclose(layer.backward(x, g), gi_ref, atol=ATOL, rtol=RTOL)


def test_temporal_max_pooling_matches_numpy(sc, rng):
    x = rng.standard_normal((2, 10, 3)).astype(np.float32)
    for kw, dw in [(2, 2), (3, 1), (4, 3)]:
        t_out = (10 - kw) // dw + 1
        ref = np.stack([x[:, t * dw:t * dw + kw].max(1) for t in range(t_out)], 1)
        layer = TemporalMaxPooling(kw, dw)
        np.testing.assert_array_equal(layer.forward(x), ref)
        gi = layer.backward(x, np.ones_like(ref))
        counts = np.zeros_like(x)
        for t in range(t_out):
            win = x[:, t * dw:t * dw + kw]
            arg = win.argmax(1)
            for n in range(2):
                for f in range(3):
                    counts[n, t * dw + arg[n, f], f] += 1
        np.testing.assert_array_equal(gi, counts)


def test_infinite_argument_survives_the_model_file(sc, rng, tmp_path):
    from ember.nn.layer import Model

    layer = Normalize(float("inf"))
    path = str(tmp_path / "linf.ember")
    layer.saveModel(path)
    back = Model.loadModel(path)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    assert repr(back) == "Normalize(Infinity)"
    np.testing.assert_array_equal(back.forward(x), layer.forward(x))
