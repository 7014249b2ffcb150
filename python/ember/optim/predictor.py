"""Distributed inference on Spark data (``ember.optim.Predictor`` on the JVM).

``model.predict(rdd)``, ``model.predict_class(rdd)`` and ``model.evaluate(rdd, batch_size, methods)`` come
here when given an RDD or a DataFrame instead of numpy arrays.
"""
from ember import _convert
from ember._java import call_method, call_static
from ember.data.rdd import RDD_API, python_rdd, to_sample_rdd


def _batch_size(batch_size):
    from ember.nn.module import _as_batch_size

    return _as_batch_size(batch_size)


class Predictor:
    """Runs a model on every sample of an RDD or DataFrame, on the executors.

    The model is broadcast once per job (as its model-file bytes); each task runs its own copy in
    evaluation mode on mini-batches of ``batch_size`` consecutive samples, so results keep the input order.
    ``predict`` and ``predict_class`` run their Spark job when called (a bad input raises there, as a
    Python exception) and keep the results on the executors (memory, then disk) for the returned RDD
    until it is garbage-collected (Spark's ContextCleaner then drops them).

    Args:
        model (Model): the model (its current weights are used).
        batch_size (int): samples per forward pass. Default: 128.

    Examples:
        >>> import numpy as np
        >>> from ember.util.common import init_engine
        >>> from ember.nn.layer import Linear
        >>> sc = init_engine()
        >>> rdd = sc.parallelize([np.ones(3, np.float32) * i for i in range(5)], 2)
        >>> [a.shape for a in Predictor(Linear(3, 2)).predict(rdd).collect()]
        [(2,), (2,), (2,), (2,), (2,)]
    """

    def __init__(self, model, batch_size=128):
        self.model = model
        self.batch_size = _batch_size(batch_size)

    def predict(self, data):
        """An RDD of the model's output per sample: numpy float32 arrays of the per-sample output shape.

        Shape:
            - data: elements of shape (*) (features; labels are ignored)
            - output: elements of shape (*out) where the model maps (N, *) to (N, *out)
        """
        jrdd = call_static(RDD_API, "predict", self.model.value, to_sample_rdd(data).value, self.batch_size)
        return python_rdd(jrdd, _convert.unpack_batch)

    def predict_class(self, data):
        """An RDD of the 0-based index (int) of each sample's highest output."""
        jrdd = call_static(RDD_API, "predictClass", self.model.value, to_sample_rdd(data).value, self.batch_size)
        return python_rdd(jrdd, _convert.unpack_classes)

    def evaluate(self, data, methods=None):
        """Scores the model on labelled Spark data; returns a list of :class:`ValidationResult`.

        Args:
            data: an RDD of Samples or ``(features, label)`` pairs, or a DataFrame with a label column.
            methods (list of ValidationMethod): Default: ``[Top1Accuracy()]``.
        """
        from ember.optim.validation import ValidationResult, methods_array

        methods, jmethods = methods_array(methods)
        results = call_static(RDD_API, "evaluate", self.model.value, to_sample_rdd(data).value, jmethods,
                              self.batch_size)
        return [ValidationResult(float(call_method(r, "score")), int(call_method(r, "count")), m._call("name"))
                for m, r in zip(methods, results)]


__all__ = ["Predictor"]
