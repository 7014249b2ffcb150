"""Margin, embedding and multi-label losses: :class:`MarginCriterion`, :class:`MarginRankingCriterion`,
:class:`HingeEmbeddingCriterion`, :class:`CosineEmbeddingCriterion`, :class:`SoftMarginCriterion`,
:class:`MultiLabelSoftMarginCriterion`, :class:`ClassSimplexCriterion`. Targets of the margin losses are -1 or 1;
class labels are 0-based."""
from ember import _convert
from ember._args import as_bool, as_float, as_int
from ember.nn.module import Criterion


class MarginCriterion(Criterion):
    """Hinge loss ``max(0, margin - x * y)`` (squared with ``squared=True``) for targets in {-1, 1}.

    Args:
        margin (float): Default: 1.0. size_average (bool): Default: True. squared (bool): Default: False.

    Examples:
        >>> import numpy as np
        >>> MarginCriterion().forward(np.array([0.5, 2.0]), np.array([1.0, -1.0]))
        1.75
    """

    _java_class = "ember.nn.MarginCriterion"

    def __init__(self, margin=1.0, size_average=True, squared=False):
        super().__init__(None, as_float(margin, "margin"), as_bool(size_average, "size_average"),
                         as_bool(squared, "squared"))


class MarginRankingCriterion(Criterion):
    """Ranking loss ``max(0, -y * (x1 - x2) + margin)`` on the input ``[x1, x2]``; ``y = 1`` means x1 should
    score higher.

    Args:
        margin (float): Default: 1.0. size_average (bool): Default: True.

    Shape:
        - Input: ``[x1, x2]``, two arrays of N scores. Target: (N,) values in {-1, 1}

    Examples:
        >>> import numpy as np
        >>> MarginRankingCriterion().forward([np.array([1.0, 0.0]), np.array([0.0, 0.5])], np.array([1.0, 1.0]))
        0.75
    """

    _java_class = "ember.nn.MarginRankingCriterion"

    def __init__(self, margin=1.0, size_average=True):
        super().__init__(None, as_float(margin, "margin"), as_bool(size_average, "size_average"))


class HingeEmbeddingCriterion(Criterion):
    """``x`` where ``y = 1`` and ``max(0, margin - x)`` where ``y = -1``, for distances ``x``.

    Args:
        margin (float): Default: 1.0. size_average (bool): Default: True.

    Examples:
        >>> import numpy as np
        >>> HingeEmbeddingCriterion().forward(np.array([0.5, 0.25]), np.array([1.0, -1.0]))
        0.625
    """

    _java_class = "ember.nn.HingeEmbeddingCriterion"

    def __init__(self, margin=1.0, size_average=True):
        super().__init__(None, as_float(margin, "margin"), as_bool(size_average, "size_average"))


class CosineEmbeddingCriterion(Criterion):
    """``1 - cos(x1, x2)`` for ``y = 1`` and ``max(0, cos(x1, x2) - margin)`` for ``y = -1``, per row.

    Args:
        margin (float): in [-1, 1]. Default: 0.0. size_average (bool): average over rows. Default: True.

    Shape:
        - Input: ``[x1, x2]``, two arrays (N, D) or (D,). Target: (N,) values in {-1, 1}

    Examples:
        >>> import numpy as np
        >>> x = [np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])]
        >>> round(CosineEmbeddingCriterion().forward(x, np.array([1.0])), 6)
        1.0
    """

    _java_class = "ember.nn.CosineEmbeddingCriterion"

    def __init__(self, margin=0.0, size_average=True):
        super().__init__(None, as_float(margin, "margin"), as_bool(size_average, "size_average"))


class SoftMarginCriterion(Criterion):
    """Logistic loss ``log(1 + exp(-y * x))`` for targets in {-1, 1}.

    Args:
        size_average (bool): Default: True.

    Examples:
        >>> import numpy as np
        >>> round(SoftMarginCriterion().forward(np.array([0.0]), np.array([1.0])), 4)
        0.6931
    """

    _java_class = "ember.nn.SoftMarginCriterion"

    def __init__(self, size_average=True):
        super().__init__(None, as_bool(size_average, "size_average"))


class MultiLabelSoftMarginCriterion(Criterion):
    """Multi-label one-versus-all logistic loss (sigmoid + binary cross entropy) with 0/1 targets.

    Args:
        weights (list of float, optional): one weight per class. size_average (bool): Default: True.

    Shape:
        - Input: (N, C) scores. Target: (N, C) values in {0, 1}

    Examples:
        >>> import numpy as np
        >>> round(MultiLabelSoftMarginCriterion().forward(np.zeros((1, 2)), np.array([[0.0, 1.0]])), 4)
        0.6931
    """

    _java_class = "ember.nn.MultiLabelSoftMarginCriterion"

    def __init__(self, weights=None, size_average=True):
        super().__init__(None, _convert.float_array(weights), as_bool(size_average, "size_average"))


class ClassSimplexCriterion(Criterion):
    """Mean squared error between the input and the regular-simplex vertex of each (0-based) label.

    Args:
        n_classes (int): number of classes (> 1).

    Shape:
        - Input: (N, n_classes). Target: (N,) class indices in [0, n_classes)

    Examples:
        >>> import numpy as np
        >>> round(ClassSimplexCriterion(2).forward(np.array([[1.0, 0.0]]), np.array([0])), 6)
        0.0
    """

    _java_class = "ember.nn.ClassSimplexCriterion"

    def __init__(self, n_classes):
        super().__init__(None, as_int(n_classes, "n_classes"))
