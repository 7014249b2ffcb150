"""What a user does around optimize(): ranking metrics on NeuralCF's output, validation checked at
set_validation, the per-epoch mean loss, optimize() again after set_end_when, fresh training data between
runs keeping the optim-method state, early stopping that keeps the best model."""
import re

import numpy as np
import pytest

from ember.nn.criterion import ClassNLLCriterion
from ember.nn.layer import Linear, LogSoftMax, Sequential
from ember.optim.optimizer import (NDCG, SGD, Adam, EarlyStopping, HitRatio, Loss, MaxEpoch, Optimizer, TrainSummary,
                                   TriggerOr, ValidationSummary)


def _data(rng, n=64):
    x = rng.rand(n, 4).astype(np.float32)
    return x, (x[:, 0] > 0.5).astype(np.float32)


def test_hit_ratio_and_ndcg_rank_two_class_output_by_the_positive_class(sc):
    # two users, 1 positive + 3 negatives each; log-probabilities (N, 2) as NeuralCF outputs
    p = np.array([0.9, 0.2, 0.95, 0.1, 0.3, 0.8, 0.1, 0.2], np.float32)
    out = np.log(np.stack([1 - p, p], axis=1))
    y = np.array([1, 0, 0, 0, 1, 0, 0, 0], np.float32)
    model = Sequential().add(LogSoftMax())  # log-softmax of log-probabilities is the identity here
    logits = out
    (hr1,) = model.evaluate(logits, y, batch_size=8, methods=[HitRatio(k=1, neg_num=3)])
    (hr2,) = model.evaluate(logits, y, batch_size=8, methods=[HitRatio(k=2, neg_num=3)])
    (ndcg,) = model.evaluate(logits, y, batch_size=8, methods=[NDCG(k=3, neg_num=3)])
    # user 0's positive ranks 2nd (0.95 beats 0.9), user 1's ranks 2nd (0.8 beats 0.3)
    assert hr1.result == pytest.approx(0.0) and hr2.result == pytest.approx(1.0)
    assert ndcg.result == pytest.approx(1 / np.log2(3), rel=1e-5)


def test_set_validation_checks_methods_against_the_output_at_once(sc, rng):
    x, y = _data(rng)
    opt = Optimizer.create(model=Sequential().add(Linear(4, 3)).add(LogSoftMax()), training_set=(x, y),
                           criterion=ClassNLLCriterion(), end_trigger=MaxEpoch(1), batch_size=16)
    with pytest.raises(ValueError) as e:
        opt.set_validation(batch_size=16, val_rdd=(x, y), val_method=[HitRatio(k=1, neg_num=4)])
    assert "HitRatio@1 does not fit the model's output" in str(e.value) and "[16, 3]" in str(e.value)


def test_epoch_line_shows_the_epochs_mean_loss_and_a_second_run_prints_only_new_epochs(sc, rng, tmp_path, capsys):
    x, y = _data(rng)
    model = Sequential().add(Linear(4, 2)).add(LogSoftMax())
    opt = Optimizer.create(model=model, training_set=(x, y), criterion=ClassNLLCriterion(), end_trigger=MaxEpoch(2),
                           optim_method=SGD(learningrate=0.5), batch_size=16)
    summary = TrainSummary(str(tmp_path), "mean-loss")
    opt.set_train_summary(summary)
    opt.optimize(progress=True)
    out = capsys.readouterr().out
    printed = [float(v) for v in re.findall(r"epoch \d+: loss ([0-9.]+)", out)]
    losses = np.array([v for _, v, *_ in summary.read_scalar("Loss")], np.float64)
    assert len(printed) == 2 and len(losses) == 8
    np.testing.assert_allclose(printed, [losses[:4].mean(), losses[4:].mean()], atol=6e-5)  # 4 equal batches each
    opt.set_end_when(MaxEpoch(3))
    opt.optimize(progress=True)
    out = capsys.readouterr().out
    assert re.findall(r"epoch (\d+): loss", out) == ["3"], out


def test_new_training_data_keeps_the_optim_method_state(sc, rng):
    x, y = _data(rng)

    def make():
        return Sequential().add(Linear(4, 2)).add(LogSoftMax()).set_weights(
            [np.full((2, 4), 0.1, np.float32), np.zeros(2, np.float32)])

    def optimizer(model, epochs):
        return Optimizer.create(model=model, training_set=(x, y), criterion=ClassNLLCriterion(), cores=1,
                                end_trigger=MaxEpoch(epochs), optim_method=Adam(learningrate=0.05), batch_size=16) \
            .set_seed(3).set_deterministic()

    straight = make()
    optimizer(straight, 2).optimize(progress=False)
    split = make()
    opt = optimizer(split, 1)
    opt.optimize(progress=False)
    opt.set_traindata((x.copy(), y.copy()), batch_size=16).set_end_when(MaxEpoch(2))
    opt.optimize(progress=False)
    for a, b in zip(straight.get_weights(), split.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="batch_size"):
        opt.set_traindata((x, y), batch_size=8)


def test_new_distributed_training_data_is_what_the_next_run_trains_on(sc, rng):
    # all-zero features give a bias-free linear model zero gradients: if the second run still read the first
    # data (the DistriOptimizer's cached partitions), its weights would move
    from ember.nn.criterion import MSECriterion

    x = rng.rand(64, 4).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5], [3.0]], np.float32)
    model = Sequential().add(Linear(4, 1, with_bias=False))
    opt = Optimizer(model=model, training_rdd=sc.parallelize(list(zip(x, y)), 2), criterion=MSECriterion(),
                    optim_method=SGD(learningrate=0.1), end_trigger=MaxEpoch(1), batch_size=16)
    before = model.get_weights()[0].copy()
    opt.optimize(progress=False)
    after_first = model.get_weights()[0].copy()
    assert np.abs(after_first - before).max() > 1e-3
    zeros = sc.parallelize([(np.zeros(4, np.float32), t) for t in y], 2)
    opt.set_traindata(zeros).set_end_when(MaxEpoch(2))
    opt.optimize(progress=False)
    np.testing.assert_array_equal(model.get_weights()[0], after_first)


def test_parameters_with_gradients(sc, rng):
    x = rng.rand(5, 4).astype(np.float32)
    g = rng.rand(5, 3).astype(np.float32)
    m = Linear(4, 3)
    m.zero_grad_parameters()
    m.forward(x)
    m.backward(x, g)
    params = m.parameters(with_gradients=True)
    assert list(params) == ["weight", "bias"]
    np.testing.assert_allclose(params["weight"]["gradient"], g.T @ x, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(params["bias"]["gradient"], g.sum(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(params["weight"]["weight"], m.get_weights()[0])


def test_early_stopping_stops_after_patience_and_restores_the_best_weights(sc, rng, tmp_path):
    # validation labels are the training labels flipped: the better the model learns, the worse its validation
    # loss, so the best validation comes early and training must stop `patience` validations later
    x, y = _data(rng)
    model = Sequential().add(Linear(4, 2)).add(LogSoftMax())
    stop = EarlyStopping(patience=2, monitor="Loss")
    opt = Optimizer.create(model=model, training_set=(x, y), criterion=ClassNLLCriterion(), batch_size=16,
                           end_trigger=TriggerOr(MaxEpoch(30), stop), optim_method=SGD(learningrate=0.5))
    opt.set_validation(batch_size=64, val_rdd=(x, 1 - y), val_method=[Loss(ClassNLLCriterion())])
    summary = ValidationSummary(str(tmp_path), "early-stopping")
    opt.set_val_summary(summary)
    opt.optimize(progress=False)
    scores = [v for _, v, *_ in summary.read_scalar("Loss")]
    best = int(np.argmin(scores))
    assert len(scores) == best + 1 + 2 < 30, scores  # stopped 2 validations after the best
    assert stop.best_score == pytest.approx(scores[best], rel=1e-6) and stop.best_iteration == 4 * (best + 1)
    (restored,) = model.evaluate(x, 1 - y, batch_size=64, methods=[Loss(ClassNLLCriterion())])
    assert restored.result == pytest.approx(scores[best], rel=1e-5) and restored.result < scores[-1]
    with pytest.raises(ValueError, match="patience must be >= 0"):
        EarlyStopping(patience=-1)
    with pytest.raises(TypeError, match="restore_best_weights"):
        EarlyStopping(restore_best_weights="yes")
