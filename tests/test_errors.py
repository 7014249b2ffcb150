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


# ---------------------------------------------------------------------- NaN through activations (as PyTorch)
def test_nan_and_inf_pass_through_every_activation(sc):
    from ember.nn import layer as L

    x = np.array([[np.nan, np.inf, -np.inf, -1.0, 0.5, 7.0]], np.float32)
    layers = [L.ReLU(), L.ReLU(True), L.ReLU6(), L.Threshold(0.1, 0.0), L.Threshold(0.1, -1.0, True), L.HardTanh(),
              L.LeakyReLU(), L.ELU(), L.Tanh(), L.Sigmoid(), L.SoftPlus(), L.SoftSign(), L.HardSigmoid(),
              L.Clamp(-2, 2), L.PReLU()]
    for m in layers:
        y = m.forward(x.copy())
        assert np.isnan(y[0, 0]), f"{m}: NaN became {y[0, 0]}"
        # infinities keep their sign or are clipped, as in PyTorch (whose softsign(inf) is inf / inf = NaN too)
        if not isinstance(m, L.SoftSign):
            assert not np.isnan(y[0, 1:]).any(), f"{m}: {y}"
    relu = L.ReLU().forward(x)
    np.testing.assert_array_equal(relu[0, 1:], [np.inf, 0.0, 0.0, 0.5, 7.0])
    np.testing.assert_array_equal(L.ReLU6().forward(x)[0, 1:], [6.0, 0.0, 0.0, 0.5, 6.0])
    np.testing.assert_array_equal(L.Threshold(0.1, -3.0).forward(x)[0, 1:], [np.inf, -3.0, -3.0, 0.5, 7.0])


# ---------------------------------------------------------------------- pointwise criterions check shapes
def test_pointwise_criterions_reject_a_target_of_another_shape(sc, rng):
    from ember.nn import criterion as C

    x = rng.rand(2, 3).astype(np.float32)
    signs = np.where(rng.rand(3, 2) > 0.5, 1.0, -1.0).astype(np.float32)
    cases = [(C.MSECriterion(), x.T.copy()), (C.AbsCriterion(), x.T.copy()), (C.BCECriterion(), x.T.copy()),
             (C.SmoothL1Criterion(), x.T.copy()), (C.DistKLDivCriterion(), x.T.copy()),
             (C.SoftMarginCriterion(), signs), (C.MultiLabelSoftMarginCriterion(), (x.T > 0.5).astype(np.float32)),
             (C.PoissonCriterion(), x.T.copy()), (C.MeanAbsolutePercentageCriterion(), x.T.copy() + 1),
             (C.MarginCriterion(), signs), (C.HingeEmbeddingCriterion(), signs)]
    for crit, target in cases:
        with pytest.raises(ValueError) as e:
            crit.forward(x, target)
        text = _short(e.value)
        assert "[3, 2]" in text and "[2, 3]" in text, f"{crit}: {text}"
    # a column against a flat vector is the same elements in the same order: accepted, as before
    y = rng.rand(4).astype(np.float32)
    col = rng.rand(4, 1).astype(np.float32)
    assert C.MSECriterion().forward(col, y) == pytest.approx(float(np.mean((col[:, 0] - y) ** 2)), rel=1e-5)


# ---------------------------------------------------------------------- Python argument checks
def test_layer_arguments_are_checked_in_python(sc):
    from ember.nn import layer as L
    from ember.optim.optimizer import Adam, MaxEpoch

    with pytest.raises(ValueError, match=r"input_size must be a whole number, got 2\.5"):
        L.Linear(2.5, 2)
    with pytest.raises(ValueError, match=r"output_size must fit a 32-bit int.*got 4294967296"):
        L.Linear(2, 2**32)
    with pytest.raises(TypeError, match=r"input_size must be an int, got str '3'"):
        L.Linear("3", 2)
    with pytest.raises(TypeError, match=r"with_bias must be a bool, got str 'False'"):
        L.Linear(3, 2, with_bias="False")
    with pytest.raises(TypeError, match=r"learningrate must be a real number, got complex"):
        Adam(learningrate=1e-3 + 2j)
    with pytest.raises(TypeError, match=r"kernel_w must be an int"):
        L.SpatialConvolution(1, 2, None, 3)
    with pytest.raises(ValueError, match=r"size\[1\] must be a whole number"):
        L.Reshape([2, 1.5])
    with pytest.raises(ValueError, match=r"max_epoch must fit a 32-bit int"):
        MaxEpoch(2**40)
    with pytest.raises(TypeError, match=r"input: expected a real array, got dtype complex"):
        L.Linear(2, 2).forward(np.ones((1, 2), np.complex64))
    assert L.Linear(4.0, np.int64(2)).forward(np.ones((1, 4), np.float32)).shape == (1, 2)  # integral values are fine


# ---------------------------------------------------------------------- empty batches (as PyTorch)
def test_empty_batches_give_empty_outputs(sc):
    from ember.nn import layer as L

    cases = [
        (L.Linear(4, 3), (0, 4), (0, 3)), (L.SoftMax(), (0, 4), (0, 4)), (L.LogSoftMax(), (0, 4), (0, 4)),
        (L.BatchNormalization(4), (0, 4), (0, 4)), (L.SpatialBatchNormalization(2), (0, 2, 3, 3), (0, 2, 3, 3)),
        (L.Recurrent().add(L.LSTM(4, 3)), (0, 5, 4), (0, 5, 3)), (L.Recurrent().add(L.GRU(4, 3)), (0, 5, 4), (0, 5, 3)),
        (L.View([2, 2]), (0, 4), (0, 2, 2)), (L.Cosine(4, 2), (0, 4), (0, 2)), (L.Replicate(3), (0, 4), (3, 0, 4)),
        (L.SpatialConvolution(2, 3, 3, 3), (0, 2, 5, 5), (0, 3, 3, 3)), (L.SpatialZeroPadding(1, 1, 1, 1), (0, 2, 3, 3),
                                                                         (0, 2, 5, 5)),
        (L.Sequential().add(L.Linear(4, 3)).add(L.ReLU()).add(L.Linear(3, 2)).add(L.LogSoftMax()), (0, 4), (0, 2)),
    ]
    for m, shape, out_shape in cases:
        x = np.zeros(shape, np.float32)
        y = m.forward(x)
        assert y.shape == out_shape, f"{m}: {y.shape}"
        assert m.backward(x, np.zeros_like(y)).shape == shape, str(m)


# ---------------------------------------------------------------------- training data without labels
def test_training_data_without_labels_is_refused(sc, rng):
    from pyspark.sql import SparkSession

    model = Sequential().add(Linear(4, 2)).add(LogSoftMax())
    rows = [rng.rand(4).astype(np.float32) for _ in range(8)]
    opt = Optimizer(model=model, training_rdd=sc.parallelize(rows, 2), criterion=ClassNLLCriterion(),
                    end_trigger=MaxEpoch(1), batch_size=4)
    before = model.get_weights()
    with pytest.raises(ValueError) as e:
        opt.optimize(progress=False)
    assert "labels are missing" in _short(e.value) and "element 0" in str(e.value)
    np.testing.assert_array_equal(model.get_weights()[0], before[0])
    spark = SparkSession.builder.getOrCreate()
    df = spark.createDataFrame([([float(v) for v in r], ) for r in rows], ["features"])
    with pytest.raises(ValueError) as e:
        Optimizer(model=model, training_rdd=df, criterion=ClassNLLCriterion(), batch_size=4)
    assert "labels are missing" in _short(e.value) and "'label'" in str(e.value) and "features" in str(e.value)
    with pytest.raises(ValueError, match="labels are missing"):
        Optimizer.create(model=model, training_set=(np.zeros((4, 4)), None), criterion=ClassNLLCriterion())
    # a SampleRDD built without labels (prediction input) is refused by the JVM's first job, before any step
    from ember.data.rdd import to_sample_rdd

    opt = Optimizer(model=model, training_rdd=to_sample_rdd(sc.parallelize(rows, 2)), criterion=ClassNLLCriterion(),
                    end_trigger=MaxEpoch(1), batch_size=4)
    with pytest.raises(ValueError) as e:
        opt.optimize(progress=False)
    assert "the labels are missing" in _short(e.value) and "training RDD partition" in str(e.value)
    np.testing.assert_array_equal(model.get_weights()[0], before[0])


# ---------------------------------------------------------------------- file-system errors
def test_file_system_errors_are_os_errors_with_the_path(sc, tmp_path):
    model = Sequential().add(Linear(3, 2))
    with pytest.raises(IsADirectoryError) as e:
        model.saveModel(str(tmp_path), over_write=True)
    assert str(tmp_path) in _short(e.value)
    with pytest.raises(IsADirectoryError):
        Model.loadModel(str(tmp_path))
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    with pytest.raises(NotADirectoryError) as e:
        model.saveModel(str(blocker / "m.ember"))
    assert "blocker" in _short(e.value)
    with pytest.raises(NotADirectoryError):
        Model.loadModel(str(blocker / "m.ember"))
    with pytest.raises(FileExistsError):
        model.saveModel(str(blocker))
    with pytest.raises(TypeError, match="path"):
        model.saveModel(42)
    model.saveModel(tmp_path / "pathlib.ember")  # os.PathLike is fine


def test_permission_errors_map_to_permission_error(sc):
    # Tests run as root here, so chmod cannot make a file unreadable: check the mapping on the JVM exception.
    from ember._java import _translate_java, jvm

    err = _translate_java(jvm().java.nio.file.AccessDeniedException("/x/m.ember", None, "no permission"), None)
    assert isinstance(err, PermissionError) and isinstance(err, ember.EmberError)
    err = _translate_java(jvm().java.io.IOException("disk full"), None)
    assert isinstance(err, OSError) and "disk full" in str(err)


def test_malformed_headers_are_model_file_errors(sc, tmp_path):
    good = tmp_path / "good.ember"
    Sequential().add(Linear(3, 2)).saveModel(str(good))
    raw = good.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    name = next(k for k in header if k != "__metadata__")

    def variant(edit):
        h = json.loads(json.dumps(header))
        edit(h)
        text = json.dumps(h).encode()
        text += b" " * ((8 - len(text) % 8) % 8)
        return struct.pack("<Q", len(text)) + text + raw[8 + n:]

    cases = {
        "negative.ember": variant(lambda h: h[name].update(shape=[-2, -3])),
        "mismatched.ember": variant(lambda h: h[name].update(shape=[3, 2])),
        "notalist.ember": variant(lambda h: h[name].update(shape=6)),
        "fraction.ember": variant(lambda h: h[name].update(shape=[2.5, 3])),
        "offsets.ember": variant(lambda h: h[name].update(data_offsets=["a", 1])),
        "badargs.ember": variant(lambda h: h["__metadata__"].update(model=h["__metadata__"]["model"].replace(
            '"inputSize":3', '"inputSize":-3').replace('"inputSize": 3', '"inputSize": -3'))),
        "headerlen.ember": struct.pack("<Q", 10**12) + raw[8:],
    }
    for fname, content in cases.items():
        path = tmp_path / fname
        path.write_bytes(content)
        with pytest.raises(ember.ModelFileError) as e:
            Model.loadModel(str(path))
        assert fname in _short(e.value), fname


# ---------------------------------------------------------------------- backward with a wrong grad_output
def test_backward_with_a_wrong_grad_output_names_layer_and_shapes(sc):
    from ember.nn import layer as L

    for m, x in [(L.Linear(4, 3).set_name("fc1"), np.ones((2, 4))), (L.ReLU().set_name("fc1"), np.ones((2, 4))),
                 (L.Sequential().add(L.Linear(4, 3)).set_name("fc1"), np.ones((2, 4)))]:
        y = m.forward(x)
        with pytest.raises(ValueError) as e:
            m.backward(x, np.ones((y.shape[1], y.shape[0])))
        text = _short(e.value)
        assert "fc1" in text and str(list(y.shape)).replace(" ", "") in text.replace(" ", "") and \
            str([y.shape[1], y.shape[0]]).replace(" ", "") in text.replace(" ", ""), text


def test_output_size_errors_show_the_formula_and_the_cause(sc):
    from ember.nn import layer as L

    cases = [
        (L.SpatialConvolution(1, 1, 9, 9), (1, 1, 5, 5),
         "SpatialConvolution: output height (in + 2*pad - k)/stride + 1 = -3 for input 5, kernel 9, stride 1, padding 0: "
         "the input is smaller than the kernel"),
        (L.SpatialMaxPooling(3, 3, 2, 2), (1, 1, 2, 8), "SpatialMaxPooling: output height (in + 2*pad - k)/stride + 1 = 0"),
        (L.SpatialFullConvolution(1, 1, 3, 3, 1, 1, 2, 2), (1, 1, 1, 4),
         "SpatialFullConvolution: output height (in - 1)*stride - 2*pad + k + adj = -1"),
        (L.SpatialDilatedConvolution(1, 1, 3, 3, 1, 1, 0, 0, 2**30, 1), (1, 1, 5, 5),
         f"output width (in + 2*pad - dilation*(k - 1) - 1)/stride + 1 = {5 - 2**31}"),
    ]
    for m, shape, expected in cases:
        with pytest.raises(ValueError) as e:
            m.forward(np.zeros(shape, np.float32))
        assert expected in _short(e.value), str(e.value)


# ---------------------------------------------------------------------- a failed task: one line in the console
def test_a_failed_spark_task_logs_one_line(sc, capfd):
    capfd.readouterr()
    with pytest.raises(Exception):
        sc.parallelize(range(4), 2).map(lambda v: 1 // 0).collect()
    err = capfd.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) <= 2, err[:3000]
    assert not any(ln.startswith("\tat ") or ln.lstrip().startswith("at ") for ln in lines), err[:3000]


def test_a_failed_task_logs_one_line_in_a_context_the_user_started(tmp_path):
    # SparkContext(conf=create_spark_conf()), as the docs and the missing-jar error suggest, not init_engine(): Ember
    # quiets task failures the first time it uses the context (its own process: the session's context is init_engine's)
    import subprocess
    import sys
    script = tmp_path / "user_context.py"
    script.write_text(
        "from pyspark import SparkContext\n"
        "from ember.util.common import create_spark_conf\n"
        "from ember.nn.layer import Linear\n"
        "sc = SparkContext(conf=create_spark_conf().setMaster('local[1]').setAppName('user'))\n"
        "Linear(2, 2)\n"
        "try:\n"
        "    sc.parallelize(range(2), 1).map(lambda v: 1 // 0).collect()\n"
        "except Exception:\n"
        "    print('FAILED AS EXPECTED')\n"
        "sc.stop()\n")
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable)
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, env=env)
    assert "FAILED AS EXPECTED" in res.stdout, res.stdout[-2000:] + res.stderr[-3000:]
    assert "Exception in task" not in res.stderr and not any(ln.startswith("\tat ") for ln in res.stderr.splitlines()), \
        res.stderr[-3000:]
