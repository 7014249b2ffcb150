"""Single-stage object detection (SSD): :class:`DetectionOutput` turns a detector head's outputs into boxes;
its loss is :class:`ember.nn.criterion.MultiBoxCriterion`. Both take the same prior-box layout: square feature
maps of sides ``feature_map_sizes``, at each cell one prior per (size, aspect ratio), in that order, with
coordinates normalised to [0, 1] (see ``ember.nn.PriorBox`` in Scala). Labels are 0-based object classes;
score column 0 of the head is the background."""
from ember import _convert
from ember._args import as_float, as_int, as_int_list
from ember.nn.module import Model


def prior_args(feature_map_sizes, sizes, aspect_ratios):
    """The JVM arguments of a prior-box layout, checked."""
    feature_map_sizes = as_int_list(feature_map_sizes, "feature_map_sizes")
    sizes, aspect_ratios = _float_list(sizes, "sizes"), _float_list(aspect_ratios, "aspect_ratios")
    if not feature_map_sizes or min(feature_map_sizes) < 1:
        raise ValueError(f"feature_map_sizes: expected positive sides, got {feature_map_sizes}")
    if not sizes or min(sizes) <= 0 or max(sizes) > 2:
        raise ValueError(f"sizes: expected prior sizes in (0, 2] (fractions of the image), got {sizes}")
    if not aspect_ratios or min(aspect_ratios) <= 0:
        raise ValueError(f"aspect_ratios: expected positive ratios, got {aspect_ratios}")
    return (_convert.int_array(feature_map_sizes), _convert.float_array(sizes), _convert.float_array(aspect_ratios))


def _float_list(values, name):
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a sequence of numbers, got {type(values).__name__} {values!r}")
    return [as_float(v, f"{name}[{i}]") for i, v in enumerate(values)]


class DetectionOutput(Model):
    """Decodes boxes from their priors, keeps per class the ones with probability >= ``conf_threshold``,
    applies non-maximum suppression at IoU ``nms_threshold`` and returns the ``keep_top_k`` best.

    Args:
        feature_map_sizes, sizes, aspect_ratios: the prior-box layout (module docstring).
        num_classes (int): object classes (the head has num_classes + 1 score columns).
        conf_threshold (float): Default: 0.01. nms_threshold (float): Default: 0.45.
        keep_top_k (int): detections per image. Default: 50. top_k_per_class (int): Default: 100.

    Shape:
        - Input: ``[locations (N, P, 4), scores (N, P, num_classes + 1)]``
        - Output: (N, keep_top_k, 6) rows (label, score, x1, y1, x2, y2); unused rows have label -1

    Examples:
        >>> import numpy as np
        >>> det = DetectionOutput([1], [0.5], [1.0], num_classes=2, keep_top_k=3)
        >>> out = det.forward([np.zeros((1, 1, 4)), np.array([[[0.0, 5.0, 0.0]]])])
        >>> [round(float(v), 3) for v in out[0, 0]]
        [0.0, 0.987, 0.25, 0.25, 0.75, 0.75]
    """

    _java_class = "ember.nn.DetectionOutput"

    def __init__(self, feature_map_sizes, sizes, aspect_ratios, num_classes, conf_threshold=0.01,
                 nms_threshold=0.45, keep_top_k=50, top_k_per_class=100):
        super().__init__(None, *prior_args(feature_map_sizes, sizes, aspect_ratios), as_int(num_classes, "num_classes"),
                         as_float(conf_threshold, "conf_threshold"), as_float(nms_threshold, "nms_threshold"),
                         as_int(keep_top_k, "keep_top_k"), as_int(top_k_per_class, "top_k_per_class"))
