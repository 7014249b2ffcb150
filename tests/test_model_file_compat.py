"""Model files written by earlier versions of Ember still load.

``tests/data/model_format_v1.ember`` was written by main at 4de2e7e (format version 1: constructor
arguments stored in order, regularizers named ``ember.optim.*``) from a small network with a
convolution, batch normalisation (running statistics, frozen), pooling, reshape, dropout and a linear
layer, two of them with regularizers and one with a name; ``model_format_v1_io.npz`` holds an input and
the output that version computed for it in evaluation mode.
"""
import os

import numpy as np

from conftest import ROOT
from ember.nn.layer import Model
from ember.nn.regularizer import L1L2Regularizer, L2Regularizer

DATA = os.path.join(ROOT, "tests", "data")


def test_a_version_1_file_loads_with_its_weights_names_regularizers_and_frozen_flag(sc, tmp_path):
    model = Model.loadModel(os.path.join(DATA, "model_format_v1.ember"))
    io = np.load(os.path.join(DATA, "model_format_v1_io.npz"))
    model.evaluate()
    np.testing.assert_allclose(model.forward(io["x"]), io["y"], rtol=1e-5, atol=1e-6)

    conv, bn, lin = model.modules[0], model.modules[1], model.modules[6]
    assert conv.name() == "conv1"
    (weight_reg,) = conv.regularizers().values()
    assert isinstance(weight_reg, L2Regularizer) and repr(weight_reg) == "L2Regularizer(l2=1.0E-4)"
    assert isinstance(lin.regularizers()["bias"], L1L2Regularizer)
    assert bn.is_frozen() and not conv.is_frozen()

    # written again, it names the regularizers where they live now, and reads back the same
    path = tmp_path / "again.ember"
    model.saveModel(str(path))
    assert b"ember.nn.L2Regularizer" in path.read_bytes() and b"ember.optim.L2Regularizer" not in path.read_bytes()
    again = Model.loadModel(str(path)).evaluate()
    np.testing.assert_allclose(again.forward(io["x"]), io["y"], rtol=1e-5, atol=1e-6)


def test_a_checkpoint_written_before_the_typed_optim_state_resumes_the_same_run(sc):
    """``checkpoint_format_v1/`` was written by main at 7bfb0a2 (optim-method state as string-keyed maps): a
    Linear(4, 2) trained with Adam and MSE on ``checkpoint_format_v1_run.npz``'s 24 samples, one batch per
    epoch, checkpointed after epoch 3; the file also holds the weights that run reached after epochs 3 and 6.
    Resumed from the checkpoint, today's code must end at the same weights: Adam's m, v and step count came
    back from the file (without them the next three steps would differ)."""
    from ember.nn.criterion import MSECriterion
    from ember.nn.layer import Linear, Sequential
    from ember.optim.optimizer import Adam, MaxEpoch, Optimizer

    run = np.load(os.path.join(DATA, "checkpoint_format_v1_run.npz"))

    def optimizer(model, epochs):
        return Optimizer.create(model=model, training_set=(run["x"], run["y"]), criterion=MSECriterion(),
                                optim_method=Adam(learningrate=0.05), end_trigger=MaxEpoch(epochs), batch_size=24, cores=1)

    resumed = Sequential().add(Linear(4, 2))  # other initial weights: all state comes from the checkpoint
    opt = optimizer(resumed, 3).resume_from(os.path.join(DATA, "checkpoint_format_v1"))
    opt.optimize(progress=False)  # three epochs are done: nothing to train
    for i, w in enumerate(resumed.get_weights()):
        np.testing.assert_array_equal(w, run[f"w_after3_{i}"])
    opt.set_end_when(MaxEpoch(6)).optimize(progress=False)
    for i, w in enumerate(resumed.get_weights()):
        np.testing.assert_allclose(w, run[f"w_after6_{i}"], rtol=1e-6, atol=1e-7)

    fresh = Sequential().add(Linear(4, 2))  # the same three steps from the same weights with a fresh Adam differ
    fresh.set_weights([run["w_after3_0"], run["w_after3_1"]])
    optimizer(fresh, 3).optimize(progress=False)
    assert not np.allclose(fresh.get_weights()[0], run["w_after6_0"], rtol=1e-6, atol=1e-7)
