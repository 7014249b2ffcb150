"""Training from Python: Optimizer.create on numpy data, validation, evaluate, optim methods, progress."""
import numpy as np
import pytest

from ember.nn.criterion import ClassNLLCriterion, CrossEntropyCriterion
from ember.nn.layer import Linear, LogSoftMax, ReLU, Sequential
from ember.optim.optimizer import (SGD, Adagrad, Adam, EveryEpoch, Loss, MaxEpoch, MaxIteration, Optimizer,
                                   RMSprop, Top1Accuracy, Top5Accuracy, TrainSummary)


def blobs(rng, n=600, classes=3):
    centers = rng.standard_normal((classes, 2)).astype(np.float32) * 4
    y = rng.randint(0, classes, n)
    x = centers[y] + rng.standard_normal((n, 2)).astype(np.float32) * 0.5
    return x.astype(np.float32), y.astype(np.float32)


def mlp(classes=3):
    return Sequential().add(Linear(2, 16)).add(ReLU()).add(Linear(16, classes)).add(LogSoftMax())


@pytest.mark.parametrize("method", [SGD(learningrate=0.1, momentum=0.9), Adam(learningrate=0.02),
                                    Adagrad(learningrate=0.2), RMSprop(learningrate=0.01)],
                         ids=["sgd", "adam", "adagrad", "rmsprop"])
def test_training_learns_separable_blobs(sc, rng, method):
    from ember.util.common import init_engine

    init_engine(seed=11)  # the initial weights must not depend on what earlier tests drew from the generator
    x, y = blobs(rng)
    model = mlp()
    before = model.evaluate(x, y, 128, [Top1Accuracy()])[0].result
    opt = Optimizer.create(model=model, training_set=(x, y), criterion=ClassNLLCriterion(), optim_method=method,
                           end_trigger=MaxEpoch(8), batch_size=32)
    trained = opt.optimize(progress=False)
    assert trained is model
    acc, loss = model.evaluate(x, y, 100, [Top1Accuracy(), Loss(ClassNLLCriterion())])
    assert acc.result > 0.95 and acc.total_num == len(x) and acc.method == "Top1Accuracy"
    assert acc.result > before
    assert loss.result < 0.3
    assert np.mean(model.predict_class(x) == y) == pytest.approx(acc.result, abs=1e-6)


def test_validation_progress_bar_and_summary(sc, rng, capsys, tmp_path):
    x, y = blobs(rng)
    model = mlp()
    summary = TrainSummary(str(tmp_path), "blobs")
    opt = Optimizer(model=model, training_rdd=(x[:500], y[:500]), criterion=ClassNLLCriterion(),
                    optim_method=SGD(learningrate=0.1), end_trigger=MaxEpoch(3), batch_size=50)
    opt.set_validation(batch_size=64, val_rdd=(x[500:], y[500:]), trigger=EveryEpoch(),
                       val_method=[Top1Accuracy(), Top5Accuracy()])
    opt.set_train_summary(summary)
    opt.optimize()
    out = capsys.readouterr().out
    for epoch in (1, 2, 3):
        assert f"epoch {epoch}: loss" in out
    assert "Top1Accuracy" in out and "samples/s" in out
    losses = summary.read_scalar("Loss")
    assert losses.shape == (30, 3) and losses[-1, 0] == 30 and np.isfinite(losses[:, 1]).all()


def test_optimize_continues_with_a_later_end_trigger(sc, rng):
    x, y = blobs(rng)
    model = mlp()
    opt = Optimizer.create(model=model, training_set=(x, y), criterion=CrossEntropyCriterion(),
                           optim_method=Adam(learningrate=0.01), end_trigger=MaxIteration(5), batch_size=60)
    opt.optimize(progress=False)
    w5 = model.get_weights()
    opt.set_end_when(MaxIteration(10))
    opt.optimize(progress=False)
    assert any(not np.array_equal(a, b) for a, b in zip(w5, model.get_weights()))


def test_same_seed_same_model(sc, rng):
    from ember.util.common import init_engine

    x, y = blobs(rng)
    weights = []
    for _ in range(2):
        init_engine(seed=99)
        model = mlp()
        Optimizer.create(model=model, training_set=(x, y), criterion=ClassNLLCriterion(), cores=1,
                         optim_method=SGD(learningrate=0.1), end_trigger=MaxIteration(7), batch_size=32).optimize(progress=False)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


def test_training_set_must_be_arrays(sc):
    with pytest.raises(ValueError, match="training_set"):
        Optimizer.create(model=mlp(), training_set=[1, 2, 3], criterion=ClassNLLCriterion())
