"""Regression and binary losses: :class:`MSECriterion`, :class:`BCECriterion`."""
from ember import _convert
from ember._args import as_bool
from ember.nn.module import Criterion


class MSECriterion(Criterion):
    """Mean squared error.

    Args:
        size_average (bool): divide by the number of elements (else sum). Default: True.

    Examples:
        >>> import numpy as np
        >>> MSECriterion().forward(np.array([1.0, 3.0]), np.array([0.0, 1.0]))
        2.5
    """

    _java_class = "ember.nn.MSECriterion"

    def __init__(self, size_average=True):
        super().__init__(None, as_bool(size_average, "size_average"))


class BCECriterion(Criterion):
    """Binary cross entropy between probabilities and 0/1 targets.

    Args:
        weights (list of float, optional): a weight per element of a sample.
        size_average (bool): average (else sum). Default: True.

    Examples:
        >>> import numpy as np
        >>> round(BCECriterion().forward(np.array([0.5, 0.5]), np.array([0.0, 1.0])), 4)
        0.6931
    """

    _java_class = "ember.nn.BCECriterion"

    def __init__(self, weights=None, size_average=True):
        super().__init__(None, _convert.float_array(weights), as_bool(size_average, "size_average"))
