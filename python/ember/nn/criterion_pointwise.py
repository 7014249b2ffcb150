"""Element-wise regression and divergence losses: :class:`SmoothL1Criterion`, :class:`AbsCriterion`,
:class:`PoissonCriterion`, :class:`MeanAbsolutePercentageCriterion`, :class:`DistKLDivCriterion`,
:class:`KLDCriterion`."""
import numpy as np

from ember._args import as_bool
from ember.nn.module import Criterion


class SmoothL1Criterion(Criterion):
    """Huber loss with threshold 1: ``0.5 d**2`` if ``|d| < 1`` else ``|d| - 0.5``, with ``d = x - y``.

    Args:
        size_average (bool): divide by the number of elements (else sum). Default: True.

    Examples:
        >>> import numpy as np
        >>> SmoothL1Criterion().forward(np.array([0.5, 3.0]), np.array([0.0, 0.0]))
        1.3125
    """

    _java_class = "ember.nn.SmoothL1Criterion"

    def __init__(self, size_average=True):
        super().__init__(None, as_bool(size_average, "size_average"))


class AbsCriterion(Criterion):
    """Mean absolute error ``|x - y|``.

    Args:
        size_average (bool): divide by the number of elements (else sum). Default: True.

    Examples:
        >>> import numpy as np
        >>> AbsCriterion().forward(np.array([1.0, -1.0]), np.array([0.0, 1.0]))
        1.5
    """

    _java_class = "ember.nn.AbsCriterion"

    def __init__(self, size_average=True):
        super().__init__(None, as_bool(size_average, "size_average"))


class PoissonCriterion(Criterion):
    """Poisson negative log-likelihood: ``mean(x - y * log(x + 1e-7))`` for predicted rates ``x``.

    Examples:
        >>> import numpy as np
        >>> round(PoissonCriterion().forward(np.array([1.0, 2.0]), np.array([1.0, 0.0])), 4)
        1.5
    """

    _java_class = "ember.nn.PoissonCriterion"

    def __init__(self):
        super().__init__(None)


class MeanAbsolutePercentageCriterion(Criterion):
    """Mean absolute percentage error: ``100 * mean(|y - x| / max(|y|, 1e-7))``.

    Examples:
        >>> import numpy as np
        >>> round(MeanAbsolutePercentageCriterion().forward(np.array([1.5, 2.0]), np.array([1.0, 4.0])), 4)
        50.0
    """

    _java_class = "ember.nn.MeanAbsolutePercentageCriterion"

    def __init__(self):
        super().__init__(None)


class DistKLDivCriterion(Criterion):
    """KL divergence ``sum y * (log y - x)`` (over ``y > 0``) of target probabilities ``y`` from an input of
    log-probabilities ``x``.

    Args:
        size_average (bool): divide by the number of elements (else sum). Default: True.

    Examples:
        >>> import numpy as np
        >>> round(DistKLDivCriterion(False).forward(np.log([0.5, 0.5]), np.array([0.5, 0.5])), 6)
        0.0
    """

    _java_class = "ember.nn.DistKLDivCriterion"

    def __init__(self, size_average=True):
        super().__init__(None, as_bool(size_average, "size_average"))


class KLDCriterion(Criterion):
    """The KL term of a VAE: ``-0.5 * sum(1 + log_var - mean**2 - exp(log_var))`` for the input
    ``[mean, log_var]``, divided by the batch size when ``size_average``. The target is not used.

    Args:
        size_average (bool): divide by the batch size (first dimension). Default: True.

    Shape:
        - Input: a list ``[mean, log_var]`` of two arrays of the same shape (N, D)
        - Target: ignored (may be omitted)

    Examples:
        >>> import numpy as np
        >>> KLDCriterion().forward([np.ones((2, 3)), np.zeros((2, 3))])
        1.5
    """

    _java_class = "ember.nn.KLDCriterion"

    def __init__(self, size_average=True):
        super().__init__(None, as_bool(size_average, "size_average"))

    def forward(self, input, target=None):
        return super().forward(input, np.zeros(1, np.float32) if target is None else target)

    def backward(self, input, target=None):
        return super().backward(input, np.zeros(1, np.float32) if target is None else target)
