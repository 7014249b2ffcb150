"""Distributed training and inference on Spark (mirrors ``ember.parallel``)."""
from ember.parallel.distri_optimizer import DistriOptimizer
from ember.parallel.predictor import Predictor

__all__ = ["DistriOptimizer", "Predictor"]
