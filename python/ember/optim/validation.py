"""Validation methods (:class:`Top1Accuracy`, :class:`Top5Accuracy`, :class:`Loss`, :class:`MAE`,
:class:`HitRatio`, :class:`NDCG`, :class:`PrecisionRecallAUC`, :class:`ROCAUC`) and their results."""
from ember._args import as_int
from ember._java import JavaValue, java_array
from ember._results import ValidationResult  # noqa: F401  (BigDL's path: ember.optim.validation)


class ValidationMethod(JavaValue):
    """Base of the validation methods (scored on the JVM, batch by batch)."""

    _java_class = "ember.optim.ValidationMethod"


class Top1Accuracy(ValidationMethod):
    """Fraction of samples whose highest output is the (0-based) label.

    Examples:
        >>> Top1Accuracy()
        Top1Accuracy
    """

    _java_class = "ember.optim.Top1Accuracy"

    def __init__(self):
        super().__init__(None)


class TopKAccuracy(ValidationMethod):
    """Fraction of samples whose label is among the ``k`` highest outputs."""

    _java_class = "ember.optim.TopKAccuracy"

    def __init__(self, k):
        super().__init__(None, as_int(k, "k"))


class Top5Accuracy(ValidationMethod):
    """Fraction of samples whose label is among the 5 highest outputs."""

    _java_class = "ember.optim.Top5Accuracy"

    def __init__(self):
        super().__init__(None)


class Loss(ValidationMethod):
    """Mean loss of ``criterion`` (default :class:`ClassNLLCriterion`) over the samples."""

    _java_class = "ember.optim.Loss"

    def __init__(self, criterion=None):
        if criterion is None:
            from ember.nn.criterion import ClassNLLCriterion

            criterion = ClassNLLCriterion()
        super().__init__(None, criterion.value)


class MAE(ValidationMethod):
    """Mean absolute error between output and target (per-sample mean, averaged over samples).

    Examples:
        >>> MAE()
        MAE
    """

    _java_class = "ember.optim.MAE"

    def __init__(self):
        super().__init__(None)


class HitRatio(ValidationMethod):
    """Fraction of users whose positive item ranks in the top ``k`` of its ``neg_num + 1`` candidates.

    The scores of each user's items are consecutive (one positive, target 1, and ``neg_num`` negatives,
    target 0): the batch size must be a multiple of ``neg_num + 1``.

    Args:
        k (int): Default: 10. neg_num (int): negatives per user. Default: 100.

    Examples:
        >>> HitRatio(k=10, neg_num=100)
        HitRatio@10
    """

    _java_class = "ember.optim.HitRatio"

    def __init__(self, k=10, neg_num=100):
        super().__init__(None, as_int(k, "k"), as_int(neg_num, "neg_num"))


class NDCG(ValidationMethod):
    """Normalised discounted cumulative gain at ``k`` with one positive per user: ``1 / log2(rank + 1)``
    when the positive ranks in the top ``k``, else 0, averaged over users (layout as :class:`HitRatio`).

    Examples:
        >>> NDCG(k=10, neg_num=100)
        NDCG@10
    """

    _java_class = "ember.optim.NDCG"

    def __init__(self, k=10, neg_num=100):
        super().__init__(None, as_int(k, "k"), as_int(neg_num, "neg_num"))


class PrecisionRecallAUC(ValidationMethod):
    """Area under the precision-recall curve of a binary classifier (output: positive-class score, or two
    columns; target: 0/1), as Spark's ``BinaryClassificationMetrics.areaUnderPR``.

    Examples:
        >>> PrecisionRecallAUC()
        PrecisionRecallAUC
    """

    _java_class = "ember.optim.PrecisionRecallAUC"

    def __init__(self):
        super().__init__(None)


class ROCAUC(ValidationMethod):
    """Area under the ROC curve of a binary classifier (output: positive-class score, or two columns;
    target: 0/1), as Spark's ``BinaryClassificationMetrics.areaUnderROC``: the probability that a random
    positive scores above a random negative, ties counting one half.

    Examples:
        >>> import numpy as np
        >>> from ember.nn.layer import Identity
        >>> scores, labels = np.array([0.9, 0.8, 0.7, 0.6], np.float32), np.array([1, 0, 1, 0], np.float32)
        >>> Identity().evaluate(scores, labels, 4, [ROCAUC()])[0].result
        0.75
    """

    _java_class = "ember.optim.ROCAUC"

    def __init__(self):
        super().__init__(None)


def methods_array(methods):
    """A JVM ValidationMethod[] from one method or a list of them."""
    methods = [methods] if isinstance(methods, ValidationMethod) else list(methods or [Top1Accuracy()])
    for m in methods:
        if not isinstance(m, ValidationMethod):
            raise TypeError(f"expected validation methods such as Top1Accuracy(), got {type(m).__name__}")
    return methods, java_array("ember.optim.ValidationMethod", [m.value for m in methods])
