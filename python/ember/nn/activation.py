"""Activations: :class:`ReLU`, :class:`Tanh`, :class:`Sigmoid`, :class:`SoftMax`, :class:`LogSoftMax`,
:class:`ReLU6`, :class:`LeakyReLU`, :class:`ELU`, :class:`SoftPlus`, :class:`SoftSign`, :class:`HardTanh`,
:class:`HardSigmoid`, :class:`Threshold`, :class:`PReLU`.

All are elementwise and accept input of any shape (PReLU's channel dimension is described on the class).
"""
from ember._args import as_bool, as_float, as_int
from ember.nn.module import Model


class ReLU(Model):
    """``max(0, x)`` elementwise.

    Args:
        ip (bool): compute in place. Default: False.

    Examples:
        >>> import numpy as np
        >>> ReLU().forward(np.array([-1.0, 2.0])).tolist()
        [0.0, 2.0]
    """

    _java_class = "ember.nn.ReLU"

    def __init__(self, ip=False):
        super().__init__(None, as_bool(ip, "ip"))


class Tanh(Model):
    """``tanh(x)`` elementwise.

    Examples:
        >>> import numpy as np
        >>> Tanh().forward(np.zeros(2)).tolist()
        [0.0, 0.0]
    """

    _java_class = "ember.nn.Tanh"

    def __init__(self):
        super().__init__(None)


class Sigmoid(Model):
    """``1 / (1 + exp(-x))`` elementwise.

    Examples:
        >>> import numpy as np
        >>> Sigmoid().forward(np.zeros(2)).tolist()
        [0.5, 0.5]
    """

    _java_class = "ember.nn.Sigmoid"

    def __init__(self):
        super().__init__(None)


class SoftMax(Model):
    """Softmax over the class dimension, as Torch and BigDL choose it: the only dimension of a (C,) input,
    dimension 1 of (N, C), and the channel dimension of images, per pixel: dimension 0 of a 3-d (C, H, W)
    input (a 3-d input is one image, not a batch of sequences) and dimension 1 of (N, C, H, W). An empty
    batch (0, C) gives an empty output.

    Examples:
        >>> import numpy as np
        >>> SoftMax().forward(np.zeros((1, 4))).tolist()
        [[0.25, 0.25, 0.25, 0.25]]
    """

    _java_class = "ember.nn.SoftMax"

    def __init__(self):
        super().__init__(None)


class LogSoftMax(Model):
    """Log of the softmax over the last dimension; pair with :class:`ClassNLLCriterion`.

    Examples:
        >>> import numpy as np
        >>> out = LogSoftMax().forward(np.zeros((1, 2)))
        >>> bool(np.allclose(out, np.log(0.5)))
        True
    """

    _java_class = "ember.nn.LogSoftMax"

    def __init__(self):
        super().__init__(None)


class ReLU6(Model):
    """``min(max(0, x), 6)`` elementwise.

    Args:
        inplace (bool): overwrite the input with the output (and grad_output with the input gradient).
            Default: False.

    Examples:
        >>> import numpy as np
        >>> ReLU6().forward(np.array([-1.0, 3.0, 9.0])).tolist()
        [0.0, 3.0, 6.0]
    """

    _java_class = "ember.nn.ReLU6"

    def __init__(self, inplace=False):
        super().__init__(None, as_bool(inplace, "inplace"))


class LeakyReLU(Model):
    """``x`` for ``x > 0``, ``negval * x`` otherwise.

    Args:
        negval (float): slope for negative inputs, >= 0. Default: 0.01.
        inplace (bool): compute in place. Default: False.

    Examples:
        >>> import numpy as np
        >>> LeakyReLU(0.5).forward(np.array([-2.0, 2.0])).tolist()
        [-1.0, 2.0]
    """

    _java_class = "ember.nn.LeakyReLU"

    def __init__(self, negval=0.01, inplace=False):
        super().__init__(None, as_float(negval, "negval"), as_bool(inplace, "inplace"))


class ELU(Model):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Args:
        alpha (float): scale of the negative branch, > 0. Default: 1.0.
        inplace (bool): compute in place. Default: False.

    Examples:
        >>> import numpy as np
        >>> ELU().forward(np.array([0.0, 1.0])).tolist()
        [0.0, 1.0]
    """

    _java_class = "ember.nn.ELU"

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__(None, as_float(alpha, "alpha"), as_bool(inplace, "inplace"))


class SoftPlus(Model):
    """``log(1 + exp(beta * x)) / beta`` elementwise (``x`` itself where ``beta * x > 20``).

    Args:
        beta (float): sharpness, > 0. Default: 1.0.

    Examples:
        >>> import numpy as np
        >>> round(float(SoftPlus().forward(np.zeros(1))[0]), 4)
        0.6931
    """

    _java_class = "ember.nn.SoftPlus"

    def __init__(self, beta=1.0):
        super().__init__(None, as_float(beta, "beta"))


class SoftSign(Model):
    """``x / (1 + |x|)`` elementwise.

    Examples:
        >>> import numpy as np
        >>> SoftSign().forward(np.array([-1.0, 3.0])).tolist()
        [-0.5, 0.75]
    """

    _java_class = "ember.nn.SoftSign"

    def __init__(self):
        super().__init__(None)


class HardTanh(Model):
    """``x`` clipped to ``[min_value, max_value]``.

    Args:
        min_value (float): lower bound. Default: -1.
        max_value (float): upper bound, > min_value. Default: 1.
        inplace (bool): compute in place. Default: False.

    Examples:
        >>> import numpy as np
        >>> HardTanh().forward(np.array([-3.0, 0.5, 3.0])).tolist()
        [-1.0, 0.5, 1.0]
    """

    _java_class = "ember.nn.HardTanh"

    def __init__(self, min_value=-1.0, max_value=1.0, inplace=False):
        super().__init__(None, as_float(min_value, "min_value"), as_float(max_value, "max_value"),
                         as_bool(inplace, "inplace"))


class HardSigmoid(Model):
    """``max(0, min(1, 0.2 * x + 0.5))`` elementwise (Keras's hard sigmoid).

    Examples:
        >>> import numpy as np
        >>> HardSigmoid().forward(np.array([-5.0, 0.0, 5.0])).tolist()
        [0.0, 0.5, 1.0]
    """

    _java_class = "ember.nn.HardSigmoid"

    def __init__(self):
        super().__init__(None)


class Threshold(Model):
    """``x`` where ``x > th``, else ``v``.

    Args:
        th (float): threshold. Default: 1e-6.
        v (float): replacement value. Default: 0.
        ip (bool): compute in place (then ``v <= th`` is required). Default: False.

    Examples:
        >>> import numpy as np
        >>> Threshold(1.0, -1.0).forward(np.array([0.5, 2.0])).tolist()
        [-1.0, 2.0]
    """

    _java_class = "ember.nn.Threshold"

    def __init__(self, th=1e-6, v=0.0, ip=False):
        super().__init__(None, as_float(th, "th"), as_float(v, "v"), as_bool(ip, "ip"))


class PReLU(Model):
    """``x`` for ``x > 0``, ``a * x`` otherwise, with learnable slopes ``a`` (starting at 0.25).

    Args:
        n_output_plane (int): 0 for one slope shared by every element, else the number of channels, each
            with its own slope. The channel dimension (0-based) is 0 for (C,) and (C, H, W) input, 1 for
            (N, C) and (N, C, H, W) input (BigDL's rule). Default: 0.

    Shape:
        - Input: any shape (1 to 4 dimensions with ``n_output_plane > 0``)
        - Output: same as input

    Examples:
        >>> import numpy as np
        >>> PReLU().forward(np.array([-4.0, 4.0])).tolist()
        [-1.0, 4.0]
    """

    _java_class = "ember.nn.PReLU"

    def __init__(self, n_output_plane=0):
        super().__init__(None, as_int(n_output_plane, "n_output_plane"))
