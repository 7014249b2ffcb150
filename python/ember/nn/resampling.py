"""Image resampling: :class:`UpSampling2D` (nearest neighbour) and :class:`ResizeBilinear`, on NCHW images."""
from ember._args import as_bool, as_int
from ember._convert import int_array
from ember.nn.module import Model

__all__ = ["UpSampling2D", "ResizeBilinear"]


class UpSampling2D(Model):
    """Repeats every pixel ``size[0]`` times down and ``size[1]`` times across (nearest neighbour).

    Args:
        size (pair of int): (height factor, width factor). Default: (2, 2).

    Shape:
        - Input: (N, C, H, W) or (C, H, W)
        - Output: (N, C, H * size[0], W * size[1])

    Examples:
        >>> import numpy as np
        >>> UpSampling2D((1, 2)).forward(np.array([[[[1.0, 2.0]]]])).tolist()
        [[[[1.0, 1.0, 2.0, 2.0]]]]
    """

    _java_class = "ember.nn.UpSampling2D"

    def __init__(self, size=(2, 2)):
        super().__init__(None, int_array(size, "size"))


class ResizeBilinear(Model):
    """Bilinear resizing to ``output_height`` x ``output_width`` (TensorFlow's ``resize_bilinear``, as BigDL).

    Output pixel y reads the input at ``y * in / out`` (``y * (in - 1) / (out - 1)`` with ``align_corners``),
    mixing the two nearest rows (and columns) by the fraction.

    Args:
        output_height (int), output_width (int).
        align_corners (bool): make the corner pixels of input and output coincide. Default: False.

    Shape:
        - Input: (N, C, H, W) or (C, H, W)
        - Output: (N, C, output_height, output_width)

    Examples:
        >>> import numpy as np
        >>> ResizeBilinear(1, 3, align_corners=True).forward(np.array([[[[0.0, 4.0]]]])).tolist()
        [[[[0.0, 2.0, 4.0]]]]
    """

    _java_class = "ember.nn.ResizeBilinear"

    def __init__(self, output_height, output_width, align_corners=False):
        super().__init__(None, as_int(output_height, "output_height"), as_int(output_width, "output_width"),
                         as_bool(align_corners, "align_corners"))
