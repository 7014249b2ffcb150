"""Convolution layers: :class:`SpatialConvolution`."""
from ember.nn.module import Model


class SpatialConvolution(Model):
    """2-d convolution over a batch of images (im2col + GEMM on the JVM).

    Args:
        n_input_plane (int): input channels.
        n_output_plane (int): output channels.
        kernel_w (int), kernel_h (int): kernel width and height.
        stride_w (int), stride_h (int): strides. Default: 1.
        pad_w (int), pad_h (int): zero padding on each side. Default: 0.
        wRegularizer, bRegularizer (Regularizer, optional): penalties on the weight and the bias.

    Shape:
        - Input: (N, n_input_plane, H, W) or (n_input_plane, H, W)
        - Output: (N, n_output_plane, (H + 2 pad_h - kernel_h) // stride_h + 1, (W + 2 pad_w - kernel_w) // stride_w + 1)

    Examples:
        >>> import numpy as np
        >>> conv = SpatialConvolution(1, 6, 5, 5)
        >>> conv.forward(np.zeros((2, 1, 28, 28), np.float32)).shape
        (2, 6, 24, 24)
    """

    _java_class = "ember.nn.SpatialConvolution"

    def __init__(self, n_input_plane, n_output_plane, kernel_w, kernel_h, stride_w=1, stride_h=1, pad_w=0, pad_h=0,
                 wRegularizer=None, bRegularizer=None):
        super().__init__(None, int(n_input_plane), int(n_output_plane), int(kernel_w), int(kernel_h),
                         int(stride_w), int(stride_h), int(pad_w), int(pad_h))
        self._set_regularizers(wRegularizer, bRegularizer)
