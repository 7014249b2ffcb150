"""BigDL-compatible names of Ember's losses (re-exports only): ``from ember.nn.criterion import ...``."""
from ember.nn.criterion_classification import CategoricalCrossEntropy, ClassNLLCriterion, CrossEntropyCriterion
from ember.nn.criterion_detection import MultiBoxCriterion
from ember.nn.criterion_embedding import TripletMarginCriterion
from ember.nn.criterion_container import (MultiCriterion, ParallelCriterion, TimeDistributedCriterion,
                                          TimeDistributedMaskCriterion)
from ember.nn.criterion_margin import (ClassSimplexCriterion, CosineEmbeddingCriterion, HingeEmbeddingCriterion,
                                       MarginCriterion, MarginRankingCriterion, MultiLabelSoftMarginCriterion,
                                       SoftMarginCriterion)
from ember.nn.criterion_pointwise import (AbsCriterion, DistKLDivCriterion, KLDCriterion,
                                          MeanAbsolutePercentageCriterion, PoissonCriterion, SmoothL1Criterion)
from ember.nn.criterion_python import PythonCriterion
from ember.nn.criterion_regression import BCECriterion, MSECriterion
from ember.nn.module import Criterion

__all__ = [
    "Criterion", "ClassNLLCriterion", "CrossEntropyCriterion", "CategoricalCrossEntropy", "PythonCriterion",
    "MSECriterion", "BCECriterion", "SmoothL1Criterion",
    "AbsCriterion", "KLDCriterion", "DistKLDivCriterion", "MarginCriterion", "MarginRankingCriterion",
    "HingeEmbeddingCriterion", "CosineEmbeddingCriterion", "MultiLabelSoftMarginCriterion", "SoftMarginCriterion",
    "TimeDistributedCriterion", "TimeDistributedMaskCriterion", "ParallelCriterion", "MultiCriterion",
    "ClassSimplexCriterion", "PoissonCriterion", "MeanAbsolutePercentageCriterion", "TripletMarginCriterion",
    "MultiBoxCriterion",
]
