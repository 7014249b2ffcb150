"""The pointwise, margin and table-input criterions from Python: loss values against numpy references (and a finite-difference check of
backward through the Python API for the table-input ones)."""
import numpy as np
import pytest

from ember.nn.criterion import (AbsCriterion, ClassNLLCriterion, ClassSimplexCriterion, CosineEmbeddingCriterion,
                                CrossEntropyCriterion, DistKLDivCriterion, HingeEmbeddingCriterion, KLDCriterion,
                                MarginCriterion, MarginRankingCriterion, MeanAbsolutePercentageCriterion,
                                MSECriterion, MultiCriterion, MultiLabelSoftMarginCriterion, ParallelCriterion,
                                PoissonCriterion, SmoothL1Criterion, SoftMarginCriterion, TimeDistributedCriterion,
                                TimeDistributedMaskCriterion)

RTOL, ATOL = 1e-5, 1e-6


def f32(a):
    return np.asarray(a, dtype=np.float32)


def signs(rng, *shape):
    return f32(rng.choice([-1.0, 1.0], size=shape))


def softplus(v):
    return np.logaddexp(0, v)


def close(actual, expected, rtol=RTOL, atol=ATOL):
    assert actual == pytest.approx(float(expected), rel=rtol, abs=atol)


def test_pointwise_losses(sc, rng):
    x, y = f32(rng.standard_normal((3, 4)) * 2), f32(rng.standard_normal((3, 4)))
    d = x.astype(np.float64) - y
    huber = np.where(np.abs(d) < 1, 0.5 * d * d, np.abs(d) - 0.5)
    close(SmoothL1Criterion().forward(x, y), huber.mean())
    close(SmoothL1Criterion(size_average=False).forward(x, y), huber.sum(), rtol=1e-5)
    close(AbsCriterion().forward(x, y), np.abs(d).mean())
    close(AbsCriterion(False).forward(x, y), np.abs(d).sum(), rtol=1e-5)
    rate, counts = f32(rng.uniform(0.2, 3, (3, 4))), f32(rng.randint(0, 5, (3, 4)))
    close(PoissonCriterion().forward(rate, counts), np.mean(rate - counts * np.log(rate.astype(np.float64) + 1e-7)))
    target = f32(rng.uniform(0.5, 2, (3, 4)) * signs(rng, 3, 4))
    close(MeanAbsolutePercentageCriterion().forward(x, target), 100 * np.mean(np.abs(target - x.astype(np.float64)) / np.abs(target)),
          rtol=1e-5)
    logp = f32(np.log(rng.dirichlet(np.ones(4), 3)))
    q = f32(rng.dirichlet(np.ones(4), 3))
    q[0, 1] = 0
    kl = np.where(q > 0, q * (np.log(np.where(q > 0, q, 1)) - logp), 0)
    close(DistKLDivCriterion().forward(logp, q), kl.mean())
    close(DistKLDivCriterion(False).forward(logp, q), kl.sum(), rtol=1e-5)


def test_kld_criterion_matches_the_vae_formula(sc, rng):
    mean, log_var = f32(rng.standard_normal((5, 3))), f32(rng.standard_normal((5, 3)) * 0.5)
    m, lv = mean.astype(np.float64), log_var.astype(np.float64)
    kld = -0.5 * np.sum(1 + lv - m ** 2 - np.exp(lv))
    close(KLDCriterion().forward([mean, log_var]), kld / 5)
    close(KLDCriterion(size_average=False).forward([mean, log_var]), kld, rtol=1e-5)
    g_mean, g_log_var = KLDCriterion().backward([mean, log_var])
    np.testing.assert_allclose(g_mean, m / 5, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g_log_var, 0.5 * (np.exp(lv) - 1) / 5, rtol=1e-5, atol=1e-6)


def test_margin_losses(sc, rng):
    x, y = f32(rng.standard_normal((4, 3))), signs(rng, 4, 3)
    hinge = np.maximum(0, 1 - x.astype(np.float64) * y)
    close(MarginCriterion().forward(x, y), hinge.mean())
    close(MarginCriterion(0.5, size_average=False, squared=True).forward(x, y),
          np.sum(np.maximum(0, 0.5 - x.astype(np.float64) * y) ** 2), rtol=1e-5)
    close(SoftMarginCriterion().forward(x, y), softplus(-y * x.astype(np.float64)).mean())
    dist = f32(rng.uniform(0, 2, (4, 3)))
    he = np.where(y > 0, dist, np.maximum(0, 1 - dist.astype(np.float64)))
    close(HingeEmbeddingCriterion().forward(dist, y), he.mean())
    close(HingeEmbeddingCriterion(margin=1.5, size_average=False).forward(dist, y),
          np.where(y > 0, dist, np.maximum(0, 1.5 - dist.astype(np.float64))).sum(), rtol=1e-5)
    a, b, t = f32(rng.standard_normal(6)), f32(rng.standard_normal(6)), signs(rng, 6)
    rank = np.maximum(0, -t * (a.astype(np.float64) - b) + 1)
    close(MarginRankingCriterion().forward([a, b], t), rank.mean())
    close(MarginRankingCriterion(0.3, False).forward([a, b], t), np.maximum(0, -t * (a.astype(np.float64) - b) + 0.3).sum(),
          rtol=1e-5)


def test_cosine_embedding_loss_and_gradient(sc, rng):
    x1, x2, y = f32(rng.standard_normal((5, 4))), f32(rng.standard_normal((5, 4))), signs(rng, 5)

    def ref(a, b, margin=0.1):
        a, b = a.astype(np.float64), b.astype(np.float64)
        cos = np.sum(a * b, 1) / np.sqrt((np.sum(a * a, 1) + 1e-12) * (np.sum(b * b, 1) + 1e-12))
        return np.mean(np.where(y > 0, 1 - cos, np.maximum(0, cos - margin)))

    crit = CosineEmbeddingCriterion(margin=0.1)
    close(crit.forward([x1, x2], y), ref(x1, x2))
    g1, g2 = crit.backward([x1, x2], y)
    eps = 1e-3
    for (i, j) in [(0, 0), (2, 3), (4, 1)]:
        up, down = x1.astype(np.float64).copy(), x1.astype(np.float64).copy()
        up[i, j] += eps
        down[i, j] -= eps
        assert g1[i, j] == pytest.approx((ref(up, x2) - ref(down, x2)) / (2 * eps), abs=1e-4)
    assert g2.shape == x2.shape


def test_multilabel_and_simplex(sc, rng):
    x, y = f32(rng.standard_normal((3, 4))), f32(rng.randint(0, 2, (3, 4)))
    bce = softplus(x.astype(np.float64)) - y * x
    close(MultiLabelSoftMarginCriterion().forward(x, y), bce.mean())
    w = np.array([1.0, 2.0, 0.5, 3.0])
    close(MultiLabelSoftMarginCriterion(weights=w, size_average=False).forward(x, y), (bce * w).sum(), rtol=1e-5)
    # the simplex vertices: unit vectors, pairwise equidistant, last coordinate 0
    n = 4
    labels = np.array([0, 3, 1])
    eye = np.eye(n)
    crit = ClassSimplexCriterion(n)
    vertices = []
    for c in range(n):
        # the loss at input e_k is 1/n * |e_k - v_c|^2, so the vertex is recovered from n losses
        losses = np.array([crit.forward(eye[k][None, :], np.array([c])) for k in range(n)]) * n
        vertices.append((1 + 1 - losses) / 2)  # |v|^2 = 1, so <e_k, v> = (1 + |v|^2 - loss) / 2
    v = np.array(vertices)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    dists = [np.linalg.norm(v[i] - v[j]) for i in range(n) for j in range(i + 1, n)]
    np.testing.assert_allclose(dists, dists[0], atol=1e-5)
    np.testing.assert_allclose(v[:, -1], 0, atol=1e-6)
    close(crit.forward(x[:, :n], labels), np.mean((x[:, :n].astype(np.float64) - v[labels]) ** 2), rtol=1e-5)


def test_time_distributed_criterions(sc, rng):
    x = f32(rng.standard_normal((2, 3, 4)))
    labels = rng.randint(0, 4, (2, 3))
    logp = x - np.log(np.exp(x.astype(np.float64)).sum(-1, keepdims=True))
    per_step = np.array([-np.mean(logp[np.arange(2), t, labels[:, t]]) for t in range(3)])
    close(TimeDistributedCriterion(ClassNLLCriterion()).forward(logp, f32(labels)), per_step.sum(), rtol=1e-5)
    close(TimeDistributedCriterion(ClassNLLCriterion(), size_average=True).forward(logp, f32(labels)), per_step.mean(),
          rtol=1e-5)
    target = f32(rng.standard_normal((2, 3, 4)))
    per_sample = [np.mean((x[b].astype(np.float64) - target[b]) ** 2) for b in range(2)]
    close(TimeDistributedCriterion(MSECriterion(), dimension=0).forward(x, target), sum(per_sample), rtol=1e-5)
    padded = labels.copy()
    padded[0, 2] = padded[1, 1] = -1
    keep = padded >= 0
    nll = -logp[np.arange(2)[:, None], np.arange(3)[None, :], np.where(keep, padded, 0)]
    masked = TimeDistributedMaskCriterion(CrossEntropyCriterion())
    close(masked.forward(x, f32(padded)), nll[keep].mean(), rtol=1e-5)
    grad = masked.backward(x, f32(padded))
    assert np.all(grad[0, 2] == 0) and np.all(grad[1, 1] == 0) and np.any(grad[0, 0] != 0)


def test_parallel_and_multi_criterion(sc, rng):
    a, b = f32(rng.standard_normal((3, 4))), f32(rng.standard_normal((3, 4)))
    ta, tb = f32(rng.standard_normal((3, 4))), f32(rng.standard_normal((3, 4)))
    mse = lambda u, v: np.mean((u.astype(np.float64) - v) ** 2)  # noqa: E731
    mae = lambda u, v: np.mean(np.abs(u.astype(np.float64) - v))  # noqa: E731
    pc = ParallelCriterion().add(MSECriterion(), 0.5).add(AbsCriterion(), 2.0)
    close(pc.forward([a, b], [ta, tb]), 0.5 * mse(a, ta) + 2 * mae(b, tb))
    ga, gb = pc.backward([a, b], [ta, tb])
    np.testing.assert_allclose(ga, 0.5 * 2 * (a - ta) / a.size, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gb, 2 * np.sign(b - tb) / b.size, rtol=1e-5, atol=1e-7)
    rep = ParallelCriterion(repeat_target=True).add(MSECriterion()).add(AbsCriterion())
    close(rep.forward([a, b], ta), mse(a, ta) + mae(b, ta))
    mc = MultiCriterion().add(MSECriterion(), 0.5).add(SmoothL1Criterion())
    d = a.astype(np.float64) - ta
    close(mc.forward(a, ta), 0.5 * mse(a, ta) + np.mean(np.where(np.abs(d) < 1, 0.5 * d * d, np.abs(d) - 0.5)))
    assert repr(mc) == "MultiCriterion(0.5 * MSECriterion(), SmoothL1Criterion())"


def test_bad_targets_and_arguments(sc):
    with pytest.raises(ValueError, match="target value 0.0 at index 1 is not -1 or 1"):
        MarginCriterion().forward(np.ones(2), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="expected a table of two tensors"):
        MarginRankingCriterion().forward(np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="nClasses must be > 1"):
        ClassSimplexCriterion(1)
    with pytest.raises(ValueError, match="no criterion added"):
        MultiCriterion().forward(np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match="expected a Criterion"):
        ParallelCriterion().add("mse")
    with pytest.raises(ValueError, match="does not match input"):
        SmoothL1Criterion().forward(np.ones(3), np.ones(2))
