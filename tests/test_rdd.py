"""Spark data from Python: RDDs and DataFrames to JVM samples, distributed predict / predict_class / evaluate,
and errors raised inside Spark tasks arriving as short Python exceptions."""
import numpy as np
import pytest

import ember
from ember.data.rdd import SampleRDD, from_dataframe, to_sample_rdd
from ember.nn.criterion import ClassNLLCriterion
from ember.nn.layer import Identity, Linear, LogSoftMax, Reshape, Sequential
from ember.optim.optimizer import Loss, Top1Accuracy
from ember.util.common import Sample


def _short(e):
    text = str(e)
    assert "\tat " not in text and "Py4JJavaError" not in text and "Traceback" not in text and len(text) < 600, text
    return text


def data(rng, n=90, d=6, classes=3):
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x, (np.arange(n) % classes).astype(np.float32)


def classifier(d=6, classes=3):
    return Sequential().add(Linear(d, classes)).add(LogSoftMax())


def test_samples_tuples_and_arrays_reach_the_jvm_intact(sc, rng):
    x, y = data(rng)
    rdd = sc.parallelize(list(zip(x, y)), 3).map(lambda t: Sample.from_ndarray(t[0].reshape(2, 3), t[1]))
    samples = to_sample_rdd(rdd).cache()
    assert isinstance(samples, SampleRDD) and samples.count() == len(x) and samples.num_partitions() == 3
    # Identity returns the features: values, per-sample shape and order survive the trip and the way back
    out = Identity().predict(samples, batch_size=7).collect()
    assert len(out) == len(x) and all(o.shape == (2, 3) and o.dtype == np.float32 for o in out)
    np.testing.assert_array_equal(np.stack(out), x.reshape(-1, 2, 3))
    bare = Identity().predict(sc.parallelize(list(x), 4)).collect()  # bare feature arrays (no labels)
    np.testing.assert_array_equal(np.stack(bare), x)


def test_chunks_split_where_shapes_change(sc):
    from ember import _convert

    records = [(np.ones(3), 0), (np.ones(3), 1), (np.ones(4), 0)] + [(np.zeros(2), 1)] * 5
    packed = list(_convert.pack_samples(iter(records), chunk_samples=3))
    assert len(packed) == 4  # [3-vectors x2], [4-vector], [2-vectors x3], [2-vectors x2]
    with pytest.raises(ValueError) as e:
        Linear(3, 2).predict(sc.parallelize([np.ones(3), np.ones(4)], 1)).collect()
    assert "inconsistent feature shapes" in _short(e.value)


def test_predict_keeps_the_per_sample_output_shape(sc, rng):
    x, _ = data(rng, n=25)
    model = Sequential().add(Linear(6, 6)).add(Reshape([3, 2]))
    out = model.predict(sc.parallelize(list(x), 2), batch_size=4).collect()
    assert [o.shape for o in out] == [(3, 2)] * 25
    np.testing.assert_allclose(np.stack(out), model.predict(x), rtol=1e-6, atol=1e-6)


def test_predict_class_and_evaluate_match_the_numpy_paths(sc, rng):
    x, y = data(rng)
    model = classifier()
    rdd = sc.parallelize(list(zip(x, y)), 3)
    classes = model.predict_class(rdd, batch_size=16).collect()
    assert all(isinstance(c, int) for c in classes)
    np.testing.assert_array_equal(classes, model.predict_class(x))
    dist = model.evaluate(rdd, 16, [Top1Accuracy(), Loss(ClassNLLCriterion())])
    local = model.evaluate(x, y, 16, [Top1Accuracy(), Loss(ClassNLLCriterion())])
    assert [r.method for r in dist] == ["Top1Accuracy", "Loss"] and dist[0].total_num == len(x)
    assert dist[0].result == pytest.approx(local[0].result, abs=1e-7)
    assert dist[1].result == pytest.approx(local[1].result, rel=1e-5)
    assert dist[0].result == pytest.approx(np.mean(model.predict_class(x) == y), abs=1e-7)
    assert model.evaluate(val_rdd=rdd, batch_size=32)[0].result == pytest.approx(local[0].result, abs=1e-7)


def test_dataframes_with_vector_and_array_columns(sc, rng):
    from pyspark.ml.linalg import Vectors
    from pyspark.sql import SparkSession

    spark = SparkSession(sc)
    x, y = data(rng, n=40, d=4)
    model = Sequential().add(Reshape([4])).add(Linear(4, 3)).add(LogSoftMax())
    expected = model.evaluate(x, y, 8, [Top1Accuracy()])[0].result
    vec = spark.createDataFrame([(Vectors.dense(r.tolist()), float(t)) for r, t in zip(x, y)], ["features", "label"])
    assert model.evaluate(vec, 8, [Top1Accuracy()])[0].result == pytest.approx(expected, abs=1e-7)
    arr = spark.createDataFrame([(r.reshape(2, 2).tolist(), int(t)) for r, t in zip(x, y)], ["pixels", "digit"])
    samples = from_dataframe(arr, "pixels", "digit", feature_shape=(2, 2))
    assert samples.count() == 40
    assert model.evaluate(samples, 8, [Top1Accuracy()])[0].result == pytest.approx(expected, abs=1e-7)
    shapes = Identity().predict(from_dataframe(arr, "pixels", None, feature_shape=(2, 2))).collect()
    np.testing.assert_allclose(np.stack(shapes), x.reshape(-1, 2, 2), rtol=1e-6)
    with pytest.raises(ValueError) as e:
        from_dataframe(arr, "features", "digit")
    assert "no features column 'features'" in _short(e.value) and "pixels" in str(e.value)
    with pytest.raises(ValueError) as e:
        from_dataframe(arr, "pixels", "digit", feature_shape=(3, 3)).count()
    assert "does not fit the feature shape [3, 3]" in _short(e.value)


def test_errors_inside_spark_tasks_arrive_as_python_exceptions(sc, rng):
    x, y = data(rng, n=30)
    model = classifier()
    # a JVM exception in a task (SparkException wrapping IllegalArgumentException)
    with pytest.raises(ember.EmberValueError) as e:
        model.evaluate(sc.parallelize([(r, 7.0) for r in x], 2), 8, [Top1Accuracy()])
    assert "label 7.0" in _short(e.value) and "[0, 3)" in str(e.value)
    assert e.value.java_stacktrace and "SparkException" in e.value.java_stacktrace
    with pytest.raises(ValueError) as e:
        model.predict(sc.parallelize(list(rng.rand(10, 5)), 2)).collect()
    assert "Linear" in _short(e.value) and "[batch, 6]" in str(e.value)
    # a Python exception in a Python worker (PythonException with a traceback)
    with pytest.raises(TypeError) as e:
        to_sample_rdd(sc.parallelize(["a", "b"], 1)).count()
    assert "partition 0, element 0: expected a Sample" in _short(e.value)
    bad = x.copy()
    bad[17, 2] = np.inf
    with pytest.raises(ValueError) as e:
        to_sample_rdd(sc.parallelize(list(zip(bad, y)), 2)).count()
    assert "partition 1, element 2" in _short(e.value) and "NaN or infinity" in str(e.value)
    with pytest.raises(ValueError) as e:
        model.evaluate(sc.parallelize([], 2), 8)
    assert "empty" in _short(e.value)
    with pytest.raises(TypeError):
        to_sample_rdd([(x[0], 1)])


@pytest.mark.parametrize("statement", ["import ember.optim.distri_optimizer", "import ember.optim.predictor",
                                       "from ember.optim.optimizer import DistriOptimizer",
                                       "from ember.nn.layer import Linear; import ember.optim.predictor"])
def test_imports_in_any_order(statement):
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-c", statement], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]


def test_spark_submit_settings_are_kept_and_python_rdds_reach_the_jvm(tmp_path):
    """A Python program under spark-submit keeps its --master (init_engine's local[*] default must not replace
    it) and moves RDD samples to the JVM (the Python workers import ember)."""
    import os
    import subprocess
    import sys

    from pyspark.find_spark_home import _find_spark_home

    script = tmp_path / "app.py"
    script.write_text(
        "import numpy as np\n"
        "from pyspark import SparkConf\n"
        "from ember.util.common import init_engine\n"
        "from ember.nn.layer import Identity\n"
        "sc = init_engine(conf=SparkConf().set('spark.ui.showConsoleProgress', 'false'))\n"
        "out = Identity().predict(sc.parallelize([np.full(3, i, np.float32) for i in range(6)], 2)).collect()\n"
        "print('RESULT', sc.master, [float(o[0]) for o in out])\n")
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable)
    res = subprocess.run([os.path.join(_find_spark_home(), "bin", "spark-submit"), "--master", "local[1]",
                          "--conf", "spark.ui.enabled=false", "--jars", ember.jar_path(), "--driver-class-path",
                          ember.jar_path(), str(script)], capture_output=True, text=True, env=env, timeout=600)
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("RESULT")]
    assert res.returncode == 0 and lines, res.stderr[-3000:]
    assert lines[0] == "RESULT local[1] [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]"
