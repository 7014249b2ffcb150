"""Initialisation methods (BigDL's set_init_method) against their distributions, and LookupTable's default."""
import numpy as np
import pytest

from ember.nn.initialization_method import ConstInitMethod, MsraFiller, Ones, RandomNormal, RandomUniform, Xavier, Zeros
from ember.nn.layer import Linear, LookupTable, Sequential, SpatialConvolution


def test_constant_methods_and_none_keeps_a_parameter(sc):
    m = Linear(5, 4).set_init_method(Zeros(), Ones())
    w, b = m.get_weights()
    assert (w == 0).all() and (b == 1).all()
    m.set_init_method(None, ConstInitMethod(0.25))
    assert (m.get_weights()[0] == 0).all() and (m.get_weights()[1] == 0.25).all()


def test_random_methods_follow_their_distributions_with_the_weights_fans(sc):
    # conv weight (out=16, in=8, 5, 5): fan_in = 200, fan_out = 400
    conv = SpatialConvolution(8, 16, 5, 5)
    w = conv.set_init_method(Xavier()).get_weights()[0]
    bound = np.sqrt(6.0 / (200 + 400))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.std(w) == pytest.approx(bound / np.sqrt(3), rel=0.06)
    w = conv.set_init_method(MsraFiller()).get_weights()[0]
    assert np.std(w) == pytest.approx(np.sqrt(2.0 / 400), rel=0.06) and abs(np.mean(w)) < 0.01
    w = conv.set_init_method(MsraFiller(False)).get_weights()[0]
    assert np.std(w) == pytest.approx(np.sqrt(2.0 / 200), rel=0.06)
    w = conv.set_init_method(RandomUniform()).get_weights()[0]
    assert np.abs(w).max() <= 1 / np.sqrt(200) and np.abs(w).max() > 0.95 / np.sqrt(200)
    w = conv.set_init_method(RandomUniform(3.0, 2.0)).get_weights()[0]
    assert w.min() >= 2.0 and w.max() < 3.0 and np.mean(w) == pytest.approx(2.5, abs=0.03)
    w = conv.set_init_method(RandomNormal(1.0, 0.5)).get_weights()[0]
    assert np.mean(w) == pytest.approx(1.0, abs=0.03) and np.std(w) == pytest.approx(0.5, rel=0.06)


def test_containers_apply_to_every_layer(sc):
    model = Sequential().add(Linear(3, 4)).add(Linear(4, 2)).set_init_method(Ones(), Zeros())
    for i, w in enumerate(model.get_weights()):
        assert (w == (1 if i % 2 == 0 else 0)).all()


def test_bad_methods_are_refused(sc):
    with pytest.raises(TypeError, match="weight_init_method"):
        Linear(2, 2).set_init_method("xavier")
    with pytest.raises(ValueError, match="both upper and lower"):
        RandomUniform(1.0)
    with pytest.raises(ValueError, match="stdv"):
        RandomNormal(0, -1)


def test_lookup_table_starts_at_a_small_scale(sc):
    w = LookupTable(2000, 50).get_weights()[0]
    assert np.std(w) == pytest.approx(0.1, rel=0.03) and abs(np.mean(w)) < 0.005


def test_model_builders_take_init_arguments(sc):
    from ember.models import LeNet5, NeuralCF

    assert all((w == 1).all() for w in LeNet5(10, init=Ones()).get_weights()[::2])
    ncf = NeuralCF(50, 40, 2, embedding_init=RandomNormal(0, 1.0))
    emb = [w for w in ncf.get_weights() if w.ndim == 2 and w.shape in ((50, 20), (40, 20))]  # the 4 embeddings
    assert len(emb) == 4 and all(np.std(w) == pytest.approx(1.0, rel=0.15) for w in emb)
