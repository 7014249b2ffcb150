"""Parameter regularizers (BigDL's names): :class:`L1Regularizer`, :class:`L2Regularizer`,
:class:`L1L2Regularizer`, attached to layers with ``wRegularizer=`` / ``bRegularizer=`` or
:meth:`ember.nn.layer.Model.set_regularizer` (also importable from ``ember.optim.optimizer``, BigDL's path).

The penalty is ``l1 * sum|w| + l2 / 2 * sum w**2`` (BigDL's convention); its gradient ``l1 * sign(w) + l2 * w``
is added to the parameter's gradient once per training iteration. Regularizers are saved in the model file.
"""
from ember import _convert
from ember._args import as_float
from ember._java import JavaValue


class Regularizer(JavaValue):
    """Base of the regularizers."""

    _java_class = "ember.nn.Regularizer"

    def loss(self, weight):
        """The penalty at ``weight`` (a numpy array)."""
        return float(self._call("loss", _convert.to_tensor(weight, "weight")))


def _rate(value, name):
    value = as_float(value, name)
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"{name} must be a finite value >= 0, got {value}")
    return value


class L1L2Regularizer(Regularizer):
    """L1 and L2 penalties: ``l1 * sum|w| + l2 / 2 * sum w**2``.

    Args:
        l1 (float): L1 rate. l2 (float): L2 rate.

    Examples:
        >>> L1L2Regularizer(0.01, 0.001)
        L1L2Regularizer(l1=0.01, l2=0.001)
    """

    _java_class = "ember.nn.L1L2Regularizer"

    def __init__(self, l1, l2):
        super().__init__(None, _rate(l1, "l1"), _rate(l2, "l2"))


class L1Regularizer(Regularizer):
    """The L1 penalty ``l1 * sum|w|``.

    Examples:
        >>> import numpy as np
        >>> L1Regularizer(0.5).loss(np.array([1.0, -2.0]))
        1.5
    """

    _java_class = "ember.nn.L1Regularizer"

    def __init__(self, l1):
        super().__init__(None, _rate(l1, "l1"))


class L2Regularizer(Regularizer):
    """The L2 penalty ``l2 / 2 * sum w**2`` (gradient ``l2 * w``, like weight decay on one layer).

    Examples:
        >>> from ember.nn.linear import Linear
        >>> fc = Linear(4, 2, wRegularizer=L2Regularizer(1e-4))
        >>> fc.regularizers()
        {'weight': L2Regularizer(l2=1.0E-4)}
    """

    _java_class = "ember.nn.L2Regularizer"

    def __init__(self, l2):
        super().__init__(None, _rate(l2, "l2"))
