"""BigDL's path of the parameter regularizers, which live in :mod:`ember.nn.regularizer` (layers hold them)."""
from ember.nn.regularizer import L1L2Regularizer, L1Regularizer, L2Regularizer, Regularizer

__all__ = ["Regularizer", "L1L2Regularizer", "L1Regularizer", "L2Regularizer"]
