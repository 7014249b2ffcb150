"""Distributed inference on Spark data under BigDL's name: :class:`Predictor` holds a model and a batch size
and runs ``model.predict(rdd)``, ``model.predict_class(rdd)`` and ``model.evaluate(rdd, batch_size, methods)``,
which ask the JVM's ``ember.optim.Predictor`` to do the work on the executors.
"""
from ember._args import as_batch_size
from ember.data.rdd import is_spark_data


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
        self.batch_size = as_batch_size(batch_size)

    def predict(self, data):
        """An RDD of the model's output per sample: numpy float32 arrays of the per-sample output shape.

        Shape:
            - data: elements of shape (*) (features; labels are ignored)
            - output: elements of shape (*out) where the model maps (N, *) to (N, *out)
        """
        return self.model.predict(_spark_data(data), self.batch_size)

    def predict_class(self, data):
        """An RDD of the 0-based index (int) of each sample's highest output."""
        return self.model.predict_class(_spark_data(data), self.batch_size)

    def evaluate(self, data, methods=None):
        """Scores the model on labelled Spark data; returns a list of :class:`ValidationResult`.

        Args:
            data: an RDD of Samples or ``(features, label)`` pairs, or a DataFrame with a label column.
            methods (list of ValidationMethod): Default: ``[Top1Accuracy()]``.
        """
        return self.model.evaluate(_spark_data(data), self.batch_size, methods)


def _spark_data(data):
    if not is_spark_data(data):
        raise TypeError("Predictor: expected a pyspark RDD or DataFrame (or an ember SampleRDD), got "
                        f"{type(data).__name__}")
    return data


__all__ = ["Predictor"]
