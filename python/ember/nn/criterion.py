"""BigDL-compatible names of Ember's losses (re-exports only): ``from ember.nn.criterion import ...``."""
from ember.nn.criterion_classification import ClassNLLCriterion, CrossEntropyCriterion
from ember.nn.criterion_regression import BCECriterion, MSECriterion
from ember.nn.module import Criterion

__all__ = ["Criterion", "ClassNLLCriterion", "CrossEntropyCriterion", "MSECriterion", "BCECriterion"]
