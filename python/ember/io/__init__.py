"""Ember's model file (mirrors ``ember.io``): load/save through the model classes, plus a numpy reader."""
from ember.io.model_file import read_weights

__all__ = ["read_weights"]
