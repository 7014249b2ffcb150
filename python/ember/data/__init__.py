"""Training data (mirrors ``ember.data``): ``Sample`` and the in-memory ``LocalDataSet``."""
from ember.data.dataset import LocalDataSet
from ember.data.sample import Sample

__all__ = ["Sample", "LocalDataSet"]
