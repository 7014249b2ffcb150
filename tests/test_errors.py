"""Bad input gives a Python exception whose message names the problem, never a Java stack dump."""
import json
import os
import struct

import numpy as np
import pytest

import ember
from ember.nn.criterion import ClassNLLCriterion, MSECriterion
from ember.nn.layer import Linear, LogSoftMax, Model, Sequential
from ember.optim.optimizer import SGD, MaxEpoch, Optimizer


def _short(e):
    text = str(e)
    assert "\tat " not in text and "Py4JJavaError" not in text and len(text) < 600, text
    return text


def test_wrong_input_shape(sc):
    model = Sequential().add(Linear(4, 2))
    with pytest.raises(ember.EmberValueError) as e:
        model.forward(np.zeros((3, 5), np.float32))
    assert "Linear" in _short(e.value) and "[3, 5]" in str(e.value)
    assert isinstance(e.value, ValueError)


def test_label_outside_classes(sc):
    with pytest.raises(ValueError) as e:
        ClassNLLCriterion().forward(np.zeros((2, 3), np.float32), np.array([0, 3]))
    assert "outside [0, 3)" in _short(e.value)


def test_label_outside_classes_while_training(sc, rng):
    x = rng.rand(20, 4).astype(np.float32)
    model = Sequential().add(Linear(4, 3)).add(LogSoftMax())
    opt = Optimizer.create(model=model, training_set=(x, np.full(20, 5.0)), criterion=ClassNLLCriterion(),
                           end_trigger=MaxEpoch(1), batch_size=5)
    with pytest.raises(ValueError) as e:
        opt.optimize(progress=False)
    assert "label 5" in _short(e.value) and "[0, 3)" in str(e.value)


def test_nan_in_training_data(sc, rng):
    x = rng.rand(20, 4).astype(np.float32)
    x[7, 2] = np.nan
    with pytest.raises(ValueError) as e:
        Optimizer.create(model=Sequential().add(Linear(4, 2)), training_set=(x, np.zeros(20)),
                         criterion=ClassNLLCriterion(), batch_size=5)
    assert "sample 7" in _short(e.value) and "NaN" in str(e.value)


def test_diverging_loss_stops_training_with_last_good_weights(sc, rng):
    x = rng.standard_normal((64, 4)).astype(np.float32) * 10
    y = rng.standard_normal((64, 1)).astype(np.float32) * 10
    model = Sequential().add(Linear(4, 1))
    opt = Optimizer.create(model=model, training_set=(x, y), criterion=MSECriterion(), end_trigger=MaxEpoch(50),
                           optim_method=SGD(learningrate=10.0), batch_size=8)
    with pytest.raises(ArithmeticError) as e:
        opt.optimize(progress=False)
    assert isinstance(e.value, ember.EmberArithmeticError)
    assert "diverged" in _short(e.value) or "NaN" in str(e.value) or "infinite" in str(e.value)
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_missing_model_file(sc, tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        Model.loadModel(str(tmp_path / "nope.ember"))
    assert "nope.ember" in _short(e.value)


def test_corrupt_model_files(sc, tmp_path):
    good = tmp_path / "good.ember"
    Sequential().add(Linear(3, 2)).saveModel(str(good))
    raw = good.read_bytes()
    cases = {
        "truncated.ember": raw[: len(raw) - 5],
        "garbage.ember": b"\x00\x01not a model file at all",
        "badheader.ember": struct.pack("<Q", 12) + b"{not json!!}" + raw[8:],
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ember.ModelFileError) as e:
            Model.loadModel(str(path))
        assert name in _short(e.value), name


def _rewrite_model_json(path, edit):
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    model = json.loads(header["__metadata__"]["model"])
    edit(model)
    header["__metadata__"]["model"] = json.dumps(model)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(h)) + h + raw[8 + n:])


def test_unknown_layer_class_in_file(sc, tmp_path):
    path = tmp_path / "unknown.ember"
    Sequential().add(Linear(3, 2)).saveModel(str(path))
    _rewrite_model_json(path, lambda m: m["children"][0].update({"class": "ember.nn.NoSuchLayer"}))
    with pytest.raises(ember.ModelFileError) as e:
        Model.loadModel(str(path))
    assert "ember.nn.NoSuchLayer" in _short(e.value)


def test_save_does_not_overwrite_and_failed_save_leaves_nothing(sc, tmp_path):
    path = tmp_path / "m.ember"
    model = Sequential().add(Linear(3, 2))
    model.saveModel(str(path))
    before = path.read_bytes()
    with pytest.raises(FileExistsError) as e:
        Sequential().add(Linear(5, 5)).saveModel(str(path))
    assert "over_write=True" in _short(e.value)
    assert path.read_bytes() == before
    # A save into an unwritable place fails cleanly and leaves no partial or temp file behind.
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory")
    with pytest.raises(ember.EmberError):
        model.saveModel(str(blocker / "sub" / "m.ember"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "m.ember"]
    model.saveModel(str(path), over_write=True)
    np.testing.assert_array_equal(Model.loadModel(str(path)).get_weights()[0], model.get_weights()[0])


def test_bad_arguments_in_python(sc):
    with pytest.raises(ValueError, match="batch_size"):
        Linear(2, 2).predict(np.zeros((3, 2)), batch_size=0)
    with pytest.raises(ValueError, match="inputSize must be positive, got -1"):
        Linear(-1, 2)
    with pytest.raises(TypeError, match="Ember layer"):
        Sequential().add("not a layer")
    with pytest.raises(ValueError, match="same number of samples"):
        Optimizer.create(model=Linear(2, 2), training_set=(np.zeros((4, 2)), np.zeros(3)),
                         criterion=ClassNLLCriterion())


def test_exceptions_keep_the_java_trace_for_debugging(sc):
    with pytest.raises(ember.EmberValueError) as e:
        Linear(0, 1)
    assert e.value.java_class == "java.lang.IllegalArgumentException"
    assert "IllegalArgumentException" in (e.value.java_stacktrace or "")
