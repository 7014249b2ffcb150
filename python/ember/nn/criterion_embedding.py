"""Metric-learning losses: :class:`TripletMarginCriterion` (learns an embedding in which an anchor is closer to
a sample of its own class than to one of another class)."""
from ember._args import as_bool, as_float
from ember.nn.module import Criterion


class TripletMarginCriterion(Criterion):
    """Triplet loss ``max(0, d(a, p) - d(a, n) + margin)`` per row, with ``d`` the Euclidean distance
    ``sqrt(|x - y|^2 + 1e-12)`` (PyTorch's ``TripletMarginLoss`` with p = 2, up to where the eps goes).

    The target is not used (a triplet is its own supervision); pass any array with one value per row.

    Args:
        margin (float): >= 0. Default: 1.0. size_average (bool): average over rows. Default: True.

    Shape:
        - Input: ``[anchor, positive, negative]``, three arrays (N, D) or (D,); or one array (N, 3, D), e.g. the
          output of ``TimeDistributed(embedding_net)`` on samples holding three images.

    Examples:
        >>> import numpy as np
        >>> a, p, n = np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]]), np.array([[1.0, 0.0]])
        >>> round(TripletMarginCriterion(margin=1.0).forward([a, p, n], np.zeros(1)), 5)
        5.0
    """

    _java_class = "ember.nn.TripletMarginCriterion"

    def __init__(self, margin=1.0, size_average=True):
        margin, size_average = as_float(margin, "margin"), as_bool(size_average, "size_average")
        if margin < 0:
            raise ValueError(f"TripletMarginCriterion: margin must be >= 0, got {margin}")
        super().__init__(None, margin, size_average)
