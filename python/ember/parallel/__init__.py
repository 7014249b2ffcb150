"""Distributed training and inference on Spark (mirrors ``ember.parallel``)."""
from ember.parallel.predictor import Predictor

__all__ = ["Predictor"]
