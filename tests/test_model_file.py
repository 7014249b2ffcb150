"""One model file for Scala, Python and numpy: cross loads give identical outputs, numpy reads the weights."""
import json
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

import ember
from ember.io import read_weights
from conftest import mnist_5k_path
from ember.nn.layer import Linear, LogSoftMax, Model, Sequential

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples"))
import lenet5  # noqa: E402  (the demo's model and data loading)


def read_safetensors(path):
    """A numpy-only reader of the safetensors layout, independent of Ember's own reader."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__")
    out = {}
    for name, e in header.items():
        assert e["dtype"] == "F32"
        a, b = e["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype="<f4").reshape(e["shape"])
    return out, meta


def test_numpy_reads_the_weights(sc, tmp_path):
    model = lenet5.lenet5()
    path = str(tmp_path / "lenet.ember")
    model.saveModel(path)
    tensors, meta = read_safetensors(path)
    assert meta["format"] == "ember" and json.loads(meta["model"])["class"] == "ember.nn.Sequential"
    assert list(tensors) == list(model.parameters())
    for (name, w), ref in zip(tensors.items(), model.get_weights()):
        np.testing.assert_array_equal(w, ref, err_msg=name)
    ours, _ = read_weights(path)
    assert all(np.array_equal(ours[k], tensors[k]) for k in tensors)


def test_safetensors_package_reads_the_weights_if_installed(sc, tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    model = Sequential().add(Linear(3, 4)).add(LogSoftMax())
    path = str(tmp_path / "m.ember")
    model.saveModel(path)
    loaded = st.load_file(path)
    np.testing.assert_array_equal(loaded["0.weight"], model.get_weights()[0])


def test_python_round_trip_rebuilds_python_classes(sc, rng, tmp_path):
    model = lenet5.lenet5()
    path = str(tmp_path / "m.ember")
    model.saveModel(path)
    back = Model.loadModel(path)
    assert type(back).__name__ == "Sequential"
    assert [type(m).__name__ for m in back.modules] == [type(m).__name__ for m in model.modules]
    x = rng.rand(5, 784).astype(np.float32)
    np.testing.assert_array_equal(back.forward(x), model.forward(x))


def _spark_submit(args, timeout=600):
    from pyspark.find_spark_home import _find_spark_home

    submit = os.path.join(_find_spark_home(), "bin", "spark-submit")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    cmd = [submit, "--master", "local[2]", "--driver-memory", "2g", "--class", "ember.examples.LeNet5",
           ember.jar_path(), mnist_5k_path()] + args
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return res.stdout


def test_scala_saves_python_loads_identical_outputs(sc, tmp_path):
    """The Scala example (spark-submit of the bundled jar) trains one epoch and saves; Python loads the file
    and reproduces the Scala model's outputs on all 5,000 digits."""
    path, outputs = str(tmp_path / "scala.ember"), str(tmp_path / "scala_out.f32")
    out = _spark_submit(["--epochs", "1", "--save", path, "--outputs", outputs])
    assert float(out.split("test accuracy ")[1].split()[0]) > 0.85
    x, y = lenet5.read_mnist_5k()
    scala_out = np.fromfile(outputs, dtype="<f4").reshape(len(x), 10)
    model = Model.loadModel(path)
    np.testing.assert_allclose(model.predict(x), scala_out, atol=1e-5, rtol=0)
    assert np.mean(model.predict_class(x) == y) > 0.85


def test_python_saves_scala_loads_identical_outputs(sc, tmp_path):
    model = lenet5.lenet5()
    path, outputs = str(tmp_path / "py.ember"), str(tmp_path / "py_out.f32")
    model.saveModel(path)
    _spark_submit(["--epochs", "0", "--load", path, "--outputs", outputs])
    x, _ = lenet5.read_mnist_5k()
    scala_out = np.fromfile(outputs, dtype="<f4").reshape(len(x), 10)
    np.testing.assert_allclose(model.predict(x), scala_out, atol=1e-5, rtol=0)
