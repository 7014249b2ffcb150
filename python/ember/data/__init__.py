"""Training data: ``Sample`` (features + label as numpy arrays)."""
from ember.data.sample import Sample

__all__ = ["Sample"]
