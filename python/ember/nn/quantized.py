"""Int8 inference layers (BigDL's ``nn.quantized``), made by :meth:`ember.nn.module.Model.quantize`.

:class:`Linear` and :class:`SpatialConvolution` hold weights quantized to 7-bit integers with one step per
output channel and compute in int8 (oneDNN's int8 primitives where oneDNN is in use, else JVM kernels) with the
input step measured on calibration data; they are for inference (no backward). They are rarely built by hand:
``model.quantize(calibration_data)`` builds them from a trained float model.
"""
from ember._args import as_bool, as_float, as_int
from ember.nn.container import Sequential
from ember.nn.module import Model


class Linear(Model):
    """Int8 ``y = x W^T + b`` for inference.

    Args:
        input_size (int), output_size (int), with_bias (bool): as :class:`ember.nn.layer.Linear`.
        input_step (float): real value of one step of the quantized input (from calibration).
        input_unsigned (bool): inputs are non-negative (quantized to 0..255) rather than signed (-127..127).
        activation (str): ``""`` (none), ``"relu"`` or ``"tanh"``, applied to the output (the quantizer fuses a
            following ReLU or Tanh into the layer).

    Shape:
        - Input: (N, input_size) or (input_size,)
        - Output: (N, output_size) or (output_size,)
    """

    _java_class = "ember.nn.quantized.Linear"

    def __init__(self, input_size, output_size, with_bias=True, input_step=1.0, input_unsigned=False, activation=""):
        super().__init__(None, as_int(input_size, "input_size"), as_int(output_size, "output_size"),
                         as_bool(with_bias, "with_bias"), as_float(input_step, "input_step"),
                         as_bool(input_unsigned, "input_unsigned"), _activation(activation))


class SpatialConvolution(Model):
    """Int8 2-d convolution for inference, with the geometry of :class:`ember.nn.layer.SpatialConvolution`.

    Args:
        n_input_plane, n_output_plane, kernel_w, kernel_h, stride_w, stride_h, pad_w, pad_h, with_bias: as
            :class:`ember.nn.layer.SpatialConvolution` (``pad_w = pad_h = -1``: "same" padding).
        input_step (float), input_unsigned (bool), activation (str): as :class:`Linear`.

    Shape:
        - Input: (N, n_input_plane, H, W) or (n_input_plane, H, W)
        - Output: (N, n_output_plane, H_out, W_out)
    """

    _java_class = "ember.nn.quantized.SpatialConvolution"

    def __init__(self, n_input_plane, n_output_plane, kernel_w, kernel_h, stride_w=1, stride_h=1, pad_w=0, pad_h=0,
                 with_bias=True, input_step=1.0, input_unsigned=False, activation=""):
        ints = [as_int(v, n) for v, n in ((n_input_plane, "n_input_plane"), (n_output_plane, "n_output_plane"),
                                          (kernel_w, "kernel_w"), (kernel_h, "kernel_h"), (stride_w, "stride_w"),
                                          (stride_h, "stride_h"), (pad_w, "pad_w"), (pad_h, "pad_h"))]
        super().__init__(None, *ints, as_bool(with_bias, "with_bias"), as_float(input_step, "input_step"),
                         as_bool(input_unsigned, "input_unsigned"), _activation(activation))


def _activation(value):
    if value not in ("", "relu", "tanh"):
        raise ValueError(f"activation must be '', 'relu' or 'tanh', got {value!r}")
    return value


class Chain(Sequential):
    """Two int8 convolutions in a row whose intermediate stays int8 on oneDNN (made by ``quantize``, e.g. for a
    ResNet block's two convolutions): the first requantizes its result straight into the second's input layout.
    On the JVM kernels it runs the two in turn, like :class:`ember.nn.layer.Sequential`.
    """

    _java_class = "ember.nn.quantized.Chain"
