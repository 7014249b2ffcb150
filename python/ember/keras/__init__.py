"""The Keras-style API (BigDL's ``bigdl.nn.keras``): layers with shape inference in :mod:`ember.keras.layer`,
models with ``compile`` / ``fit`` / ``evaluate`` / ``predict`` in :mod:`ember.keras.topology`. The models they
build are ordinary Ember models."""
from ember.keras.layer import *  # noqa: F401,F403
from ember.keras.layer import __all__ as _layers
from ember.keras.metrics import BinaryAccuracy, CategoricalAccuracy
from ember.keras.topology import Input, KerasModel, KerasNode, Model, Sequential

__all__ = list(_layers) + ["BinaryAccuracy", "CategoricalAccuracy", "Input", "KerasModel", "KerasNode", "Model", "Sequential"]
