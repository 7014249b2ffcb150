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
