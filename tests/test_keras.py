"""The Keras-style API from Python (ember.keras): shape inference, every layer against the hand-built Ember model
(or numpy), compile/fit/evaluate/predict locally and on Spark data, BigDL's Keras quickstart on real digits, the
model file round trip, summary() and errors."""
import numpy as np
import pytest

from ember import errors
from ember.keras import (GRU, LSTM, Activation, Add, AveragePooling2D, BatchNormalization, Bidirectional, Concatenate,
                         Conv1D, Convolution2D, Dense, Dropout, Embedding, Flatten, GlobalAveragePooling1D,
                         GlobalAveragePooling2D, Input, MaxPooling1D, MaxPooling2D, Model, Multiply, Reshape, Sequential,
                         TimeDistributed)
from ember.nn import layer as nn
from ember.optim.optimizer import Adam, RMSprop

from conftest import mnist_5k_path


def _x(rng, *shape):
    return rng.randn(*shape).astype(np.float32)


LAYERS = [  # (layer factory, input shape without the batch, expected output shape)
    (lambda: Dense(5, activation="relu"), (7,), (5,)),
    (lambda: Activation("softmax"), (3, 4), (3, 4)),
    (lambda: Dropout(0.5), (6,), (6,)),
    (lambda: Flatten(), (2, 3, 4), (24,)),
    (lambda: Reshape((4, -1)), (2, 3, 4), (4, 6)),
    (lambda: BatchNormalization(), (3, 5, 5), (3, 5, 5)),
    (lambda: Convolution2D(4, 3, 2, border_mode="valid", subsample=(2, 1)), (2, 9, 8), (4, 4, 7)),
    (lambda: Convolution2D(4, 3, 3, border_mode="same"), (2, 7, 6), (4, 7, 6)),
    (lambda: Conv1D(4, 3, subsample_length=2), (9, 5), (4, 4)),
    (lambda: MaxPooling2D(), (3, 8, 6), (3, 4, 3)),
    (lambda: AveragePooling2D((2, 3)), (3, 6, 9), (3, 3, 3)),
    (lambda: MaxPooling1D(2), (7, 3), (3, 3)),
    (lambda: GlobalAveragePooling1D(), (6, 4), (4,)),
    (lambda: GlobalAveragePooling2D(), (3, 4, 5), (3,)),
    (lambda: LSTM(6), (5, 3), (6,)),
    (lambda: GRU(4, return_sequences=True), (5, 3), (5, 4)),
    (lambda: Bidirectional(LSTM(4)), (5, 3), (8,)),
    (lambda: Bidirectional(GRU(4, return_sequences=True), merge_mode="sum"), (5, 3), (5, 4)),
    (lambda: TimeDistributed(Dense(3)), (4, 6), (4, 3)),
]


@pytest.mark.parametrize("make,shape,expected", LAYERS, ids=[f"layer{i}" for i in range(len(LAYERS))])
def test_shape_inference_matches_the_built_modules(sc, rng, make, shape, expected):
    model = _seq(shape, make())
    assert model.get_output_shape() == expected
    assert model.predict(_x(rng, 3, *shape)).shape == (3,) + expected


def _seq(shape, *layers):
    """A Sequential whose first layer (a shape-keeping Reshape) carries the input shape."""
    model = Sequential().add(Reshape(shape, input_shape=shape))
    for layer in layers:
        model.add(layer)
    return model


def _same_output(keras_model, reference, x, atol=1e-5):
    reference.set_weights(keras_model.get_weights())
    keras_model.module.evaluate()
    reference.evaluate()
    np.testing.assert_allclose(keras_model.predict(x), reference.predict(x), atol=atol, rtol=1e-4)


def test_layers_compute_what_the_hand_built_ember_model_computes(sc, rng):
    x2 = _x(rng, 4, 2, 7, 6)
    _same_output(_seq((2, 7, 6), Convolution2D(3, 3, 3, activation="relu", border_mode="same")),
                 nn.Sequential().add(nn.Reshape([2, 7, 6])).add(nn.SpatialConvolution(2, 3, 3, 3, 1, 1, 1, 1))
                 .add(nn.ReLU()), x2)
    _same_output(_seq((2, 7, 6), MaxPooling2D((2, 3), strides=(1, 2)), AveragePooling2D()),
                 nn.Sequential().add(nn.Reshape([2, 7, 6])).add(nn.SpatialMaxPooling(3, 2, 2, 1))
                 .add(nn.SpatialAveragePooling(2, 2, 2, 2)), x2)
    xs = _x(rng, 4, 6, 3)
    _same_output(_seq((6, 3), Conv1D(5, 2, activation="tanh"), MaxPooling1D(2)),
                 nn.Sequential().add(nn.Reshape([6, 3])).add(nn.TemporalConvolution(3, 5, 2)).add(nn.Tanh())
                 .add(nn.TemporalMaxPooling(2, 2)), xs)
    _same_output(_seq((6, 3), LSTM(4, return_sequences=True), GRU(2)),
                 nn.Sequential().add(nn.Reshape([6, 3])).add(nn.Recurrent().add(nn.LSTM(3, 4)))
                 .add(nn.Recurrent().add(nn.GRU(4, 2))).add(nn.Select(1, -1)), xs)
    _same_output(_seq((6, 3), Bidirectional(LSTM(4, return_sequences=True)), TimeDistributed(Dense(2, activation="sigmoid"))),
                 nn.Sequential().add(nn.Reshape([6, 3])).add(nn.BiRecurrent("concat").add(nn.LSTM(3, 4)))
                 .add(nn.TimeDistributed(nn.Sequential().add(nn.Linear(8, 2)).add(nn.Sigmoid()))), xs)
    ids = rng.randint(0, 10, (4, 5)).astype(np.float32)
    _same_output(Sequential().add(Embedding(10, 3, input_length=5)).add(GlobalAveragePooling1D()).add(Dense(2)),
                 nn.Sequential().add(nn.LookupTable(10, 3)).add(nn.Mean(1)).add(nn.Linear(3, 2)), ids)
    xb = _x(rng, 8, 3, 4, 4)
    model = _seq((3, 4, 4), BatchNormalization(epsilon=1e-3), GlobalAveragePooling2D(), Flatten(), Dense(2, activation="softmax"))
    ref = (nn.Sequential().add(nn.Reshape([3, 4, 4])).add(nn.SpatialBatchNormalization(3, 1e-3)).add(nn.Reshape([3, 16]))
           .add(nn.Mean(2)).add(nn.Reshape([3])).add(nn.Linear(3, 2)).add(nn.SoftMax()))
    _same_output(model, ref, xb)


def test_global_pooling_and_merges_against_numpy(sc, rng):
    x = _x(rng, 2, 3, 4, 5)
    np.testing.assert_allclose(_seq((3, 4, 5), GlobalAveragePooling2D()).predict(x), x.mean(axis=(2, 3)), atol=1e-6)
    a, b = Input((4,)), Input((4,))
    model = Model([a, b], [Concatenate()([Add()([a, b]), Multiply()([a, b])]), Concatenate(axis=0)([a, b])])
    xa, xb = _x(rng, 3, 4), _x(rng, 3, 4)
    out = model.module.forward([xa, xb])
    np.testing.assert_allclose(out[0], np.concatenate([xa + xb, xa * xb], axis=1), atol=1e-6)
    np.testing.assert_allclose(out[1], np.concatenate([xa, xb], axis=1), atol=1e-6)
    assert model.get_output_shapes() == [(8,), (8,)]


def _load_digits_5k():
    import gzip

    with gzip.open(mnist_5k_path(), "rt") as f:
        data = np.loadtxt(f, delimiter=",", dtype=np.float32)
    order = np.random.RandomState(42).permutation(len(data))
    x = ((data[order, :-1] / 255 - 0.1307) / 0.3081).astype(np.float32)
    return x, data[order, -1].astype(np.float32)


def test_bigdl_keras_quickstart_lenet_on_real_digits(sc):
    """BigDL's Keras quickstart (LeNet-5, tanh, adadelta), ported by changing imports; labels 0-based."""
    x, y = _load_digits_5k()
    x_train, y_train, x_test, y_test = x[:4000].reshape(-1, 28, 28, 1), y[:4000], x[4000:].reshape(-1, 28, 28, 1), y[4000:]
    model = Sequential()
    model.add(Reshape((1, 28, 28), input_shape=(28, 28, 1)))
    model.add(Convolution2D(6, 5, 5, activation="tanh", name="conv1_5x5"))
    model.add(MaxPooling2D())
    model.add(Convolution2D(12, 5, 5, activation="tanh", name="conv2_5x5"))
    model.add(MaxPooling2D())
    model.add(Flatten())
    model.add(Dense(100, activation="tanh", name="fc1"))
    model.add(Dense(10, activation="softmax", name="fc2"))
    assert model.get_output_shape() == (10,)
    text = model.summary(print_fn=None)
    assert "conv2_5x5 (Convolution2D)" in text and "(None, 12, 4, 4)" in text and "Total params: 24,"[:14] in text
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adadelta", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, nb_epoch=5, validation_data=(x_test, y_test), verbose=0)
    accuracy = model.evaluate(x_test, y_test, batch_size=256)[0]
    assert accuracy.method == "Top1Accuracy" and accuracy.total_num == 1000
    assert accuracy.result >= 0.93, accuracy
    assert model.predict(x_test[:7]).argmax(axis=1).shape == (7,)


def _xor_data(rng, n=512):
    x = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.float32)


def _xor_model():
    a = Input((2,))
    h = Dense(16, activation="tanh")(a)
    return Model(a, Dense(2, activation="softmax")(Concatenate()([h, a])))


def test_fit_on_an_rdd_and_a_dataframe_trains_distributed(sc, rng):
    from pyspark.sql import SparkSession

    x, y = _xor_data(rng)
    rdd = sc.parallelize(list(zip(x, y)), 2)
    model = _xor_model().compile(Adam(learningrate=0.05), "sparse_categorical_crossentropy", ["accuracy"])
    model.fit(rdd, batch_size=64, nb_epoch=25, validation_data=rdd, verbose=0)
    assert model.evaluate(rdd, batch_size=128)[0].result > 0.9
    spark = SparkSession.builder.getOrCreate()
    df = spark.createDataFrame([(row.tolist(), float(label)) for row, label in zip(x, y)], ["features", "label"])
    model = _xor_model().compile(Adam(learningrate=0.05), "sparse_categorical_crossentropy", ["accuracy"])
    model.fit(df, batch_size=64, nb_epoch=25, verbose=0)
    assert model.evaluate(x, y)[0].result > 0.9
    assert len(model.predict(df).collect()) == len(x)


def test_losses_and_metrics_by_name(sc, rng):
    x, y = _xor_data(rng)
    one_hot = np.eye(2, dtype=np.float32)[y.astype(int)]
    model = _xor_model().compile(Adam(learningrate=0.05), "categorical_crossentropy", ["accuracy", "loss"])
    model.fit(x, one_hot, batch_size=32, nb_epoch=30, verbose=0)
    acc, loss = model.evaluate(x, one_hot)
    assert acc.method == "CategoricalAccuracy" and acc.result > 0.9 and loss.result < 0.4
    binary = Sequential().add(Dense(8, activation="tanh", input_shape=(2,))).add(Dense(1, activation="sigmoid"))
    binary.compile(RMSprop(learningrate=0.02), "binary_crossentropy", ["accuracy"]).fit(x, y[:, None], batch_size=32, nb_epoch=40, verbose=0)
    acc = binary.evaluate(x, y[:, None])[0]
    assert acc.method == "BinaryAccuracy" and acc.result > 0.85
    p = binary.predict(x)
    assert abs(acc.result - np.mean((p[:, 0] > 0.5) == (y > 0.5))) < 1e-6


def test_save_and_load_round_trip_is_an_ordinary_model_file(sc, rng, tmp_path):
    x, y = _xor_data(rng, 64)
    model = _xor_model().compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=16, nb_epoch=1, verbose=0)
    path = str(tmp_path / "xor.ember")
    model.save(path)
    loaded = nn.Model.loadModel(path)
    assert type(loaded).__name__ == "Graph"
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), atol=1e-6)


def test_bad_input_raises_python_errors_naming_the_problem(sc):
    with pytest.raises(errors.EmberValueError, match="needs an inputShape"):
        Sequential().add(Dense(3))
    with pytest.raises(errors.EmberValueError, match="Flatten first"):
        Sequential().add(Dense(3, input_shape=(2, 3)))
    with pytest.raises(errors.EmberValueError, match=r"does not fit input \(1, 4, 4\)"):
        Sequential().add(Convolution2D(2, 5, 5, input_shape=(1, 4, 4)))
    with pytest.raises(errors.EmberValueError, match="unknown name 'swish'"):
        Dense(3, activation="swish")
    with pytest.raises(errors.EmberValueError, match="unknown name 'hinge2'"):
        Sequential().add(Dense(1, input_shape=(2,))).compile("sgd", "hinge2")
    with pytest.raises(TypeError, match="input_shape"):
        Dense(3, input_shape="x")
    with pytest.raises(TypeError, match="expected an LSTM or GRU"):
        Bidirectional(Dense(3))
    with pytest.raises(RuntimeError, match="not compiled"):
        Sequential().add(Dense(1, input_shape=(2,))).fit(np.zeros((2, 2)), np.zeros(2))
