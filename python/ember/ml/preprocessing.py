"""``pyspark.ml`` wrappers of Ember's JVM preprocessing stages (``ember.ml.ImageResize``, ..., ``SequenceShaper``).

The work runs on the executors inside the JVM (no Python worker per row). Image stages read Spark's image
schema (``spark.read.format("image")`` or :func:`NNImageReader.readImages`); ``ImageToTensor`` ends a chain
with a CHW float array. Each stage works standalone in a Pipeline (classic or Spark Connect) or as an
estimator's ``setFeaturePreprocessing([...])`` (classic session).
"""
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.util import JavaMLReadable, JavaMLWritable
from pyspark.ml.wrapper import JavaTransformer
from pyspark.sql import is_remote

from ember import _pyspark
from ember._java import call_java


class _ColumnStage(JavaTransformer, JavaMLWritable, JavaMLReadable):
    inputCol = Param(Params._dummy(), "inputCol", "input column name", TypeConverters.toString)
    outputCol = Param(Params._dummy(), "outputCol", "output column name ('' replaces the input)", TypeConverters.toString)

    def __init__(self, **params):
        super().__init__()
        self._java_obj = self._new_java_obj("ember.ml." + type(self).__name__, self.uid)
        self._setDefault(outputCol="")
        for name, value in params.items():
            if not self.hasParam(name):
                raise TypeError(f"{type(self).__name__}: unknown parameter {name!r}")
            self._set(**{name: value})

    def setInputCol(self, value):
        return self._set(inputCol=value)

    def setOutputCol(self, value):
        return self._set(outputCol=value)

    def _transform(self, dataset):
        if is_remote():
            return super()._transform(dataset)
        self._transfer_params_to_java()
        return _pyspark.python_dataframe(call_java(self._java_obj.transform, _pyspark.java_dataframe(dataset)),
                                         dataset.sparkSession)


class _Size(Params):
    height = Param(Params._dummy(), "height", "height in pixels", TypeConverters.toInt)
    width = Param(Params._dummy(), "width", "width in pixels", TypeConverters.toInt)

    def setHeight(self, value):
        return self._set(height=value)

    def setWidth(self, value):
        return self._set(width=value)


class _Random(Params):
    seed = Param(Params._dummy(), "seed", "random seed", TypeConverters.toInt)

    def setSeed(self, value):
        return self._set(seed=value)


class ImageResize(_ColumnStage, _Size):
    """Bilinear resize of an image column to ``height`` x ``width``."""

    __module__ = "ember.ml"

    def __init__(self, height=None, width=None, **params):
        super().__init__(**params)
        self._setDefault(inputCol="image")
        if height is not None:
            self._set(height=height, width=width if width is not None else height)


class ImageCenterCrop(_ColumnStage, _Size):
    """The central ``height`` x ``width`` window of each image."""

    __module__ = "ember.ml"

    def __init__(self, height=None, width=None, **params):
        super().__init__(**params)
        self._setDefault(inputCol="image")
        if height is not None:
            self._set(height=height, width=width if width is not None else height)


class ImageRandomCrop(_ColumnStage, _Size, _Random):
    """A ``height`` x ``width`` window at a random (seeded) position."""

    __module__ = "ember.ml"

    def __init__(self, height=None, width=None, **params):
        super().__init__(**params)
        self._setDefault(inputCol="image", seed=1)
        if height is not None:
            self._set(height=height, width=width if width is not None else height)


class ImageHFlip(_ColumnStage, _Random):
    """Left-right mirror with probability ``probability`` (1: always)."""

    __module__ = "ember.ml"
    probability = Param(Params._dummy(), "probability", "flip probability", TypeConverters.toFloat)

    def __init__(self, **params):
        super().__init__(**params)
        self._setDefault(inputCol="image", probability=1.0, seed=1)


class ImageToTensor(_ColumnStage):
    """Image -> CHW float array ``(pixel * scale - mean[c]) / std[c]``, RGB order unless ``toRGB=False``."""

    __module__ = "ember.ml"
    scale = Param(Params._dummy(), "scale", "factor applied to pixel values first", TypeConverters.toFloat)
    mean = Param(Params._dummy(), "mean", "per-channel mean", TypeConverters.toListFloat)
    std = Param(Params._dummy(), "std", "per-channel std", TypeConverters.toListFloat)
    toRGB = Param(Params._dummy(), "toRGB", "reorder BGR to RGB", TypeConverters.toBoolean)

    def __init__(self, **params):
        super().__init__(**params)
        self._setDefault(inputCol="image", scale=1.0 / 255, mean=[], std=[], toRGB=True)


class SequenceShaper(_ColumnStage):
    """Token ids (or string tokens through ``vocabulary``: id = index + 1, unknown = len + 1, 0 = padding)
    padded / truncated to ``length``."""

    __module__ = "ember.ml"
    length = Param(Params._dummy(), "length", "output length", TypeConverters.toInt)
    padValue = Param(Params._dummy(), "padValue", "padding id", TypeConverters.toInt)
    padding = Param(Params._dummy(), "padding", "pre or post", TypeConverters.toString)
    truncating = Param(Params._dummy(), "truncating", "pre or post", TypeConverters.toString)
    vocabulary = Param(Params._dummy(), "vocabulary", "words of a string-token column", TypeConverters.toListString)

    def __init__(self, length=None, **params):
        super().__init__(**params)
        self._setDefault(padValue=0, padding="post", truncating="post", vocabulary=[])
        if length is not None:
            self._set(length=length)

    def setLength(self, value):
        return self._set(length=value)

    def setVocabulary(self, value):
        return self._set(vocabulary=list(value))


class NNImageReader:
    """BigDL's image reader: ``NNImageReader.readImages(path, spark)`` is ``spark.read.format("image")``
    (column ``image``: origin, height, width, nChannels, mode, data) with invalid files dropped."""

    @staticmethod
    def readImages(path, spark, min_partitions=0):
        df = spark.read.format("image").option("dropInvalid", True).load(path)
        if min_partitions and min_partitions > 0:
            df = df.repartition(min_partitions)
        return df
