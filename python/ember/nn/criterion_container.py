"""Criterions built from other criterions: :class:`TimeDistributedCriterion`,
:class:`TimeDistributedMaskCriterion`, :class:`ParallelCriterion`, :class:`MultiCriterion`."""
from ember._args import as_bool, as_float, as_int
from ember.nn.module import Criterion


def _criterion(c, name="criterion"):
    if not isinstance(c, Criterion):
        raise TypeError(f"{name}: expected a Criterion such as MSECriterion(), got {type(c).__name__}")
    return c


class TimeDistributedCriterion(Criterion):
    """Applies ``criterion`` to every time step (slice along ``dimension``) and sums the losses.

    Args:
        criterion (Criterion): the per-step loss.
        size_average (bool): average over the time steps (else sum). Default: False.
        dimension (int): the 0-based time dimension. Default: 1 (input (N, T, ...); BigDL's 1-based 2).

    Examples:
        >>> import numpy as np
        >>> from ember.nn.criterion import MSECriterion
        >>> TimeDistributedCriterion(MSECriterion()).forward(np.ones((2, 3, 1)), np.zeros((2, 3, 1)))
        3.0
    """

    _java_class = "ember.nn.TimeDistributedCriterion"

    def __init__(self, criterion, size_average=False, dimension=1):
        super().__init__(None, _criterion(criterion).value, as_bool(size_average, "size_average"),
                         as_int(dimension, "dimension"))


class TimeDistributedMaskCriterion(Criterion):
    """Mean of ``criterion`` over the (sample, time step) pairs whose target is not padding.

    Args:
        criterion (Criterion): the per-step loss, applied to one step at a time.
        padding_value (float): target value of padded steps. Default: -1 (labels are 0-based, so BigDL's
            default 0 would be a class).

    Shape:
        - Input: (N, T, ...). Target: (N, T) labels or (N, T, ...)

    Examples:
        >>> import numpy as np
        >>> from ember.nn.criterion import ClassNLLCriterion
        >>> x = np.log(np.full((1, 3, 2), 0.5))
        >>> round(TimeDistributedMaskCriterion(ClassNLLCriterion()).forward(x, np.array([[0, 1, -1]])), 4)
        0.6931
    """

    _java_class = "ember.nn.TimeDistributedMaskCriterion"

    def __init__(self, criterion, padding_value=-1.0):
        super().__init__(None, _criterion(criterion).value, as_float(padding_value, "padding_value"))


class ParallelCriterion(Criterion):
    """Weighted sum of criterions, the i-th applied to the i-th input (and target) of lists.

    Args:
        repeat_target (bool): give every criterion the whole target. Default: False.

    Examples:
        >>> import numpy as np
        >>> from ember.nn.criterion import AbsCriterion, MSECriterion
        >>> pc = ParallelCriterion().add(MSECriterion(), 0.5).add(AbsCriterion())
        >>> pc.forward([np.ones(2), np.ones(2)], [np.zeros(2), np.zeros(2)])
        1.5
    """

    _java_class = "ember.nn.ParallelCriterion"

    def __init__(self, repeat_target=False):
        super().__init__(None, as_bool(repeat_target, "repeat_target"))

    def add(self, criterion, weight=1.0):
        """Adds ``criterion`` with ``weight``; returns ``self``."""
        self._call("add", _criterion(criterion).value, as_float(weight, "weight"))
        return self


class MultiCriterion(Criterion):
    """Weighted sum of criterions applied to the same input and target.

    Examples:
        >>> import numpy as np
        >>> from ember.nn.criterion import AbsCriterion, MSECriterion
        >>> MultiCriterion().add(MSECriterion(), 0.5).add(AbsCriterion()).forward(np.full(2, 2.0), np.zeros(2))
        4.0
    """

    _java_class = "ember.nn.MultiCriterion"

    def __init__(self):
        super().__init__(None)

    def add(self, criterion, weight=1.0):
        """Adds ``criterion`` with ``weight``; returns ``self``."""
        self._call("add", _criterion(criterion).value, as_float(weight, "weight"))
        return self
