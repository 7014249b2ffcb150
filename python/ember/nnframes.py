"""BigDL's ``bigdl.nnframes`` names (re-exports of :mod:`ember.ml`): port a BigDL program by changing its import."""
from ember.ml import (ImageCenterCrop, ImageHFlip, ImageRandomCrop, ImageResize, ImageToTensor, NNClassifier,
                      NNClassifierModel, NNEstimator, NNImageReader, NNModel, SequenceShaper)

__all__ = [
    "NNEstimator", "NNClassifier", "NNModel", "NNClassifierModel", "NNImageReader", "ImageResize", "ImageCenterCrop",
    "ImageRandomCrop", "ImageHFlip", "ImageToTensor", "SequenceShaper",
]
