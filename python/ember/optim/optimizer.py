"""Training (BigDL's ``bigdl.optim.optimizer`` names): :class:`Optimizer`, optim methods, triggers,
validation methods and summaries, all importable from here.

Examples:
    >>> import numpy as np
    >>> from ember.nn.layer import Sequential, Linear, LogSoftMax
    >>> from ember.nn.criterion import ClassNLLCriterion
    >>> x = np.random.RandomState(0).rand(64, 4).astype(np.float32); y = (x[:, 0] > 0.5).astype(np.float32)
    >>> model = Sequential().add(Linear(4, 2)).add(LogSoftMax())
    >>> opt = Optimizer.create(model=model, training_set=(x, y), criterion=ClassNLLCriterion(),
    ...                        optim_method=SGD(learningrate=0.5), end_trigger=MaxEpoch(2), batch_size=16)
    >>> trained = opt.optimize(progress=False)
    >>> trained is model
    True
"""
from ember import errors
from ember.data.rdd import is_spark_data
from ember.optim.base_optimizer import BaseOptimizer
from ember.optim.distri_optimizer import DistriOptimizer
from ember.optim.local_optimizer import LocalOptimizer
from ember.optim.method import LBFGS, SGD, Adadelta, Adagrad, Adam, Adamax, Ftrl, OptimMethod, RMSprop
from ember.optim.regularizer import L1L2Regularizer, L1Regularizer, L2Regularizer, Regularizer
from ember.optim.summary import TrainSummary, ValidationSummary
from ember.optim.trigger import (EarlyStopping, EveryEpoch, MaxEpoch, MaxIteration, MaxScore, MinLoss, SeveralIteration,
                                 Trigger, TriggerAnd, TriggerOr)
from ember.optim.schedule import (Default, EpochStep, Exponential, LearningRateSchedule, MultiStep, NaturalExp, Plateau,
                                  Poly, SequentialSchedule, Step, Warmup)
from ember.optim.validation import (MAE, NDCG, ROCAUC, HitRatio, Loss, PrecisionRecallAUC, Top1Accuracy,
                                    Top5Accuracy, ValidationMethod, ValidationResult)
from ember.optim.validation_detection import MeanAveragePrecision

__all__ = [
    "Optimizer", "LocalOptimizer", "DistriOptimizer", "BaseOptimizer", "OptimMethod", "SGD", "Adam", "Adagrad",
    "RMSprop", "Trigger", "MaxEpoch", "MaxIteration", "EveryEpoch", "SeveralIteration", "MaxScore", "MinLoss",
    "TriggerAnd", "TriggerOr", "EarlyStopping", "ValidationMethod", "Top1Accuracy", "Top5Accuracy", "Loss",
    "ValidationResult", "TrainSummary", "ValidationSummary", "Regularizer", "L1Regularizer", "L2Regularizer",
    "L1L2Regularizer",
    "Adadelta", "Adamax", "Ftrl", "LBFGS", "LearningRateSchedule", "Default", "Poly", "Step", "MultiStep",
    "EpochStep", "Exponential", "NaturalExp", "Plateau", "Warmup", "SequentialSchedule", "MAE", "HitRatio", "NDCG",
    "PrecisionRecallAUC", "ROCAUC", "MeanAveragePrecision",
]


class Optimizer(BaseOptimizer):
    """BigDL's entry point: ``Optimizer(model, training_rdd, criterion, end_trigger, batch_size, optim_method)``
    or ``Optimizer.create(...)`` gives a :class:`~ember.optim.DistriOptimizer` for an RDD or DataFrame and
    a :class:`LocalOptimizer` for an ``(X, y)`` tuple of numpy arrays.
    """

    def __new__(cls, model, training_rdd, criterion, end_trigger=None, batch_size=32, optim_method=None, **kwargs):
        return Optimizer.create(model, training_rdd, criterion, end_trigger, batch_size, optim_method, **kwargs)

    @staticmethod
    def create(model, training_set, criterion, end_trigger=None, batch_size=32, optim_method=None, cores=None):
        """An optimizer for ``training_set``: a :class:`~ember.optim.DistriOptimizer` for Spark data, a
        :class:`LocalOptimizer` for an ``(X, y)`` tuple of arrays.

        Args:
            model (Model): the model to train (trained in place and returned by ``optimize()``).
            training_set: an RDD of Samples or ``(features, label)`` pairs, a DataFrame (``features`` and
                ``label`` columns) or a SampleRDD: distributed training; or ``(X, y)`` numpy arrays. Labels
                are 0-based.
            criterion (Criterion): the loss.
            end_trigger (Trigger): when to stop. Default: ``MaxEpoch(1)``.
            batch_size (int): global mini-batch size. Default: 32.
            optim_method (OptimMethod): Default: ``SGD()``.
            cores (int, optional): model replicas (default: Ember's Engine choice, one per core).
        """
        if is_spark_data(training_set):
            if cores is not None:
                raise errors.EmberValueError("cores: the distributed optimizer uses one replica per executor core; "
                                             "set the cores of the Spark executors instead")
            return DistriOptimizer(model, training_set, criterion, end_trigger, batch_size, optim_method)
        if isinstance(training_set, tuple) and len(training_set) == 2:
            return LocalOptimizer(training_set[0], training_set[1], model, criterion, end_trigger, batch_size,
                                  optim_method, cores)
        raise errors.EmberValueError(
            f"training_set: expected an RDD or DataFrame (distributed training) or an (X, y) tuple of numpy "
            f"arrays, got {type(training_set).__name__}")
