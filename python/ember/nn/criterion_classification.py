"""Classification losses: :class:`ClassNLLCriterion`, :class:`CrossEntropyCriterion` (0-based labels),
:class:`CategoricalCrossEntropy` (one-hot targets)."""
from ember import _convert
from ember._args import as_bool
from ember.nn.module import Criterion


class ClassNLLCriterion(Criterion):
    """Negative log-likelihood of 0-based class labels given log-probabilities (after :class:`LogSoftMax`).

    Args:
        weights (list of float, optional): a weight per class.
        size_average (bool): average over the batch (else sum). Default: True.
        log_prob_as_input (bool): the input holds log-probabilities (else probabilities). Default: True.

    Shape:
        - Input: (N, C) or (C,)
        - Target: (N,) or (N, 1) class indices in [0, C)

    Examples:
        >>> import numpy as np
        >>> loss = ClassNLLCriterion().forward(np.log(np.full((2, 4), 0.25)), np.array([0, 3]))
        >>> round(loss, 4)
        1.3863
    """

    _java_class = "ember.nn.ClassNLLCriterion"

    def __init__(self, weights=None, size_average=True, log_prob_as_input=True):
        super().__init__(None, _convert.float_array(weights), as_bool(size_average, "size_average"),
                         as_bool(log_prob_as_input, "log_prob_as_input"))


class CrossEntropyCriterion(Criterion):
    """:class:`LogSoftMax` followed by :class:`ClassNLLCriterion` on raw scores.

    Args:
        weights (list of float, optional): a weight per class.
        size_average (bool): average over the batch (else sum). Default: True.

    Shape:
        - Input: (N, C) or (C,) unnormalised scores
        - Target: (N,) class indices in [0, C)

    Examples:
        >>> import numpy as np
        >>> round(CrossEntropyCriterion().forward(np.zeros((2, 4)), np.array([1, 2])), 4)
        1.3863
    """

    _java_class = "ember.nn.CrossEntropyCriterion"

    def __init__(self, weights=None, size_average=True):
        super().__init__(None, _convert.float_array(weights), as_bool(size_average, "size_average"))


class CategoricalCrossEntropy(Criterion):
    """Cross-entropy of probabilities (after :class:`SoftMax`) against one-hot target rows (Keras'
    "categorical_crossentropy"): ``-sum(t * log(max(p, 1e-7))) / N``.

    Shape:
        - Input: (N, C) probabilities
        - Target: (N, C) one-hot rows (or distributions)

    Examples:
        >>> import numpy as np
        >>> round(CategoricalCrossEntropy().forward(np.full((2, 4), 0.25), np.eye(4)[[0, 3]]), 4)
        1.3863
    """

    _java_class = "ember.nn.CategoricalCrossEntropy"

    def __init__(self):
        super().__init__(None)
