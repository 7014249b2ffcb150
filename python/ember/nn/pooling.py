"""Pooling layers: :class:`SpatialMaxPooling`, :class:`SpatialAveragePooling`, :class:`TemporalMaxPooling`."""
from ember._args import as_bool, as_int
from ember.nn.module import Model


class SpatialMaxPooling(Model):
    """2-d max pooling.

    Args:
        kw (int), kh (int): window width and height.
        dw (int), dh (int): strides. Default: the window size.
        pad_w (int), pad_h (int): padding. Default: 0.
        to_ceil (bool): round the output size up (PyTorch's ``ceil_mode``; a window must start inside the
            input or its left padding). Default: False.

    Shape:
        - Input: (N, C, H, W) or (C, H, W)
        - Output: (N, C, (H + 2 pad_h - kh) // dh + 1, (W + 2 pad_w - kw) // dw + 1), rounded up with ``to_ceil``

    Examples:
        >>> import numpy as np
        >>> SpatialMaxPooling(2, 2, 2, 2, to_ceil=True).forward(np.zeros((1, 1, 5, 5))).shape
        (1, 1, 3, 3)
        >>> SpatialMaxPooling(2, 2, 2, 2).forward(np.zeros((1, 6, 24, 24))).shape
        (1, 6, 12, 12)
    """

    _java_class = "ember.nn.SpatialMaxPooling"

    def __init__(self, kw, kh, dw=None, dh=None, pad_w=0, pad_h=0, to_ceil=False):
        dw = kw if dw is None else dw
        dh = kh if dh is None else dh
        super().__init__(None, as_int(kw, "kw"), as_int(kh, "kh"), as_int(dw, "dw"), as_int(dh, "dh"),
                         as_int(pad_w, "pad_w"), as_int(pad_h, "pad_h"), as_bool(to_ceil, "to_ceil"))


class SpatialAveragePooling(Model):
    """2-d average pooling.

    Args:
        kw (int), kh (int): window width and height.
        dw (int), dh (int): strides. Default: 1 (BigDL's default).
        pad_w (int), pad_h (int): padding. Default: 0.
        global_pooling (bool): pool each whole plane to 1x1, whatever the window. Default: False.
        ceil_mode (bool): round the output size up. Default: False.
        count_include_pad (bool): divide by the window clipped to the padded input (True, PyTorch's default)
            or to the input itself. Default: True.
        divide (bool): average (True) or sum (False). Default: True.

    Shape:
        - Input: (N, C, H, W) or (C, H, W)
        - Output: (N, C, (H + 2 pad_h - kh) // dh + 1, (W + 2 pad_w - kw) // dw + 1)

    Examples:
        >>> import numpy as np
        >>> SpatialAveragePooling(2, 2, 2, 2).forward(np.ones((1, 1, 4, 4))).tolist()
        [[[[1.0, 1.0], [1.0, 1.0]]]]
    """

    _java_class = "ember.nn.SpatialAveragePooling"

    def __init__(self, kw, kh, dw=1, dh=1, pad_w=0, pad_h=0, global_pooling=False, ceil_mode=False,
                 count_include_pad=True, divide=True):
        super().__init__(None, as_int(kw, "kw"), as_int(kh, "kh"), as_int(dw, "dw"), as_int(dh, "dh"),
                         as_int(pad_w, "pad_w"), as_int(pad_h, "pad_h"), as_bool(global_pooling, "global_pooling"),
                         as_bool(ceil_mode, "ceil_mode"), as_bool(count_include_pad, "count_include_pad"),
                         as_bool(divide, "divide"))


class TemporalMaxPooling(Model):
    """Max over windows of ``kw`` consecutive frames, every ``dw`` frames, per feature (no padding).

    Args:
        kw (int): frames per window.
        dw (int): step between windows. Default: ``kw``.

    Shape:
        - Input: (N, T, F) or (T, F)
        - Output: (N, (T - kw) // dw + 1, F)

    Examples:
        >>> import numpy as np
        >>> TemporalMaxPooling(2).forward(np.arange(8.0).reshape(4, 2)).tolist()
        [[2.0, 3.0], [6.0, 7.0]]
    """

    _java_class = "ember.nn.TemporalMaxPooling"

    def __init__(self, kw, dw=None):
        super().__init__(None, as_int(kw, "kw"), as_int(kw if dw is None else dw, "dw"))
