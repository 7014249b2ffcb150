"""Python inside the JVM through jep (ember.jep): PythonModule, Lambda and PythonCriterion against numpy, local and
distributed training through them (the JVM's embedded interpreter runs the functions, no Python worker), the model
file's trust rule, and the errors for functions the JVM cannot import."""
import numpy as np
import pytest

from ember import errors
from ember.jep import functions
from ember.jep import function_ref
from ember.nn.criterion import MSECriterion, PythonCriterion
from ember.nn.layer import Lambda, Linear, Model, PythonModule, Sequential, Sigmoid
from ember.optim.optimizer import SGD, MaxEpoch, Optimizer


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_python_module_forward_and_backward_match_numpy(sc, rng):
    m = PythonModule(functions.swish, functions.swish_backward)
    x = rng.randn(4, 6).astype(np.float32)
    g = rng.randn(4, 6).astype(np.float32)
    np.testing.assert_allclose(m.forward(x), x * _sigmoid(x), rtol=1e-5, atol=1e-6)
    s = _sigmoid(x)
    np.testing.assert_allclose(m.backward(x, g), g * (s + x * s * (1 - s)), rtol=1e-5, atol=1e-6)


def test_lambda_gradient_is_derived_from_element_indices(sc, rng):
    m = Lambda(functions.reverse_time)
    x = rng.randn(2, 5, 3).astype(np.float32)
    g = rng.randn(2, 5, 3).astype(np.float32)
    np.testing.assert_array_equal(m.forward(x), x[:, ::-1])
    np.testing.assert_array_equal(m.backward(x, g), g[:, ::-1])


def test_python_criterion_matches_numpy(sc, rng):
    c = PythonCriterion(functions.mse_loss, functions.mse_gradient)
    x, t = rng.randn(3, 4).astype(np.float32), rng.randn(3, 4).astype(np.float32)
    assert abs(c.forward(x, t) - np.mean((x - t) ** 2)) < 1e-5
    np.testing.assert_allclose(c.backward(x, t), 2 * (x - t) / x.size, rtol=1e-5, atol=1e-7)


def _data(rng, n=256):
    x = rng.uniform(-1, 1, (n, 3)).astype(np.float32)
    return x, (x @ np.array([0.5, -1.0, 0.25], np.float32) > 0).astype(np.float32)


def _model():
    return (Sequential().add(Linear(3, 8)).add(PythonModule(functions.swish, functions.swish_backward))
            .add(Linear(8, 1)).add(Sigmoid()))


def _trained_loss(model, data, criterion):
    opt = Optimizer.create(model, data, criterion, MaxEpoch(30), 32, SGD(learningrate=0.5))
    opt.optimize(progress=False)
    return model


def test_trains_locally_and_distributed_through_python_layers(sc, rng):
    x, y = _data(rng)
    for data in [(x, y[:, None]), sc.parallelize([(r, np.array([t], np.float32)) for r, t in zip(x, y)], 2)]:
        model = _model()
        before = MSECriterion().forward(model.predict(x), y[:, None])
        _trained_loss(model, data, PythonCriterion(functions.mse_loss, functions.mse_gradient))
        after = MSECriterion().forward(model.predict(x), y[:, None])
        assert after < before / 3, (type(data).__name__, before, after)
        assert np.mean((model.predict(x)[:, 0] > 0.5) == (y > 0.5)) > 0.9


def test_model_file_needs_trust_to_load_python_code(sc, rng, tmp_path):
    model = _model()
    path = str(tmp_path / "python_layers.ember")
    model.saveModel(path)
    with pytest.raises(errors.ModelFileError, match=r"modules ember\.jep\.functions.*trust_python_code=True"):
        Model.loadModel(path)
    loaded = Model.loadModel(path, trust_python_code=True)
    x = rng.randn(5, 3).astype(np.float32)
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), atol=1e-6)


def _nested():
    def inner(x):
        return x
    return inner


def test_functions_the_jvm_cannot_import_are_refused(sc):
    with pytest.raises(ValueError, match="lambda or a nested function"):
        PythonModule(lambda x: x)
    with pytest.raises(ValueError, match="nested function"):
        PythonModule(_nested())
    fake_main = _nested()
    fake_main.__module__, fake_main.__qualname__ = "__main__", "f"
    with pytest.raises(ValueError, match="__main__"):
        function_ref(fake_main)
    with pytest.raises(TypeError, match="expected a function"):
        PythonModule(3)
    with pytest.raises(errors.EmberError, match="no_such_function"):
        PythonModule("ember.jep.functions:no_such_function").forward(np.zeros((1, 2), np.float32))


def test_saved_spark_ml_stage_needs_the_trust_setting(sc, rng, tmp_path):
    from pyspark.ml.linalg import Vectors
    from pyspark.sql import SparkSession

    from ember.ml import NNModel

    spark = SparkSession.builder.getOrCreate()
    x = rng.randn(4, 3).astype(np.float32)
    df = spark.createDataFrame([(Vectors.dense(r.tolist()),) for r in x], ["features"])
    net = _model()
    path = str(tmp_path / "stage")
    NNModel(net, feature_size=[3]).write().save(path)
    with pytest.raises(Exception, match=r"modules ember\.jep\.functions.*spark\.ember\.trustPythonCode=true"):
        NNModel.load(path)
    spark.conf.set("spark.ember.trustPythonCode", "true")
    try:
        out = NNModel.load(path).transform(df).collect()
    finally:
        spark.conf.unset("spark.ember.trustPythonCode")
    np.testing.assert_allclose(np.array([r.prediction for r in out]).reshape(-1), net.predict(x)[:, 0], atol=1e-5)
