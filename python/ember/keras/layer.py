"""Keras-style layers (BigDL's ``bigdl.nn.keras.layer`` names, Keras 1.2 arguments, channels first).

Each wraps a JVM ``ember.keras`` layer: a shape function plus a factory of ordinary Ember modules. Shapes never
include the batch dimension. Add layers to a :class:`~ember.keras.topology.Sequential` (the first one with
``input_shape``) or call them on nodes from :func:`~ember.keras.topology.Input` (the functional API).
"""
from ember._args import as_bool, as_float, as_int, as_str
from ember._convert import int_array
from ember._java import JavaValue, java_array


def _shape(shape, name="input_shape"):
    if shape is None:
        return None
    if isinstance(shape, int):
        shape = (shape,)
    return int_array(shape, name)


def _opt_str(value, name):
    return None if value is None else as_str(value, name)


def _pair(value, name):
    if isinstance(value, int):
        return as_int(value, name), as_int(value, name)
    a, b = value
    return as_int(a, name), as_int(b, name)


class KerasLayer(JavaValue):
    """Base of the Keras-style layers. ``layer(node)`` / ``layer([node1, node2])`` applies it to functional nodes."""

    _java_class = "ember.keras.KerasLayer"

    def __call__(self, *nodes):
        from ember.keras.topology import KerasNode

        if len(nodes) == 1 and isinstance(nodes[0], (list, tuple)):
            nodes = nodes[0]
        for i, n in enumerate(nodes):
            if not isinstance(n, KerasNode):
                raise TypeError(f"{self.name}: input {i} must be a node from Input() or another layer call, got "
                                f"{type(n).__name__}")
        jnodes = java_array("ember.keras.KerasNode", [n.value for n in nodes])
        return KerasNode.of(self._call("inputs", jnodes), KerasNode)

    @property
    def name(self):
        return self._call("layerName")


class Dense(KerasLayer):
    """A fully connected layer on 1-d samples: ``Dense(output_dim, activation=None, bias=True, input_shape=None)``.

    Examples:
        >>> from ember.keras.topology import Sequential
        >>> Sequential().add(Dense(3, activation="relu", input_shape=(4,))).get_output_shape()
        (3,)
    """

    _java_class = "ember.keras.Dense"

    def __init__(self, output_dim, activation=None, bias=True, input_shape=None, name=None):
        JavaValue.__init__(self, None, as_int(output_dim, "output_dim"), _opt_str(activation, "activation"),
                           as_bool(bias, "bias"), _shape(input_shape), _opt_str(name, "name"))


class Activation(KerasLayer):
    """An activation by name: relu, relu6, tanh, sigmoid, hard_sigmoid, softmax, log_softmax, softplus, softsign, elu,
    leaky_relu."""

    _java_class = "ember.keras.Activation"

    def __init__(self, activation, input_shape=None, name=None):
        JavaValue.__init__(self, None, as_str(activation, "activation"), _shape(input_shape), _opt_str(name, "name"))


class Dropout(KerasLayer):
    """Drops inputs with probability ``p`` while training (scaling the rest by 1 / (1 - p))."""

    _java_class = "ember.keras.Dropout"

    def __init__(self, p, input_shape=None, name=None):
        JavaValue.__init__(self, None, as_float(p, "p"), _shape(input_shape), _opt_str(name, "name"))


class Flatten(KerasLayer):
    """Flattens each sample to one dimension."""

    _java_class = "ember.keras.Flatten"

    def __init__(self, input_shape=None, name=None):
        JavaValue.__init__(self, None, _shape(input_shape), _opt_str(name, "name"))


class Reshape(KerasLayer):
    """Reshapes each sample to ``target_shape`` (one entry may be -1)."""

    _java_class = "ember.keras.Reshape"

    def __init__(self, target_shape, input_shape=None, name=None):
        JavaValue.__init__(self, None, _shape(target_shape, "target_shape"), _shape(input_shape), _opt_str(name, "name"))


class BatchNormalization(KerasLayer):
    """Batch normalization over features (1-d samples) or channels ((channels, rows, cols) samples); ``momentum``
    is Keras' (the share of the running statistics kept)."""

    _java_class = "ember.keras.BatchNormalization"

    def __init__(self, epsilon=0.001, momentum=0.99, input_shape=None, name=None):
        JavaValue.__init__(self, None, as_float(epsilon, "epsilon"), as_float(momentum, "momentum"), _shape(input_shape),
                           _opt_str(name, "name"))


class Embedding(KerasLayer):
    """Maps 0-based indices in [0, input_dim) to vectors of ``output_dim``: (length,) -> (length, output_dim).
    ``input_length`` is a short form of ``input_shape=(input_length,)``."""

    _java_class = "ember.keras.Embedding"

    def __init__(self, input_dim, output_dim, input_length=None, input_shape=None, name=None):
        if input_length is not None and input_shape is None:
            input_shape = (input_length,)
        JavaValue.__init__(self, None, as_int(input_dim, "input_dim"), as_int(output_dim, "output_dim"), _shape(input_shape),
                           _opt_str(name, "name"))


class Convolution2D(KerasLayer):
    """2-d convolution over (channels, rows, cols) samples: ``Convolution2D(nb_filter, nb_row, nb_col,
    activation=None, border_mode="valid", subsample=(1, 1), bias=True, input_shape=None)``."""

    _java_class = "ember.keras.Convolution2D"

    def __init__(self, nb_filter, nb_row, nb_col, activation=None, border_mode="valid", subsample=(1, 1), bias=True,
                 input_shape=None, name=None):
        sr, sc = _pair(subsample, "subsample")
        JavaValue.__init__(self, None, as_int(nb_filter, "nb_filter"), as_int(nb_row, "nb_row"), as_int(nb_col, "nb_col"),
                           _opt_str(activation, "activation"), as_str(border_mode, "border_mode"), sr, sc,
                           as_bool(bias, "bias"), _shape(input_shape), _opt_str(name, "name"))


class Conv2D(Convolution2D):
    """The same as :class:`Convolution2D` (Keras 2's class name, BigDL's arguments)."""

    _java_class = "ember.keras.Conv2D"


class Convolution1D(KerasLayer):
    """1-d convolution over (steps, features) samples ("valid"): ``Convolution1D(nb_filter, filter_length,
    activation=None, subsample_length=1, input_shape=None)``."""

    _java_class = "ember.keras.Conv1D"

    def __init__(self, nb_filter, filter_length, activation=None, subsample_length=1, input_shape=None, name=None):
        JavaValue.__init__(self, None, as_int(nb_filter, "nb_filter"), as_int(filter_length, "filter_length"),
                           _opt_str(activation, "activation"), as_int(subsample_length, "subsample_length"),
                           _shape(input_shape), _opt_str(name, "name"))


Conv1D = Convolution1D


class _Pooling2D(KerasLayer):
    def __init__(self, pool_size=(2, 2), strides=None, border_mode="valid", input_shape=None, name=None):
        pr, pc = _pair(pool_size, "pool_size")
        sr, sc = (0, 0) if strides is None else _pair(strides, "strides")
        JavaValue.__init__(self, None, pr, pc, sr, sc, as_str(border_mode, "border_mode"), _shape(input_shape),
                           _opt_str(name, "name"))


class MaxPooling2D(_Pooling2D):
    """2-d max pooling: ``MaxPooling2D(pool_size=(2, 2), strides=None, border_mode="valid")``."""

    _java_class = "ember.keras.MaxPooling2D"


class AveragePooling2D(_Pooling2D):
    """2-d average pooling: ``AveragePooling2D(pool_size=(2, 2), strides=None, border_mode="valid")``."""

    _java_class = "ember.keras.AveragePooling2D"


class MaxPooling1D(KerasLayer):
    """1-d max pooling over (steps, features) samples: ``MaxPooling1D(pool_length=2, stride=None)``."""

    _java_class = "ember.keras.MaxPooling1D"

    def __init__(self, pool_length=2, stride=None, input_shape=None, name=None):
        JavaValue.__init__(self, None, as_int(pool_length, "pool_length"), 0 if stride is None else as_int(stride, "stride"),
                           _shape(input_shape), _opt_str(name, "name"))


class GlobalAveragePooling1D(KerasLayer):
    """The mean over steps: (steps, features) -> (features,)."""

    _java_class = "ember.keras.GlobalAveragePooling1D"

    def __init__(self, input_shape=None, name=None):
        JavaValue.__init__(self, None, _shape(input_shape), _opt_str(name, "name"))


class GlobalAveragePooling2D(KerasLayer):
    """The mean over rows and cols: (channels, rows, cols) -> (channels,)."""

    _java_class = "ember.keras.GlobalAveragePooling2D"

    def __init__(self, input_shape=None, name=None):
        JavaValue.__init__(self, None, _shape(input_shape), _opt_str(name, "name"))


class RecurrentLayer(KerasLayer):
    _java_class = "ember.keras.RecurrentLayer"


class LSTM(RecurrentLayer):
    """An LSTM over (steps, features) samples: (output_dim,) or, with ``return_sequences``, (steps, output_dim)."""

    _java_class = "ember.keras.LSTM"

    def __init__(self, output_dim, return_sequences=False, input_shape=None, name=None):
        JavaValue.__init__(self, None, as_int(output_dim, "output_dim"), as_bool(return_sequences, "return_sequences"),
                           _shape(input_shape), _opt_str(name, "name"))


class GRU(LSTM):
    """A GRU over (steps, features) samples; arguments as :class:`LSTM`."""

    _java_class = "ember.keras.GRU"


class Bidirectional(KerasLayer):
    """An LSTM or GRU run both ways, merged by ``merge_mode`` "concat" or "sum"."""

    _java_class = "ember.keras.Bidirectional"

    def __init__(self, layer, merge_mode="concat", input_shape=None, name=None):
        if not isinstance(layer, RecurrentLayer):
            raise TypeError(f"layer: expected an LSTM or GRU, got {type(layer).__name__}")
        JavaValue.__init__(self, None, layer.value, as_str(merge_mode, "merge_mode"), _shape(input_shape),
                           _opt_str(name, "name"))


class TimeDistributed(KerasLayer):
    """Applies ``layer`` to every step of (steps, ...) samples."""

    _java_class = "ember.keras.TimeDistributed"

    def __init__(self, layer, input_shape=None, name=None):
        if not isinstance(layer, KerasLayer):
            raise TypeError(f"layer: expected a Keras-style layer, got {type(layer).__name__}")
        JavaValue.__init__(self, None, layer.value, _shape(input_shape), _opt_str(name, "name"))


class Add(KerasLayer):
    """Element-wise sum of two or more nodes of one shape."""

    _java_class = "ember.keras.Add"

    def __init__(self, name=None):
        JavaValue.__init__(self, None, _opt_str(name, "name"))


class Multiply(KerasLayer):
    """Element-wise product of two or more nodes of one shape."""

    _java_class = "ember.keras.Multiply"

    def __init__(self, name=None):
        JavaValue.__init__(self, None, _opt_str(name, "name"))


class Concatenate(KerasLayer):
    """Joins two or more nodes along ``axis`` of the sample (0-based without the batch; -1 = the last)."""

    _java_class = "ember.keras.Concatenate"

    def __init__(self, axis=-1, name=None):
        JavaValue.__init__(self, None, as_int(axis, "axis"), _opt_str(name, "name"))


def merge(inputs, mode="sum", concat_axis=-1, name=None):
    """BigDL's ``merge(inputs, mode)``: "sum" (:class:`Add`), "mul" (:class:`Multiply`) or "concat" (:class:`Concatenate`)."""
    layers = {"sum": lambda: Add(name), "mul": lambda: Multiply(name), "concat": lambda: Concatenate(concat_axis, name)}
    if mode not in layers:
        raise ValueError(f"mode: expected 'sum', 'mul' or 'concat', got {mode!r}")
    return layers[mode]()(list(inputs))


__all__ = [
    "KerasLayer", "Dense", "Activation", "Dropout", "Flatten", "Reshape", "BatchNormalization", "Embedding",
    "Convolution2D", "Conv2D", "Convolution1D", "Conv1D", "MaxPooling2D", "AveragePooling2D", "MaxPooling1D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "LSTM", "GRU", "Bidirectional", "TimeDistributed", "Add",
    "Multiply", "Concatenate", "merge",
]
