"""Bases of the Python layer and criterion wrappers: :class:`Model` (alias ``Layer``) and :class:`Criterion`."""
import numpy as np

from ember import _convert
from ember._args import as_batch_size, as_bool, as_str
from ember._java import JavaValue, call_method, call_static, java_array, java_list
from ember._results import ValidationResult
from ember.data.dataset import LocalDataSet
from ember.data.rdd import RDD_API, is_spark_data, python_rdd, to_sample_rdd
from ember.nn.regularizer import Regularizer

MODEL_API = "ember.python.ModelApi"
MODEL_FILE = "ember.io.ModelFile"  # the JVM's model file (saving and loading go through ember.io only)


class Model(JavaValue):
    """Base of every layer and container: a JVM ``ember.nn.Module`` driven with numpy arrays.

    ``forward``/``backward`` take and return numpy float32 arrays (a list of arrays for multi-input or
    multi-output modules). ``Model.loadModel(path)`` rebuilds the right Python class from the file.
    ``Model(inputs, outputs)`` with graph nodes builds a :class:`~ember.nn.graph.Graph` (BigDL's functional API).

    Examples:
        >>> import numpy as np
        >>> from ember.nn.layer import Linear
        >>> m = Linear(3, 2)
        >>> m.forward(np.ones((4, 3), np.float32)).shape
        (4, 2)
    """

    _java_class = "ember.nn.Module"

    def __new__(cls, *args, **kwargs):
        # BigDL's functional API: Model(inputs, outputs) builds a graph (ember.nn.graph.Graph); subclasses
        # and wrappers rebuilt from the JVM (Model.of) are created as usual.
        if cls is Model and (args or kwargs):
            from ember.nn.graph import Graph

            return Graph.__new__(Graph)
        return super().__new__(cls)

    # ------------------------------------------------------------------ functional API
    def inputs(self, *nodes):
        """A graph node applying this layer to ``nodes`` (BigDL's ``layer.inputs(node, ...)``); one node
        gives the layer that node's output, several the list of their outputs. Also ``layer(node, ...)``.
        """
        from ember.nn.graph import Node, _nodes

        if len(nodes) == 1 and isinstance(nodes[0], (list, tuple)):
            nodes = nodes[0]
        return Node.of(self._call("inputs", _nodes(nodes, "inputs")), Node)

    def __call__(self, *nodes):
        return self.inputs(*nodes)

    # ------------------------------------------------------------------ freezing
    def freeze(self, names=None):
        """Freezes sub-modules: all of them without ``names``, else the modules named ``names`` (a name or
        a list, see :meth:`set_name`) with their descendants. Frozen parameters get no gradient, so training
        leaves them unchanged. Returns ``self``.

        Raises:
            ValueError: a name that is not in the model.
        """
        self._call("freeze", _string_array(names))
        return self

    def unfreeze(self, names=None):
        """Undoes :meth:`freeze` (all modules without ``names``). Returns ``self``."""
        self._call("unFreeze", _string_array(names))
        return self

    unFreeze = unfreeze

    def is_frozen(self):
        return bool(self._call("isFrozen"))

    # ------------------------------------------------------------------ forward / backward
    def forward(self, input):
        """Runs the module on ``input`` (array, or list of arrays) and returns its output."""
        return _convert.from_activity(self._call("forward", _convert.to_activity(input)))

    def backward(self, input, grad_output):
        """Back-propagates ``grad_output``; accumulates parameter gradients; returns the input gradient.

        ``input`` must be the input of the last ``forward`` call.
        """
        return _convert.from_activity(call_static(MODEL_API, "backward", self.value, _convert.to_activity(input),
                                                  _convert.to_activity(grad_output, "grad_output")))

    def zero_grad_parameters(self):
        """Sets all parameter gradients to zero."""
        self._call("zeroGradParameters")
        return self

    # ------------------------------------------------------------------ modes and inference
    def training(self):
        """Switches to training mode (dropout active). Returns ``self``."""
        self._call("training")
        return self

    def is_training(self):
        return bool(self._call("isTraining"))

    def evaluate(self, *args, **kwargs):
        """Without arguments: switches to evaluation mode and returns ``self`` (BigDL's mode switch).

        With data, ``evaluate(x, y, batch_size=128, methods=None)`` scores the model on arrays ``x`` and
        0-based labels ``y`` with validation methods (default ``[Top1Accuracy()]``) and returns a list of
        :class:`ember.optim.ValidationResult`. ``evaluate(rdd, batch_size=128, methods=None)`` does the same
        on the executors for an RDD of Samples or ``(features, label)`` pairs, or a DataFrame.
        """
        if not args and not kwargs:
            self._call("evaluate")
            return self
        data = args[0] if args else next((kwargs[k] for k in ("x", "data", "val_rdd") if k in kwargs), None)
        if _is_spark_data(data):
            return _evaluate_spark(self, *args, **kwargs)
        return _evaluate_arrays(self, *args, **kwargs)

    def predict(self, x, batch_size=128):
        """Outputs for every row of ``x`` in evaluation mode, ``batch_size`` rows at a time.

        ``x`` may also be an RDD (of feature arrays, Samples or ``(features, label)`` pairs) or a DataFrame:
        the prediction then runs on the executors and the result is an RDD of one array per sample.

        Shape:
            - x: (N, *) where * is one sample's shape
            - output: (N, *) the model's output per sample
        """
        if _is_spark_data(x):
            jrdd = call_static(RDD_API, "predict", self.value, to_sample_rdd(x).value, as_batch_size(batch_size))
            return python_rdd(jrdd, _convert.unpack_batch)
        out = call_static(MODEL_API, "predict", self.value, _convert.to_tensor(x, "x"), as_batch_size(batch_size))
        return _convert.to_numpy(out)

    def predict_class(self, x, batch_size=128):
        """0-based index of the highest output for every row of ``x`` (int32 array of shape (N,)).

        For an RDD or DataFrame ``x``: an RDD of ints, computed on the executors.
        """
        if _is_spark_data(x):
            jrdd = call_static(RDD_API, "predictClass", self.value, to_sample_rdd(x).value, as_batch_size(batch_size))
            return python_rdd(jrdd, _convert.unpack_classes)
        raw = call_static(MODEL_API, "predictClass", self.value, _convert.to_tensor(x, "x"), as_batch_size(batch_size))
        return np.frombuffer(raw, dtype="<i4").astype(np.int32)

    def quantize(self, calibration_data, batch_size=128):
        """An int8 copy of this model for inference (BigDL's ``quantize``): its SpatialConvolution and Linear
        layers become :mod:`ember.nn.quantized` layers computing in int8, with each layer's input range measured
        by running ``calibration_data`` (typical inputs, e.g. a few hundred training samples) through the model;
        every other layer stays float32, except that a batch normalisation after a convolution is folded into it
        and a ReLU or Tanh after one of them becomes its fused activation (both left as ``Identity`` in the
        copy). The original model is not changed. The result saves and loads like any
        model (int8 weights are stored as I8, in model format version 2).

        Args:
            calibration_data (numpy.ndarray): samples shaped as the model's input, (N, *) with N >= 1.
            batch_size (int): calibration samples per forward. Default: 128.

        Raises:
            ValueError: no, empty or non-finite calibration data, or data the model cannot take.

        Examples:
            >>> import numpy as np
            >>> from ember.nn.layer import Linear, ReLU, Sequential
            >>> m = Sequential().add(Linear(4, 8)).add(ReLU()).add(Linear(8, 2))
            >>> q = m.quantize(np.random.RandomState(0).randn(64, 4).astype(np.float32))
            >>> [f"{type(c).__module__}.{type(c).__name__}" for c in q.modules]
            ['ember.nn.quantized.Linear', 'ember.nn.linear.Identity', 'ember.nn.quantized.Linear']
        """
        if calibration_data is None:
            raise ValueError("quantize: calibration_data is required: typical inputs (e.g. a few hundred training "
                             "samples) from which each layer's input range is measured")
        data = _convert.to_tensor(calibration_data, "calibration_data")
        return Model.of(call_static("ember.nn.quantized.Quantizer", "quantize", self.value, data,
                                    as_batch_size(batch_size)))

    # ------------------------------------------------------------------ parameters
    def get_weights(self):
        """Copies of all weights as a list of numpy arrays (order of :meth:`parameters`)."""
        return [_convert.to_numpy(t) for t in call_static(MODEL_API, "weights", self.value)]

    def set_weights(self, weights):
        """Sets all weights from a list of arrays (same count, order and shapes as :meth:`get_weights`)."""
        weights = list(weights)
        tensors = [_convert.to_tensor(w, f"weights[{i}]") for i, w in enumerate(weights)]
        call_static(MODEL_API, "setWeights", self.value, java_list(tensors))
        return self

    def parameters(self, with_gradients=False):
        """All weights by name ("0.weight", "3.bias"), as a dict of numpy arrays; with ``with_gradients``, a
        dict of ``{"weight": array, "gradient": array}`` per name (BigDL's parameters() gave both), the
        gradients accumulated by :meth:`backward` since the last :meth:`zero_grad_parameters`."""
        names = list(call_static(MODEL_API, "weightNames", self.value))
        if not with_gradients:
            return dict(zip(names, self.get_weights()))
        return {n: {"weight": w, "gradient": g} for n, w, g in zip(names, self.get_weights(), self.get_gradients())}

    def get_gradients(self):
        """Copies of all parameter gradients as a list of numpy arrays (order of :meth:`parameters`)."""
        return [_convert.to_numpy(t) for t in call_static(MODEL_API, "gradients", self.value)]

    def n_parameters(self):
        """Total number of trainable values."""
        return int(self._call("parameterCount"))

    def set_regularizer(self, param, regularizer):
        """Attaches ``regularizer`` (e.g. ``L2Regularizer(1e-4)``) to this layer's own parameter ``param``
        ("weight" or "bias"); None removes it. Returns ``self``.

        Raises:
            ValueError: the layer has no parameter ``param``.
        """
        if regularizer is not None and not isinstance(regularizer, Regularizer):
            raise TypeError(f"regularizer: expected a Regularizer such as L2Regularizer(1e-4), got "
                            f"{type(regularizer).__name__}")
        self._call("setRegularizer", as_str(param, "param"), None if regularizer is None else regularizer.value)
        return self

    def regularizers(self):
        """This layer's own regularizers as a dict: parameter name -> Regularizer."""
        pairs = call_static(MODEL_API, "regularizers", self.value)
        return {str(call_method(p, "_1")): JavaValue.of(call_method(p, "_2"), Regularizer) for p in pairs}

    def _set_regularizers(self, w_regularizer, b_regularizer):
        if w_regularizer is not None:
            self.set_regularizer("weight", w_regularizer)
        if b_regularizer is not None:
            self.set_regularizer("bias", b_regularizer)
        return self

    def set_init_method(self, weight_init_method=None, bias_init_method=None):
        """Re-initialises the weight and bias with initialisation methods (BigDL's ``set_init_method``), e.g.
        ``Linear(4, 3).set_init_method(Xavier(), Zeros())``; None keeps that parameter. On a container it
        applies to every layer inside. A later :meth:`reset` goes back to the layer's default. Returns ``self``.

        Args:
            weight_init_method, bias_init_method (InitializationMethod, optional): from
                :mod:`ember.nn.initialization_method`.
        """
        from ember.nn.initialization_method import InitializationMethod

        for name, m in (("weight_init_method", weight_init_method), ("bias_init_method", bias_init_method)):
            if m is not None and not isinstance(m, InitializationMethod):
                raise TypeError(f"{name}: expected an initialization method such as Xavier(), got {type(m).__name__}")
        self._call("setInitMethod", None if weight_init_method is None else weight_init_method.value,
                   None if bias_init_method is None else bias_init_method.value)
        return self

    def reset(self):
        """Re-initialises the parameters."""
        self._call("reset")
        return self

    # ------------------------------------------------------------------ names and files
    def set_name(self, name):
        self._call("setName", as_str(name, "name"))
        return self

    def name(self):
        return self._call("getName")

    def saveModel(self, path, over_write=False):
        """Saves the model (structure + weights) in Ember's model file, readable from Scala and numpy.

        The write is atomic: a failed save leaves no partial file.

        Raises:
            FileExistsError: ``path`` exists and ``over_write`` is False.
        """
        call_static(MODEL_FILE, "save", self.value, _path(path), as_bool(over_write, "over_write"))
        return self

    save_model = saveModel

    @staticmethod
    def loadModel(path, trust_python_code=False):
        """Loads a model saved from Python or Scala, rebuilding the matching Python classes.

        A model with Python layers (``ember.jep``) runs code from the Python modules it names: it loads only with
        ``trust_python_code=True``; nothing of it runs while loading.

        Raises:
            FileNotFoundError: no file at ``path``.
            ModelFileError: the file is corrupt, names an unknown layer class, or needs Python code (the error names
                the modules) without ``trust_python_code``.
        """
        trusted = as_bool(trust_python_code, "trust_python_code")
        return Model.of(call_static(MODEL_FILE, "load", _path(path), trusted))

    load_model = loadModel


Layer = Model  # BigDL's name for the base class


def _string_array(names):
    if names is None:
        names = []
    elif isinstance(names, str):
        names = [names]
    return java_array("java.lang.String", [as_str(n, "names") for n in names])


def _path(path):
    """A file path argument (str or os.PathLike) as a str."""
    import os

    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__} {path!r}")
    return os.fspath(path)


def _is_spark_data(x):
    if isinstance(x, np.ndarray) or x is None:  # the common case, without importing pyspark
        return False
    return is_spark_data(x)


def _evaluate_arrays(model, x, y, batch_size=128, methods=None):
    """Scores ``model`` on arrays ``x``, ``y`` (0-based labels) in the driver JVM."""
    return _scores(model, LocalDataSet(x, y).value, batch_size, methods)


def _evaluate_spark(model, data=None, batch_size=128, methods=None, x=None, val_rdd=None, val_methods=None):
    """Scores ``model`` on Spark data (labelled samples) on the executors."""
    data = next(d for d in (data, x, val_rdd) if d is not None)
    return _scores(model, to_sample_rdd(data).value, batch_size, methods if methods is not None else val_methods)


def _scores(model, dataset, batch_size, methods):
    scores = call_static(MODEL_API, "evaluate", model.value, dataset, _methods_array(methods),
                         as_batch_size(batch_size))
    return [ValidationResult(float(call_method(s, "score")), int(call_method(s, "count")),
                             str(call_method(s, "method"))) for s in scores]


def _methods_array(methods):
    """A JVM Object[] of validation methods (one or a list; none: empty, and the JVM scores Top1Accuracy)."""
    methods = [] if methods is None else [methods] if isinstance(methods, JavaValue) else list(methods)
    for m in methods:
        if not isinstance(m, JavaValue):
            raise TypeError(f"methods: expected validation methods such as Top1Accuracy(), got {type(m).__name__}")
    return java_array("java.lang.Object", [m.value for m in methods])


class Criterion(JavaValue):
    """Base of the loss wrappers: ``forward(input, target)`` is the loss, ``backward`` its input gradient.

    Examples:
        >>> import numpy as np
        >>> from ember.nn.criterion import MSECriterion
        >>> float(MSECriterion().forward(np.ones((2, 2)), np.zeros((2, 2))))
        1.0
    """

    _java_class = "ember.nn.Criterion"

    def forward(self, input, target):
        return float(self._call("forward", _convert.to_activity(input), _convert.to_activity(target, "target")))

    def backward(self, input, target):
        return _convert.from_activity(
            self._call("backward", _convert.to_activity(input), _convert.to_activity(target, "target")))
