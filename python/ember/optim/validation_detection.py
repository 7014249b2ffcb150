"""Detection quality: :class:`MeanAveragePrecision` (PASCAL VOC mAP) of ``DetectionOutput`` detections."""
from ember._args import as_float, as_int
from ember.optim.validation import ValidationMethod


class MeanAveragePrecision(ValidationMethod):
    """Mean over classes of the average precision (VOC, all-point interpolation) at an IoU threshold.

    The output is detections (N, K, 6) rows (label, score, x1, y1, x2, y2) with label -1 for unused rows (as
    :class:`ember.nn.layer.DetectionOutput` returns); the target objects (N, M, 5) rows (label, x1, y1, x2,
    y2) with label -1 for padding. Labels are 0-based.

    Args:
        num_classes (int): object classes. iou_threshold (float): Default: 0.5.

    Examples:
        >>> MeanAveragePrecision(3)
        MeanAveragePrecision(numClasses=3, iouThreshold=0.5)
    """

    _java_class = "ember.optim.MeanAveragePrecision"

    def __init__(self, num_classes, iou_threshold=0.5):
        num_classes, iou_threshold = as_int(num_classes, "num_classes"), as_float(iou_threshold, "iou_threshold")
        if num_classes < 1:
            raise ValueError(f"MeanAveragePrecision: num_classes must be >= 1, got {num_classes}")
        if not 0 < iou_threshold <= 1:
            raise ValueError(f"MeanAveragePrecision: iou_threshold must be in (0, 1], got {iou_threshold}")
        super().__init__(None, num_classes, iou_threshold)
