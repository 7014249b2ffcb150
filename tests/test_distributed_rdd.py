"""Distributed training from Python (local[2]): Optimizer on RDDs and DataFrames returns the DistriOptimizer;
validation on RDDs, checkpoints + resume, summaries, end triggers, clipping, progress lines, and errors as
Python exceptions naming the problem."""
import numpy as np
import pytest

import ember
from ember.data.rdd import to_sample_rdd
from ember.nn.criterion import ClassNLLCriterion
from ember.nn.layer import Linear, LogSoftMax, ReLU, Sequential
from ember.optim.optimizer import (SGD, Adam, EveryEpoch, MaxEpoch, MaxIteration, Optimizer, Top1Accuracy,
                                   TrainSummary, ValidationSummary)
from ember.optim.distri_optimizer import DistriOptimizer
from ember.util.common import Sample, init_engine


def blobs(rng, n=400, classes=3):
    centers = rng.standard_normal((classes, 2)).astype(np.float32) * 4
    y = rng.randint(0, classes, n)
    x = centers[y] + rng.standard_normal((n, 2)).astype(np.float32) * 0.5
    return x.astype(np.float32), y.astype(np.float32)


def mlp(seed=3, classes=3):
    init_engine(seed=seed)
    return Sequential().add(Linear(2, 16)).add(ReLU()).add(Linear(16, classes)).add(LogSoftMax())


def sample_rdd(sc, x, y, parts=2):
    return sc.parallelize(list(zip(x, y)), parts).map(lambda t: Sample.from_ndarray(t[0], t[1]))


def _short(e):
    text = str(e)
    assert "\tat " not in text and "Py4JJavaError" not in text and "Traceback" not in text and len(text) < 600, text
    return text


def test_rdd_training_learns_with_validation_progress_and_summaries(sc, rng, tmp_path, capsys):
    x, y = blobs(rng)
    model = mlp()
    opt = Optimizer(model=model, training_rdd=sample_rdd(sc, x[:300], y[:300]), criterion=ClassNLLCriterion(),
                    optim_method=SGD(learningrate=0.1, momentum=0.9), end_trigger=MaxEpoch(4), batch_size=30)
    assert isinstance(opt, DistriOptimizer)
    val = sc.parallelize(list(zip(x[300:], y[300:])), 2)
    opt.set_validation(batch_size=32, val_rdd=val, trigger=EveryEpoch(), val_method=[Top1Accuracy()])
    train_summary, val_summary = TrainSummary(str(tmp_path), "blobs"), ValidationSummary(str(tmp_path), "blobs")
    opt.set_train_summary(train_summary).set_val_summary(val_summary)
    assert opt.optimize() is model
    out = capsys.readouterr().out
    for epoch in (1, 2, 3, 4):
        assert f"epoch {epoch}: loss" in out
    assert "Top1Accuracy" in out and "samples/s" in out
    acc = model.evaluate(val, 50, [Top1Accuracy()])[0]
    assert acc.result > 0.95 and acc.total_num == 100
    assert acc.result == pytest.approx(np.mean(model.predict_class(x[300:]) == y[300:]), abs=1e-6)
    losses = train_summary.read_scalar("Loss")
    assert losses.shape == (40, 3) and losses[-1, 0] == 40 and np.isfinite(losses[:, 1]).all()
    assert losses[-5:, 1].mean() < losses[:5, 1].mean()
    scores = val_summary.read_scalar("Top1Accuracy")
    assert scores.shape == (4, 3) and list(scores[:, 0]) == [10, 20, 30, 40]
    assert scores[-1, 1] == pytest.approx(acc.result, abs=1e-6)
    # the last segment (epoch 4: validation ends each) per task, and its job outside the iterations
    profiles = [dict(kv.split("=", 1) for kv in line.split()) for line in opt.task_profiles()]
    assert profiles and all(p["iterations"] == "10" and len(p["compute_ms"].split("/")) == 4 for p in profiles)
    assert "segment_iterations=10" in opt.segment_timing()


def test_distributed_matches_local_training_on_the_same_batches(sc, rng):
    x, y = blobs(rng, n=120)
    local_model, dist_model = mlp(seed=5), mlp(seed=5)
    Optimizer.create(model=local_model, training_set=(x, y), criterion=ClassNLLCriterion(), cores=1,
                     optim_method=Adam(learningrate=0.01), end_trigger=MaxIteration(6), batch_size=24
                     ).optimize(progress=False)
    Optimizer.create(model=dist_model, training_set=sc.parallelize(list(zip(x, y)), 2), criterion=ClassNLLCriterion(),
                     optim_method=Adam(learningrate=0.01), end_trigger=MaxIteration(6), batch_size=24
                     ).optimize(progress=False)
    for a, b in zip(local_model.get_weights(), dist_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_checkpoint_and_resume_continue_the_same_run(sc, rng, tmp_path):
    x, y = blobs(rng, n=200)
    data = to_sample_rdd(sample_rdd(sc, x, y)).cache()

    def optimizer(model, epochs):
        return Optimizer(model=model, training_rdd=data, criterion=ClassNLLCriterion(),
                         optim_method=SGD(learningrate=0.05, momentum=0.9), end_trigger=MaxEpoch(epochs), batch_size=40)

    straight = mlp(seed=9)
    optimizer(straight, 3).optimize(progress=False)
    first = mlp(seed=9)
    opt = optimizer(first, 2).set_checkpoint(EveryEpoch(), str(tmp_path / "ck"))
    opt.optimize(progress=False)
    after_two = first.get_weights()
    resumed = mlp(seed=123)  # other initial weights: all state must come from the checkpoint
    again = optimizer(resumed, 2).resume_from(str(tmp_path / "ck"))
    again.optimize(progress=False)  # two epochs are done: nothing to train
    for a, b in zip(after_two, resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    again.set_end_when(MaxEpoch(3)).optimize(progress=False)
    for a, b in zip(straight.get_weights(), resumed.get_weights()):  # weights and momentum carried over
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    with pytest.raises(FileNotFoundError):
        optimizer(mlp(), 1).resume_from(str(tmp_path / "missing"))


def test_end_trigger_and_gradient_clipping(sc, rng, tmp_path):
    x, y = blobs(rng, n=160)
    rdd = sample_rdd(sc, x, y)
    model = mlp()
    before = model.get_weights()
    summary = TrainSummary(str(tmp_path), "clip")
    opt = Optimizer(model=model, training_rdd=rdd, criterion=ClassNLLCriterion(), optim_method=SGD(learningrate=1.0),
                    end_trigger=MaxEpoch(10), batch_size=20)
    opt.set_end_when(MaxIteration(3)).set_gradclip_const(-1e-6, 1e-6).set_train_summary(summary)
    opt.optimize(progress=False)
    assert summary.read_scalar("Loss").shape == (3, 3)
    change = max(np.abs(a - b).max() for a, b in zip(before, model.get_weights()))
    ulp = np.spacing(np.float32(max(np.abs(w).max() for w in before)))  # float32 rounding of each update
    assert 0 < change <= 3 * (1e-6 + ulp)  # 3 steps of lr 1 with every gradient value clamped to 1e-6
    before = model.get_weights()
    opt.disable_gradclip().set_gradclip_l2norm(1e-4).set_end_when(MaxIteration(5))
    opt.optimize(progress=False)
    delta = np.sqrt(sum(((a - b) ** 2).sum() for a, b in zip(before, model.get_weights())))
    assert 0 < delta <= 2 * 1e-4 * (1 + 1e-3)  # 2 more steps, each of L2 norm at most 1e-4


def test_dataframe_training(sc, rng):
    from pyspark.ml.linalg import Vectors
    from pyspark.sql import SparkSession

    x, y = blobs(rng, n=240)
    df = SparkSession(sc).createDataFrame([(Vectors.dense(r.tolist()), float(t)) for r, t in zip(x, y)],
                                          ["features", "label"]).repartition(2)
    model = mlp()
    Optimizer.create(model=model, training_set=df, criterion=ClassNLLCriterion(),
                     optim_method=SGD(learningrate=0.1, momentum=0.9), end_trigger=MaxEpoch(5),
                     batch_size=24).optimize(progress=False)
    assert model.evaluate(df, 64, [Top1Accuracy()])[0].result > 0.95


def test_errors_arrive_as_python_exceptions_naming_the_problem(sc, rng):
    x, y = blobs(rng, n=40)

    def train(rdd, model=None):
        return Optimizer(model=model or mlp(), training_rdd=rdd, criterion=ClassNLLCriterion(),
                         end_trigger=MaxEpoch(1), batch_size=8).optimize(progress=False)

    with pytest.raises(ValueError) as e:
        train(sc.parallelize([], 2))
    assert "training RDD is empty" in _short(e.value)
    with pytest.raises(ValueError) as e:  # labels out of range: raised inside a Spark task
        train(sample_rdd(sc, x, np.full(40, 7.0)))
    assert "label 7" in _short(e.value) and "[0, 3)" in str(e.value)
    with pytest.raises(ValueError) as e:  # features of the wrong shape for the model
        train(sample_rdd(sc, np.zeros((40, 5), np.float32), y))
    assert "Linear" in _short(e.value) and "[batch, 2]" in str(e.value)
    with pytest.raises(ValueError) as e:  # samples of different shapes
        train(sc.parallelize([(np.zeros(2), 0.0)] * 5 + [(np.zeros(3), 0.0)] * 5, 1))
    assert "inconsistent feature shapes" in _short(e.value)
    with pytest.raises(TypeError) as e:  # an element that is no sample (raised in a Python worker)
        train(sc.parallelize([(x[0], 0.0), "oops"], 1))
    assert "element 1: expected a Sample" in _short(e.value)
    with pytest.raises(ValueError) as e:  # one task per partition: more partitions than local[2] runs at once
        Optimizer(model=mlp(), training_rdd=sample_rdd(sc, x, y, parts=3), criterion=ClassNLLCriterion(),
                  end_trigger=MaxEpoch(1), batch_size=8).set_task_layout("partition").optimize(progress=False)
    assert "repartition" in _short(e.value)
    with pytest.raises(ember.EmberValueError):
        Optimizer.create(model=mlp(), training_set=sample_rdd(sc, x, y), criterion=ClassNLLCriterion(), cores=2)
    with pytest.raises(TypeError):
        Optimizer(model=mlp(), training_rdd=sample_rdd(sc, x, y), criterion=ClassNLLCriterion()).set_validation(
            8, sc.parallelize(list(zip(x, y)), 2), val_method=["Top1Accuracy"])


def test_task_layout_and_deterministic_split(sc, rng):
    x, y = blobs(rng, n=160)

    def train(layout, deterministic):
        model = mlp(seed=4)
        opt = Optimizer(model=model, training_rdd=sc.parallelize(list(zip(x, y)), 2), criterion=ClassNLLCriterion(),
                        optim_method=SGD(learningrate=0.1, momentum=0.9), end_trigger=MaxEpoch(3), batch_size=32)
        opt.set_task_layout(layout).set_deterministic(deterministic).optimize(progress=False)
        return model.get_weights()

    fixed = train("partition", True)
    for a, b in zip(fixed, train("partition", True)):  # fixed shares repeat bitwise
        np.testing.assert_array_equal(a, b)
    for a, b in zip(fixed, train("partition", False)):  # chunks claimed as they go: the same to float rounding
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    model = mlp(seed=4)  # the default layout: one task with a replica per core, samples shuffled once
    Optimizer(model=model, training_rdd=sc.parallelize(list(zip(x, y)), 2), criterion=ClassNLLCriterion(),
              optim_method=SGD(learningrate=0.1, momentum=0.9), end_trigger=MaxEpoch(3), batch_size=32
              ).set_task_layout("executor").optimize(progress=False)
    assert (model.predict_class(x) == y).mean() > 0.9
    with pytest.raises(ValueError, match="executor"):
        Optimizer(model=mlp(), training_rdd=sample_rdd(sc, x, y), criterion=ClassNLLCriterion(),
                  end_trigger=MaxEpoch(1), batch_size=32).set_task_layout("node")
