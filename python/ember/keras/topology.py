"""Keras-style models (BigDL's ``bigdl.nn.keras.topology``): :class:`Sequential`, the functional :class:`Model`
over :func:`Input` nodes, and their ``compile`` / ``fit`` / ``evaluate`` / ``predict`` / ``summary``.

A Keras model wraps an ordinary Ember model (``model.module``, an ``ember.nn`` Sequential or Graph): ``save`` writes
the usual model file, which ``ember.nn.layer.Model.loadModel`` (or Scala's ``ember.io.ModelFile.load``) reads back
with no Keras code involved. ``fit`` on numpy arrays trains in this process (the LocalOptimizer), on an RDD or DataFrame
with the DistriOptimizer.
"""
from ember._args import as_int, as_str
from ember._convert import int_array
from ember._java import JavaValue, call_method, call_static, java_array, new_java_obj
from ember.data.rdd import is_spark_data
from ember.keras.layer import KerasLayer
from ember.nn.module import Criterion, Model as NnModel
from ember.optim.method import OptimMethod
from ember.optim.optimizer import EveryEpoch, MaxEpoch, Optimizer
from ember.optim.validation import Loss, ValidationMethod

NAMES = "ember.keras.KerasNames"


class KerasNode(JavaValue):
    """A node of a functional model: made by :func:`Input` or by calling a layer on nodes."""

    _java_class = "ember.keras.KerasNode"

    @property
    def shape(self):
        """The output shape without the batch dimension."""
        return tuple(int(s) for s in self._call("getShape"))


def Input(shape, name=None):
    """A functional-model input of ``shape`` (without the batch dimension).

    Examples:
        >>> from ember.keras.layer import Dense
        >>> Dense(4)(Input((3,))).shape
        (4,)
    """
    shape = (shape,) if isinstance(shape, int) else shape
    jlayer = new_java_obj("ember.keras.InputLayer", int_array(shape, "shape"), None if name is None else as_str(name, "name"))
    return KerasNode.of(call_method(jlayer, "node"), KerasNode)


class KerasModel(JavaValue):
    """Keras' model methods over an ordinary Ember model (see the module docstring)."""

    _java_class = "ember.keras.KerasModel"
    _compiled = None

    @property
    def module(self):
        """The Ember model (``ember.nn``) this Keras model builds; training updates it in place."""
        return NnModel.of(self._call("module"))

    def compile(self, optimizer, loss, metrics=None):
        """Sets the optim method, the loss and the metrics.

        Args:
            optimizer: "sgd", "adam", "rmsprop", "adagrad", "adadelta", "adamax" (Keras' default rates) or an
                :class:`~ember.optim.OptimMethod` such as ``Adam(learningrate=0.01)``.
            loss: "sparse_categorical_crossentropy" (probabilities and 0-based class labels),
                "categorical_crossentropy" (probabilities and one-hot rows), "binary_crossentropy", "mse", "mae",
                or an Ember criterion.
            metrics: names ("accuracy" follows the loss as in Keras, "mae", "top5accuracy", "loss") or validation
                methods, shown by ``fit`` with validation data and returned by ``evaluate``. Default: the loss.
        """
        if isinstance(optimizer, str):
            optimizer = OptimMethod.of(call_static(NAMES, "optimMethod", optimizer), OptimMethod)
        elif not isinstance(optimizer, OptimMethod):
            raise TypeError(f"optimizer: expected a name or an OptimMethod, got {type(optimizer).__name__}")
        if isinstance(loss, str):
            loss = Criterion.of(call_static(NAMES, "criterion", loss), Criterion)
        elif not isinstance(loss, Criterion):
            raise TypeError(f"loss: expected a name or a Criterion, got {type(loss).__name__}")
        methods = []
        for i, m in enumerate([metrics] if isinstance(metrics, (str, ValidationMethod)) else list(metrics or [])):
            if isinstance(m, str):
                m = ValidationMethod.of(call_static(NAMES, "metric", m, loss.value), ValidationMethod)
            elif not isinstance(m, ValidationMethod):
                raise TypeError(f"metrics[{i}]: expected a name or a ValidationMethod, got {type(m).__name__}")
            methods.append(m)
        self._call("compile", optimizer.value, loss.value, java_array("ember.optim.ValidationMethod", [m.value for m in methods]))
        self._compiled = (optimizer, loss, methods)
        return self

    def _settings(self):
        if self._compiled is None:
            raise RuntimeError("the model is not compiled: call compile(optimizer, loss, metrics) first")
        return self._compiled

    def _metrics(self):
        _, loss, methods = self._settings()
        return methods or [Loss(loss)]

    def fit(self, x, y=None, batch_size=32, nb_epoch=10, validation_data=None, verbose=1):
        """Trains for ``nb_epoch`` epochs and returns ``self``.

        Args:
            x: features (numpy, N x sample shape) with labels ``y``; or an RDD of Samples or ``(features, label)``
                pairs, or a DataFrame with ``features`` and ``label`` columns (then ``y`` is None): distributed
                training on the executors.
            batch_size (int): global mini-batch size.
            nb_epoch (int): epochs.
            validation_data: ``(x_val, y_val)`` arrays, or an RDD / DataFrame, scored after each epoch with the
                compiled metrics.
            verbose (int): 1 shows a progress bar, 0 nothing.
        """
        optimizer, loss, _ = self._settings()
        nb_epoch = as_int(nb_epoch, "nb_epoch")
        if nb_epoch <= 0:
            raise ValueError(f"nb_epoch must be positive, got {nb_epoch}")
        if is_spark_data(x):
            if y is not None:
                raise ValueError("y: give labels inside the RDD or DataFrame, not separately")
            data = x
        else:
            if y is None:
                raise ValueError("y: labels are required with array features")
            data = (x, y)
        opt = Optimizer.create(self.module, data, loss, MaxEpoch(nb_epoch), batch_size, optimizer)
        if validation_data is not None:
            opt.set_validation(batch_size, validation_data, EveryEpoch(), self._metrics())
        opt.optimize(progress=bool(verbose))
        return self

    def evaluate(self, x, y=None, batch_size=32):
        """The compiled metrics (the loss if none) on arrays ``x``, ``y`` or an RDD / DataFrame: a list of
        :class:`~ember.optim.ValidationResult`."""
        if is_spark_data(x):
            return self.module.evaluate(x, batch_size, self._metrics())
        return self.module.evaluate(x, y, batch_size, self._metrics())

    def predict(self, x, batch_size=32):
        """Outputs for the rows of ``x`` (array), or an RDD of outputs for an RDD / DataFrame."""
        return self.module.predict(x, batch_size)

    def summary(self, print_fn=print):
        """Prints (with ``print_fn``) and returns the layer table: names, output shapes, parameter counts."""
        text = str(self._call("summary"))
        if print_fn is not None:
            print_fn(text)
        return text

    def save(self, path, over_write=False):
        """Writes the Ember model file (read it with ``ember.nn.layer.Model.loadModel``)."""
        self.module.saveModel(path, over_write)
        return self

    saveModel = save

    def get_weights(self):
        return self.module.get_weights()

    def set_weights(self, weights):
        self.module.set_weights(weights)
        return self


class Sequential(KerasModel):
    """A stack of layers; the first needs ``input_shape``; each ``add`` infers the new output shape.

    Examples:
        >>> from ember.keras.layer import Dense, Dropout
        >>> model = Sequential().add(Dense(8, activation="relu", input_shape=(4,))).add(Dropout(0.2)).add(Dense(3))
        >>> model.get_output_shape()
        (3,)
    """

    _java_class = "ember.keras.Sequential"

    def __init__(self):
        JavaValue.__init__(self, None)

    def add(self, layer):
        if not isinstance(layer, KerasLayer):
            raise TypeError(f"Sequential.add: expected a Keras-style layer (ember.keras.layer), got {type(layer).__name__}")
        self._call("add", layer.value)
        return self

    def get_output_shape(self):
        shape = self._call("getOutputShape")
        return None if shape is None else tuple(int(s) for s in shape)


class Model(KerasModel):
    """A functional model from :func:`Input` nodes to output nodes (one each, or lists).

    Examples:
        >>> from ember.keras.layer import Dense, Concatenate
        >>> a, b = Input((3,)), Input((2,))
        >>> model = Model([a, b], Dense(1, activation="sigmoid")(Concatenate()([Dense(4)(a), b])))
        >>> [tuple(s) for s in model.get_output_shapes()]
        [(1,)]
    """

    _java_class = "ember.keras.Model"

    def __init__(self, input, output):
        JavaValue.__init__(self, None, _nodes(input, "input"), _nodes(output, "output"))

    def get_output_shapes(self):
        return [tuple(int(s) for s in shape) for shape in self._call("getOutputShapes")]


def _nodes(nodes, what):
    nodes = [nodes] if isinstance(nodes, KerasNode) else list(nodes)
    for i, n in enumerate(nodes):
        if not isinstance(n, KerasNode):
            raise TypeError(f"{what}[{i}]: expected a node from Input() or a layer call, got {type(n).__name__}")
    return java_array("ember.keras.KerasNode", [n.value for n in nodes])


__all__ = ["Sequential", "Model", "Input", "KerasNode", "KerasModel"]
