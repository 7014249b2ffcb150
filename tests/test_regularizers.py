"""Regularizers from Python: penalty values against numpy, attachment, model file, effect on training."""
import numpy as np
import pytest

from ember.nn.criterion import ClassNLLCriterion
from ember.nn.layer import Linear, LogSoftMax, Model, ReLU, Sequential, SpatialConvolution
from ember.optim.optimizer import L1L2Regularizer, L1Regularizer, L2Regularizer, MaxEpoch, Optimizer, SGD


def test_penalties_match_numpy(sc, rng):
    w = rng.standard_normal((3, 4)).astype(np.float32)
    l1, l2 = np.abs(w).sum(dtype=np.float64), (w.astype(np.float64) ** 2).sum()
    assert L1Regularizer(0.3).loss(w) == pytest.approx(0.3 * l1, rel=1e-6)
    assert L2Regularizer(0.2).loss(w) == pytest.approx(0.1 * l2, rel=1e-6)
    assert L1L2Regularizer(0.3, 0.2).loss(w) == pytest.approx(0.3 * l1 + 0.1 * l2, rel=1e-6)


def test_regularizers_attach_and_survive_the_model_file(sc, tmp_path):
    fc = Linear(4, 3, wRegularizer=L2Regularizer(1e-4), bRegularizer=L1Regularizer(0.01))
    conv = SpatialConvolution(1, 2, 3, 3, wRegularizer=L1L2Regularizer(0.1, 0.2))
    model = Sequential().add(fc).add(ReLU())
    regs = fc.regularizers()
    assert set(regs) == {"weight", "bias"} and isinstance(regs["weight"], L2Regularizer)
    assert repr(conv.regularizers()["weight"]) == "L1L2Regularizer(l1=0.1, l2=0.2)"
    path = str(tmp_path / "m.ember")
    model.saveModel(path)
    back = Model.loadModel(path)
    assert {k: repr(v) for k, v in back[0].regularizers().items()} == \
        {"weight": "L2Regularizer(l2=1.0E-4)", "bias": "L1Regularizer(l1=0.01)"}
    fc.set_regularizer("bias", None)
    assert list(fc.regularizers()) == ["weight"]


def test_bad_regularizer_arguments(sc):
    with pytest.raises(ValueError, match="l2 must be a finite value >= 0"):
        L2Regularizer(-1.0)
    with pytest.raises(ValueError, match="no parameter 'weight' to regularize"):
        ReLU().set_regularizer("weight", L2Regularizer(0.1))
    with pytest.raises(TypeError, match="expected a Regularizer"):
        Linear(2, 2, wRegularizer=0.1)


def test_l2_shrinks_weights_in_training(sc, rng):
    from ember.util.common import init_engine

    x = rng.standard_normal((240, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.float32)
    norms = []
    for reg in (None, L2Regularizer(0.05)):
        init_engine(seed=21)
        fc = Linear(4, 2, wRegularizer=reg)
        model = Sequential().add(fc).add(LogSoftMax())
        Optimizer.create(model=model, training_set=(x, y), criterion=ClassNLLCriterion(), cores=1,
                         optim_method=SGD(learningrate=0.5), end_trigger=MaxEpoch(10),
                         batch_size=24).optimize(progress=False)
        norms.append(float((fc.get_weights()[0] ** 2).sum()))
    assert norms[1] < 0.8 * norms[0], norms
