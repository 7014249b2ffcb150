"""Reference models from Python: parameter counts of the published architectures, shapes, training."""
import numpy as np

from ember.models import InceptionV1, LeNet5, LstmClassifier, NeuralCF, ResNet, Seq2Seq, TextCNN, Vgg16
from ember.nn.criterion import ClassNLLCriterion
from ember.nn.layer import Graph, Model
from ember.optim.optimizer import SGD, MaxIteration, Optimizer


def test_parameter_counts(sc):
    assert LeNet5(10).n_parameters() == 22278
    assert ResNet(10, 20).n_parameters() == 269722
    assert InceptionV1(1000).n_parameters() == 6998552
    assert TextCNN(20, 100, 1000).n_parameters() == 243144
    assert LstmClassifier(20, 100, 128).n_parameters() == 132168
    assert NeuralCF(6040, 3706, 5).n_parameters() == 392665
    assert Vgg16(10, 32, 64).n_parameters() == 14714688 + 512 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10


def test_shapes(sc, rng):
    assert isinstance(ResNet(10), Graph)
    assert ResNet(10).forward(rng.standard_normal((2, 3, 32, 32))).shape == (2, 10)
    assert TextCNN(4, 8, 150, vocab_size=30).forward(rng.randint(0, 30, (3, 150))).shape == (3, 4)
    assert LstmClassifier(4, 8, 16, vocab_size=30).forward(rng.randint(0, 30, (3, 9))).shape == (3, 4)
    out = Seq2Seq(11, 13, 8, 16).forward([rng.randint(0, 11, (2, 5)), rng.randint(0, 13, (2, 4))])
    assert out.shape == (2, 4, 13)
    np.testing.assert_allclose(np.exp(out).sum(-1), 1, rtol=1e-5)


def test_neural_cf_trains_and_reloads(sc, rng, tmp_path):
    x = np.stack([rng.randint(0, 30, 256), rng.randint(0, 20, 256)], 1).astype(np.float32)
    y = ((x[:, 0] + x[:, 1]) % 5).astype(np.float32)
    model = NeuralCF(30, 20, 5)
    crit = ClassNLLCriterion()
    before = crit.forward(model.evaluate().forward(x), y)
    model.training()
    Optimizer.create(model=model, training_set=(x, y), criterion=crit, optim_method=SGD(learningrate=0.2, momentum=0.9),
                     end_trigger=MaxIteration(40), batch_size=64).optimize()
    after = crit.forward(model.evaluate().forward(x), y)
    assert after < before
    path = str(tmp_path / "ncf.ember")
    model.saveModel(path)
    back = Model.loadModel(path)
    np.testing.assert_array_equal(back.evaluate().forward(x), model.forward(x))
