"""Library pieces of the applications (issue 12) from Python: TripletMarginCriterion and Attention against numpy,
and the seq2seq decoders (beam search of width 1 is greedy decoding; a wider beam never finds a less likely
sequence than greedy decoding)."""
import numpy as np
import pytest

from ember.models import Seq2Seq
from ember.models.decoding import beam_search, greedy_decode
from ember.nn.criterion import TripletMarginCriterion
from ember.nn.layer import Attention


def f32(a):
    return np.asarray(a, dtype=np.float32)


def triplet_numpy(a, p, n, margin):
    a, p, n = (x.astype(np.float64) for x in (a, p, n))
    dp = np.sqrt(((a - p) ** 2).sum(1) + 1e-12)
    dn = np.sqrt(((a - n) ** 2).sum(1) + 1e-12)
    hinge = dp - dn + margin
    active = (hinge > 0)[:, None]
    ga = active * ((a - p) / dp[:, None] - (a - n) / dn[:, None])
    gp = active * (-(a - p) / dp[:, None])
    gn = active * ((a - n) / dn[:, None])
    return np.maximum(hinge, 0), ga, gp, gn


def test_triplet_margin_matches_numpy(sc, rng):
    a, p, n = (f32(rng.standard_normal((6, 5))) for _ in range(3))
    p[:3] = a[:3] + f32(0.2 * rng.standard_normal((3, 5)))  # close positives: rows 0-2 satisfy the margin
    loss, ga, gp, gn = triplet_numpy(a, p, n, 1.5)
    assert 0 < (loss > 0).sum() < 6, "the example should have active and inactive rows"
    crit = TripletMarginCriterion(margin=1.5)
    assert crit.forward([a, p, n], np.zeros(6)) == pytest.approx(loss.mean(), rel=1e-5)
    grads = crit.backward([a, p, n], np.zeros(6))
    for g, ref in zip(grads, (ga, gp, gn)):
        np.testing.assert_allclose(g, ref / 6, rtol=1e-4, atol=1e-6)
    # the stacked [N, 3, D] form (TimeDistributed output) gives the same loss and the same gradients, stacked
    stacked = np.stack([a, p, n], axis=1)
    summed = TripletMarginCriterion(margin=1.5, size_average=False)
    assert summed.forward(stacked, np.zeros(6)) == pytest.approx(loss.sum(), rel=1e-5)
    np.testing.assert_allclose(summed.backward(stacked, np.zeros(6)), np.stack([ga, gp, gn], axis=1),
                               rtol=1e-4, atol=1e-6)


def test_triplet_margin_rejects_bad_input(sc, rng):
    with pytest.raises(ValueError, match="margin"):
        TripletMarginCriterion(margin=-1)
    with pytest.raises(Exception, match=r"\[batch, 3, dim\]"):
        TripletMarginCriterion().forward(f32(rng.standard_normal((4, 2, 3))), np.zeros(4))


def attention_numpy(q, v):
    s = np.einsum("btd,bsd->bts", q.astype(np.float64), v)
    a = np.exp(s - s.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    return np.einsum("bts,bsd->btd", a, v)


def test_attention_matches_numpy_forward_and_finite_differences(sc, rng):
    q, v = f32(rng.standard_normal((2, 3, 4))), f32(rng.standard_normal((2, 5, 4)))
    layer = Attention()
    np.testing.assert_allclose(layer.forward([q, v]), attention_numpy(q, v), rtol=1e-5, atol=1e-6)
    g = f32(rng.standard_normal((2, 3, 4)))
    gq, gv = layer.backward([q, v], g)
    eps = 1e-4
    for x, gx, which in ((q, gq, 0), (v, gv, 1)):
        num = np.zeros(x.shape)
        for idx in np.ndindex(*x.shape):
            parts = [q.astype(np.float64), v.astype(np.float64)]
            plus, minus = parts[which].copy(), parts[which].copy()
            plus[idx] += eps
            minus[idx] -= eps
            args_p = [plus, parts[1]] if which == 0 else [parts[0], plus]
            args_m = [minus, parts[1]] if which == 0 else [parts[0], minus]
            num[idx] = ((attention_numpy(*args_p) - attention_numpy(*args_m)) * g).sum() / (2 * eps)
        np.testing.assert_allclose(gx, num, rtol=1e-3, atol=1e-4)


def test_beam_search_agrees_with_greedy_and_never_scores_lower(sc, rng):
    model = Seq2Seq(7, 5, 4, 8, attention=True)
    source = rng.randint(0, 7, (6, 5))
    greedy = greedy_decode(model, source, bos=0, length=4)
    one, _ = beam_search(model, source, bos=0, length=4, width=1)
    np.testing.assert_array_equal(one, greedy)
    wide, scores = beam_search(model, source, bos=0, length=4, width=3)
    assert wide.shape == (6, 4) and wide.min() >= 0 and wide.max() < 5

    def log_prob(tokens):
        dec = np.concatenate([np.zeros((len(tokens), 1)), tokens[:, :-1]], axis=1)
        out = np.asarray(model.forward([f32(source), f32(dec)]))
        return out[np.arange(len(tokens))[:, None], np.arange(4)[None, :], tokens].sum(1)

    np.testing.assert_allclose(scores, log_prob(wide), rtol=1e-4, atol=1e-4)
    assert np.all(log_prob(wide) >= log_prob(greedy) - 1e-4)
    with pytest.raises(ValueError, match="width"):
        beam_search(model, source, bos=0, length=4, width=0)
