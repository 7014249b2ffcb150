"""Spark data as training samples: Python RDDs and DataFrames become a JVM ``RDD[ember.data.Sample]``.

No sample crosses py4j on its own. A Python RDD is encoded inside the Python workers
(:func:`ember._convert.pack_samples`: records of many samples, raw little-endian float32) and reaches the
JVM through Spark's own serialized partition path, where ``ember.python.RddApi.toSamples`` decodes it; a
DataFrame is read by the JVM alone. Results of distributed inference come back the same way, one record
per mini-batch.
"""
import numpy as np

from ember import _convert, _pyspark, errors
from ember._java import JavaValue, call_java, call_static

RDD_API = "ember.python.RddApi"

__all__ = ["SampleRDD", "to_sample_rdd", "from_dataframe", "is_spark_data"]


def _is_rdd(x):
    from pyspark import RDD

    return isinstance(x, RDD)


def _is_dataframe(x):
    try:
        from pyspark.sql import DataFrame
    except ImportError:  # pragma: no cover - pyspark always ships pyspark.sql
        return False
    return isinstance(x, DataFrame)


def is_spark_data(x):
    """True for what :func:`to_sample_rdd` takes: a pyspark RDD, a DataFrame or a :class:`SampleRDD`."""
    return isinstance(x, SampleRDD) or _is_rdd(x) or _is_dataframe(x)


class SampleRDD(JavaValue):
    """Samples held by the JVM: an ``RDD[ember.data.Sample]`` built by :func:`to_sample_rdd`.

    Convert once and reuse it (for training and validation, or several ``optimize()`` runs); ``cache()``
    keeps the decoded samples in executor memory.

    Examples:
        >>> import numpy as np
        >>> from ember.util.common import init_engine
        >>> sc = init_engine()
        >>> rdd = sc.parallelize([(np.ones(3) * i, i % 2) for i in range(10)], 2)
        >>> to_sample_rdd(rdd).cache().count()
        10
    """

    def __init__(self, jrdd):
        super().__init__(jrdd)

    def cache(self):
        """Keeps the samples in executor memory once computed; returns ``self``."""
        self._call("cache")
        return self

    def count(self):
        """The number of samples (runs a Spark job)."""
        return int(self._call("count"))

    def num_partitions(self):
        return int(self._call("getNumPartitions"))

    def __repr__(self):
        return f"SampleRDD({self._call('toString')})"


def to_sample_rdd(data, name="data", features_col="features", label_col="label", feature_shape=None,
                  labels_required=False):
    """A :class:`SampleRDD` from a pyspark RDD or DataFrame (a SampleRDD is returned as is).

    Args:
        data: an RDD whose elements are :class:`~ember.data.Sample` objects, ``(features, label)`` pairs
            (features an array or a list of arrays for a multi-input model, label a 0-based class index, a
            number or an array), or bare feature arrays (prediction input); or a DataFrame (see
            :func:`from_dataframe`, with ``features_col``, ``label_col``, ``feature_shape``).
        name (str): the argument name used in error messages.
        labels_required (bool): training data: a DataFrame without ``label_col`` is refused at once, an RDD
            element without a label when the samples are decoded (the first Spark job, before any training
            step).

    Raises:
        TypeError: ``data`` is not Spark data.
        ValueError: ``labels_required`` and the labels are missing (the message names the column).
    """
    if isinstance(data, SampleRDD):
        return data
    if _is_dataframe(data):
        if labels_required and (label_col is None or label_col not in data.columns):
            raise errors.EmberValueError(
                f"{name}: the labels are missing: the DataFrame has no label column {label_col!r} (its columns: "
                f"{', '.join(data.columns)}); training needs one (pass label_col= to name another)")
        return from_dataframe(data, features_col, label_col, feature_shape)
    if _is_rdd(data):
        packed = data.mapPartitionsWithIndex(_LabelledPacker(name) if labels_required else _pack_partition)
        return SampleRDD(call_static(RDD_API, "toSamples", call_java(_pyspark.java_rdd_of_bytes, packed)))
    raise TypeError(f"{name}: expected a pyspark RDD or DataFrame (or an ember SampleRDD), got {type(data).__name__}")


def _pack_partition(index, records):
    return _convert.pack_samples(records, index)


class _LabelledPacker:
    """Packs a partition of training samples, refusing an element without a label (a bare feature array)."""

    def __init__(self, name):
        self.name = name

    def __call__(self, index, records):
        return _convert.pack_samples(self._labelled(index, records), index)

    def _labelled(self, index, records):
        for i, record in enumerate(records):
            pair = isinstance(record, (tuple, list)) and len(record) == 2
            if isinstance(record, np.ndarray) or getattr(record, "label", 0) is None or (pair and record[1] is None):
                raise ValueError(f"{self.name}: the labels are missing: partition {index}, element {i} is "
                                 f"{type(record).__name__} without a label; training needs (features, label) "
                                 "pairs or Samples with a label")
            yield record


def from_dataframe(df, features_col="features", label_col="label", feature_shape=None):
    """A :class:`SampleRDD` from the columns of a DataFrame, read on the JVM (no Python worker involved).

    Args:
        df (DataFrame): a classic (not Spark Connect) DataFrame.
        features_col (str): a Spark ML / MLlib vector column or an array column of numbers (nested
            arrays are flattened row-major).
        label_col (str or None): a numeric column (class index, 0-based, or scalar target) or a
            vector/array column. None, or a ``"label"`` default that the DataFrame lacks: no labels
            (prediction input).
        feature_shape (sequence of int, optional): the shape of one sample's features, e.g. ``(1, 28, 28)``
            for 784 values. Default: flat.

    Raises:
        ValueError: a missing column, a column of the wrong type, a null value, or values that do not fit
            ``feature_shape`` (the message names the column).
    """
    jdf = _pyspark.java_dataframe(df)
    if jdf is None:
        raise errors.EmberValueError("from_dataframe: this DataFrame has no JVM counterpart (Spark Connect); "
                                     "Ember needs a classic SparkSession")
    if label_col == "label" and "label" not in df.columns:
        label_col = None
    shape = [] if feature_shape is None else [int(s) for s in feature_shape]
    return SampleRDD(call_static(RDD_API, "fromDataFrame", jdf, str(features_col),
                                 None if label_col is None else str(label_col), _convert._int_bytes(shape)))


def python_rdd(jrdd, decode):
    """A pyspark RDD over a JVM ``JavaRDD[byte[]]``, each record expanded by ``decode(bytes) -> list``."""
    return _pyspark.rdd_of_java_bytes(jrdd).flatMap(decode)
