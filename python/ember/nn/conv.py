"""Convolution layers: :class:`SpatialConvolution`, :class:`SpatialDilatedConvolution`,
:class:`SpatialFullConvolution`, :class:`TemporalConvolution`."""
from ember._args import as_bool, as_int
from ember.nn.module import Model


class SpatialConvolution(Model):
    """2-d convolution over a batch of images (im2col + GEMM on the JVM).

    Args:
        n_input_plane (int): input channels.
        n_output_plane (int): output channels.
        kernel_w (int), kernel_h (int): kernel width and height.
        stride_w (int), stride_h (int): strides. Default: 1.
        pad_w (int), pad_h (int): zero padding on each side; both -1 for "same" padding. Default: 0.
        n_group (int): channel groups (PyTorch's ``groups``): output block g sees only input block g;
            must divide both plane counts; ``n_group = n_input_plane`` is a depthwise convolution. Default: 1.
        with_bias (bool): whether to add a learned bias. Default: True.
        wRegularizer, bRegularizer (Regularizer, optional): penalties on the weight and the bias.

    Shape:
        - Input: (N, n_input_plane, H, W) or (n_input_plane, H, W)
        - Output: (N, n_output_plane, (H + 2 pad_h - kernel_h) // stride_h + 1, (W + 2 pad_w - kernel_w) // stride_w + 1)
        - Weight: (n_output_plane, n_input_plane // n_group, kernel_h, kernel_w)

    Examples:
        >>> import numpy as np
        >>> conv = SpatialConvolution(1, 6, 5, 5)
        >>> conv.forward(np.zeros((2, 1, 28, 28), np.float32)).shape
        (2, 6, 24, 24)
        >>> SpatialConvolution(4, 8, 3, 3, 1, 1, 1, 1, n_group=4).forward(np.zeros((1, 4, 5, 5), np.float32)).shape
        (1, 8, 5, 5)
    """

    _java_class = "ember.nn.SpatialConvolution"

    def __init__(self, n_input_plane, n_output_plane, kernel_w, kernel_h, stride_w=1, stride_h=1, pad_w=0, pad_h=0,
                 n_group=1, wRegularizer=None, bRegularizer=None, with_bias=True):
        n_in, n_out = as_int(n_input_plane, "n_input_plane"), as_int(n_output_plane, "n_output_plane")
        n_group = as_int(n_group, "n_group")
        if n_group < 1 or n_in % n_group or n_out % n_group:
            raise ValueError(f"n_group={n_group} must be positive and divide n_input_plane={n_in} and "
                             f"n_output_plane={n_out}")
        super().__init__(None, n_in, n_out, as_int(kernel_w, "kernel_w"), as_int(kernel_h, "kernel_h"),
                         as_int(stride_w, "stride_w"), as_int(stride_h, "stride_h"), as_int(pad_w, "pad_w"),
                         as_int(pad_h, "pad_h"), n_group, as_bool(with_bias, "with_bias"))
        self._set_regularizers(wRegularizer, bRegularizer)


class SpatialDilatedConvolution(Model):
    """2-d convolution with dilated (atrous) kernels: tap (i, j) reads the input at offset
    ``(i * dilation_h, j * dilation_w)`` from the window's corner. Weight (n_output_plane, n_input_plane,
    kh, kw).

    Args:
        n_input_plane (int), n_output_plane (int): input and output channels.
        kw (int), kh (int): kernel width and height.
        dw (int), dh (int): strides. Default: 1.
        pad_w (int), pad_h (int): zero padding on each side. Default: 0.
        dilation_w (int), dilation_h (int): dilation. Default: 1.

    Shape:
        - Input: (N, n_input_plane, H, W) or (n_input_plane, H, W)
        - Output: (N, n_output_plane, H_out, W_out) with
          ``H_out = (H + 2 pad_h - dilation_h * (kh - 1) - 1) // dh + 1`` (same for W)

    Examples:
        >>> import numpy as np
        >>> SpatialDilatedConvolution(1, 2, 3, 3, 1, 1, 2, 2, 2, 2).forward(np.zeros((1, 1, 8, 8))).shape
        (1, 2, 8, 8)
    """

    _java_class = "ember.nn.SpatialDilatedConvolution"

    def __init__(self, n_input_plane, n_output_plane, kw, kh, dw=1, dh=1, pad_w=0, pad_h=0, dilation_w=1, dilation_h=1):
        super().__init__(None, as_int(n_input_plane, "n_input_plane"), as_int(n_output_plane, "n_output_plane"),
                         as_int(kw, "kw"), as_int(kh, "kh"), as_int(dw, "dw"), as_int(dh, "dh"), as_int(pad_w, "pad_w"),
                         as_int(pad_h, "pad_h"), as_int(dilation_w, "dilation_w"), as_int(dilation_h, "dilation_h"))


class SpatialFullConvolution(Model):
    """Transposed 2-d convolution (the adjoint of :class:`SpatialConvolution` with the same kernel, stride
    and padding). Weight (n_input_plane, n_output_plane, kh, kw), PyTorch's ConvTranspose2d layout.

    Args:
        n_input_plane (int), n_output_plane (int): input and output channels.
        kw (int), kh (int): kernel width and height.
        dw (int), dh (int): strides. Default: 1.
        pad_w (int), pad_h (int): padding removed from each side of the output. Default: 0.
        adj_w (int), adj_h (int): extra output columns/rows at the right/bottom, < stride. Default: 0.
        with_bias (bool): learn a bias. Default: True.

    Shape:
        - Input: (N, n_input_plane, H, W) or (n_input_plane, H, W)
        - Output: (N, n_output_plane, (H - 1) * dh - 2 pad_h + kh + adj_h, (W - 1) * dw - 2 pad_w + kw + adj_w)

    Examples:
        >>> import numpy as np
        >>> SpatialFullConvolution(3, 2, 4, 4, 2, 2, 1, 1).forward(np.zeros((1, 3, 5, 5))).shape
        (1, 2, 10, 10)
    """

    _java_class = "ember.nn.SpatialFullConvolution"

    def __init__(self, n_input_plane, n_output_plane, kw, kh, dw=1, dh=1, pad_w=0, pad_h=0, adj_w=0, adj_h=0,
                 with_bias=True):
        super().__init__(None, as_int(n_input_plane, "n_input_plane"), as_int(n_output_plane, "n_output_plane"),
                         as_int(kw, "kw"), as_int(kh, "kh"), as_int(dw, "dw"), as_int(dh, "dh"), as_int(pad_w, "pad_w"),
                         as_int(pad_h, "pad_h"), as_int(adj_w, "adj_w"), as_int(adj_h, "adj_h"),
                         as_bool(with_bias, "with_bias"))


class TemporalConvolution(Model):
    """1-d convolution over sequences of frames (time first, features last). Weight
    (output_frame_size, kernel_w * input_frame_size), the kernel_w frames of a window one after the other.

    Args:
        input_frame_size (int): features per input frame.
        output_frame_size (int): features per output frame.
        kernel_w (int): frames per window.
        stride_w (int): step between windows. Default: 1.

    Shape:
        - Input: (N, T, input_frame_size) or (T, input_frame_size)
        - Output: (N, (T - kernel_w) // stride_w + 1, output_frame_size)

    Examples:
        >>> import numpy as np
        >>> TemporalConvolution(6, 4, 3).forward(np.zeros((2, 10, 6))).shape
        (2, 8, 4)
    """

    _java_class = "ember.nn.TemporalConvolution"

    def __init__(self, input_frame_size, output_frame_size, kernel_w, stride_w=1):
        super().__init__(None, as_int(input_frame_size, "input_frame_size"),
                         as_int(output_frame_size, "output_frame_size"), as_int(kernel_w, "kernel_w"),
                         as_int(stride_w, "stride_w"))
