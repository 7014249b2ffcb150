"""Detection loss: :class:`MultiBoxCriterion` (SSD's multibox loss with matching and hard-negative mining)."""
from ember._args import as_float, as_int
from ember.nn.detection import prior_args
from ember.nn.module import Criterion


class MultiBoxCriterion(Criterion):
    """SSD's loss: priors are matched to objects (best prior per object, then IoU >= ``overlap_threshold``);
    SmoothL1 on the matched priors' encoded offsets plus softmax cross-entropy of the matched priors and of the
    ``neg_pos_ratio`` times as many unmatched priors with the highest background loss; divided by the matches.

    Args:
        feature_map_sizes, sizes, aspect_ratios: the prior-box layout (see :mod:`ember.nn.detection`).
        num_classes (int): object classes. overlap_threshold (float): Default: 0.5.
        neg_pos_ratio (float): Default: 3.0.

    Shape:
        - Input: ``[locations (N, P, 4), scores (N, P, num_classes + 1)]``
        - Target: (N, M, 5) rows (label, x1, y1, x2, y2), coordinates in [0, 1], label -1 for padding rows

    Examples:
        >>> import numpy as np
        >>> crit = MultiBoxCriterion([1], [0.5], [1.0], num_classes=2)
        >>> target = np.array([[[1, 0.25, 0.25, 0.75, 0.75]]])
        >>> round(crit.forward([np.zeros((1, 1, 4)), np.zeros((1, 1, 3))], target), 4)   # log(3): uniform scores
        1.0986
    """

    _java_class = "ember.nn.MultiBoxCriterion"

    def __init__(self, feature_map_sizes, sizes, aspect_ratios, num_classes, overlap_threshold=0.5,
                 neg_pos_ratio=3.0):
        super().__init__(None, *prior_args(feature_map_sizes, sizes, aspect_ratios), as_int(num_classes, "num_classes"),
                         as_float(overlap_threshold, "overlap_threshold"), as_float(neg_pos_ratio, "neg_pos_ratio"))
