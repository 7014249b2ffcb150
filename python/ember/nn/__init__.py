"""Layers, containers and losses (mirrors the Scala package ``ember.nn``)."""
from ember.nn.criterion import *  # noqa: F401,F403
from ember.nn.criterion import __all__ as _criteria
from ember.nn.layer import *  # noqa: F401,F403
from ember.nn.layer import __all__ as _layers

__all__ = list(_layers) + list(_criteria)
