"""Spark ML pipeline stages (``pyspark.ml`` wrappers of the JVM ``ember.ml`` package).

``NNEstimator`` / ``NNClassifier`` train a network on a DataFrame and give an ``NNModel`` /
``NNClassifierModel``; the preprocessing stages (``ImageResize``, ``ImageCenterCrop``, ``ImageRandomCrop``,
``ImageHFlip``, ``ImageToTensor``, ``SequenceShaper``) run on the executors in the JVM. All of them work in
``pyspark.ml.Pipeline``, ``CrossValidator`` and ``TrainValidationSplit``, save and load with the pipeline, and
work from a Spark Connect client (see the README section "Spark ML pipelines"). :mod:`ember.ml.spec`
describes networks without a JVM.
"""
from ember.ml import spec
from ember.ml.estimator import NNClassifier, NNClassifierModel, NNEstimator, NNModel
from ember.ml.preprocessing import (ImageCenterCrop, ImageHFlip, ImageRandomCrop, ImageResize, ImageToTensor,
                                    NNImageReader, SequenceShaper)

__all__ = [
    "NNEstimator", "NNClassifier", "NNModel", "NNClassifierModel", "ImageResize", "ImageCenterCrop",
    "ImageRandomCrop", "ImageHFlip", "ImageToTensor", "SequenceShaper", "NNImageReader", "spec",
]
