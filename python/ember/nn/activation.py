"""Activations: :class:`ReLU`, :class:`Tanh`, :class:`Sigmoid`, :class:`SoftMax`, :class:`LogSoftMax`."""
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
        super().__init__(None, bool(ip))


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
    """Softmax over the last dimension of a (N, C) or (C,) input.

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
