"""Optim methods, learning-rate schedules and validation methods from Python, against numpy."""
import math

import numpy as np
import pytest

from ember.nn.criterion import MSECriterion
from ember.nn.layer import Identity, Linear, Sequential
from ember.optim.optimizer import (LBFGS, MAE, NDCG, SGD, Adadelta, Adamax, Default, EpochStep, Exponential, Ftrl,
                                   HitRatio, MaxIteration, MultiStep, NaturalExp, Optimizer, Plateau, Poly,
                                   PrecisionRecallAUC, ROCAUC, SequentialSchedule, Step, TrainSummary, Warmup)


def _problem(rng, n=32, d=4):
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * rng.standard_normal(n)).astype(np.float32)[:, None]
    return x, y


def _grad(w, x, y):
    """d mean((x w - y)^2) / dw for w of shape (1, d)."""
    r = x.astype(np.float64) @ w.T - y
    return 2.0 / r.size * (r.T @ x)


def _train(method, x, y, iters, summary_dir=None):
    model = Sequential().add(Linear(x.shape[1], 1, with_bias=False))
    w0 = model.get_weights()[0].astype(np.float64)
    opt = Optimizer.create(model=model, training_set=(x, y), criterion=MSECriterion(), optim_method=method,
                           end_trigger=MaxIteration(iters), batch_size=len(x), cores=1)
    summary = None
    if summary_dir is not None:
        summary = TrainSummary(str(summary_dir), "run")
        opt.set_train_summary(summary)
    opt.optimize(progress=False)
    return w0, model.get_weights()[0], summary


def _adadelta(w, g, st, rho=0.9, eps=1e-10, lr=1.0):
    st.setdefault("v", np.zeros_like(w)); st.setdefault("u", np.zeros_like(w))
    st["v"] = rho * st["v"] + (1 - rho) * g * g
    d = np.sqrt(st["u"] + eps) / np.sqrt(st["v"] + eps) * g
    st["u"] = rho * st["u"] + (1 - rho) * d * d
    return w - lr * d


def _adamax(w, g, st, lr=0.01, b1=0.9, b2=0.999, eps=1e-38):
    st["t"] = st.get("t", 0) + 1
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["u"] = np.maximum(b2 * st.get("u", np.zeros_like(w)), np.abs(g) + eps)
    return w - lr / (1 - b1 ** st["t"]) * st["m"] / st["u"]


def _ftrl(w, g, st, lr=0.5, p=-0.5, init=0.1, l1=0.01, l2=0.1):
    n = st.get("n", np.full_like(w, init))
    n_new = n + g * g
    st["z"] = st.get("z", np.zeros_like(w)) + g - (n_new ** -p - n ** -p) / lr * w
    quad = n_new ** -p / lr + 2 * l2
    st["n"] = n_new
    return np.where(np.abs(st["z"]) > l1, (np.sign(st["z"]) * l1 - st["z"]) / quad, 0.0)


@pytest.mark.parametrize("method,update", [
    (Adadelta(), _adadelta), (Adamax(learningrate=0.01), _adamax),
    (Ftrl(learningrate=0.5, l1_regularization_strength=0.01, l2_regularization_strength=0.1), _ftrl),
], ids=["adadelta", "adamax", "ftrl"])
def test_methods_match_numpy_updates(sc, rng, method, update):
    x, y = _problem(rng)
    w0, w, _ = _train(method, x, y, 4)
    ref, st = w0, {}
    for _ in range(4):
        ref = update(ref, _grad(ref, x, y), st)
    np.testing.assert_allclose(w, ref, rtol=1e-4, atol=1e-5)


def test_lbfgs_solves_least_squares_with_full_batches(sc, rng):
    x, y = _problem(rng, n=64)
    w0, w, _ = _train(LBFGS(learningrate=1.0, ncorrection=10), x, y, 30)
    best = np.linalg.lstsq(x.astype(np.float64), y.astype(np.float64), rcond=None)[0].T
    np.testing.assert_allclose(w, best, atol=1e-3)
    assert np.abs(w0 - best).max() > 0.5


def test_sgd_schedule_rates_in_training(sc, rng, tmp_path):
    x, y = _problem(rng)
    _, _, summary = _train(SGD(learningrate=0.1, leaningrate_schedule=Step(3, 0.5)), x, y, 8, tmp_path)
    rates = summary.read_scalar("LearningRate")[:, 1]
    np.testing.assert_allclose(rates, [0.1 * 0.5 ** (i // 3) for i in range(8)], rtol=1e-6)
    with pytest.raises(ValueError, match="either learningRateDecay"):
        SGD(learningrate=0.1, learningrate_decay=0.1, leaningrate_schedule=Poly(1, 10))


def test_schedules_match_closed_forms(sc):
    base = 0.2
    for it in (0, 1, 9, 10, 37, 60):
        assert Poly(0.5, 50).rate(base, it) == pytest.approx(0 if it > 50 else base * (1 - it / 50) ** 0.5)
        assert Step(10, 0.3).rate(base, it) == pytest.approx(base * 0.3 ** (it // 10))
        assert MultiStep([5, 30], 0.1).rate(base, it) == pytest.approx(base * 0.1 ** sum(it >= s for s in (5, 30)))
        assert Exponential(8, 0.7).rate(base, it) == pytest.approx(base * 0.7 ** (it / 8))
        assert NaturalExp(8, 0.4).rate(base, it) == pytest.approx(base * math.exp(-0.4 * (it // 8)))
        assert Warmup(0.05).rate(base, it) == pytest.approx(base + 0.05 * it)
        assert Default(0.1).rate(base, it) == pytest.approx(base / (1 + 0.1 * it))
    for epoch in range(1, 9):
        assert EpochStep(3, 0.5).rate(base, 0, epoch) == pytest.approx(base * 0.5 ** ((epoch - 1) // 3))
    seq = SequentialSchedule(4).add(Warmup(0.1), 4).add(Poly(1.0, 10), 10)
    assert [round(seq.rate(base, i), 6) for i in (0, 3, 4, 9, 14, 20)] == \
        [0.2, 0.5, 0.5, pytest.approx(0.25), 0.0, 0.0]
    p = Plateau("loss", factor=0.5, patience=1, mode="min", epsilon=0.0)
    assert p.rate(1.0, 0, epoch=5, losses=[1.0, 0.8, 0.9, 0.95]) == pytest.approx(0.25)
    assert p.rate(1.0, 0, epoch=4, losses=[1.0, 0.8, 0.7]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="stepSizes must be positive and strictly ascending"):
        MultiStep([5, 5], 0.1)


def test_validation_methods_match_hand_computations(sc):
    model = Identity()  # the "predictions" are the inputs themselves
    scores = np.array([0.1, 0.9, 0.3, 0.2, 0.8, 0.5, 0.7, 0.1, 0.4, 0.45, 0.1, 0.2], np.float32)[:, None]
    target = np.array([0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0], np.float32)
    hit, ndcg = model.evaluate(scores, target, 8, [HitRatio(k=2, neg_num=3), NDCG(k=3, neg_num=3)])
    # ranks of the positives: 1, 3, 1
    assert hit.result == pytest.approx(2 / 3) and hit.total_num == 3 and hit.method == "HitRatio@2"
    assert ndcg.result == pytest.approx((1 + 0.5 + 1) / 3, rel=1e-6)
    pr = model.evaluate(np.array([0.9, 0.8, 0.7, 0.6], np.float32), np.array([1, 0, 1, 0], np.float32), 3,
                        [PrecisionRecallAUC()])[0]
    assert pr.result == pytest.approx(0.5 + 0.5 * (0.5 + 2 / 3) / 2, rel=1e-6) and pr.total_num == 4
    x = np.array([[1, 2], [3, 4], [0, 0]], np.float32)
    y = np.array([[0, 2], [5, 4], [1, -1]], np.float32)
    mae = model.evaluate(x, y, 2, [MAE()])[0]
    assert mae.result == pytest.approx(np.mean(np.abs(x - y).mean(1)))
    with pytest.raises(ValueError, match="not whole groups of negNum \\+ 1 = 4"):
        model.evaluate(scores, target, 6, [HitRatio(k=2, neg_num=3)])


def test_roc_auc_matches_scikit_learn_on_tied_scores_across_batches(sc, rng):
    from sklearn.metrics import roc_auc_score

    scores = (rng.randint(0, 15, 300) / 15.0).astype(np.float32)  # many ties
    labels = (rng.rand(300) < 0.2).astype(np.float32)
    log_probs = np.log(np.stack([1 - scores * 0.98, scores * 0.98 + 0.01], 1)).astype(np.float32)
    roc, pr = Identity().evaluate(log_probs, labels, 64, [ROCAUC(), PrecisionRecallAUC()])  # 5 batches merged
    assert roc.result == pytest.approx(roc_auc_score(labels, scores), abs=1e-6) and roc.total_num == 300
    assert roc.method == "ROCAUC" and 0 < pr.result < 1
    with pytest.raises(ValueError, match="ROCAUC: label 2.0 of sample 0 is not 0 or 1"):
        Identity().evaluate(scores, np.array([2] + [0] * 299, np.float32), 64, [ROCAUC()])
