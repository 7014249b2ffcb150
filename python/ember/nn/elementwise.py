"""Elementwise functions: :class:`Power`, :class:`Sqrt`, :class:`Square`, :class:`Log`, :class:`Exp`,
:class:`Abs`, :class:`Clamp`. All accept input of any shape and return the same shape.
"""
from ember._args import as_float
from ember.nn.activation import HardTanh
from ember.nn.module import Model


class Power(Model):
    """``(shift + scale * x) ** power`` elementwise (NaN for a non-integer power of a negative base).

    Args:
        power (float): exponent.
        scale (float): factor applied to the input first. Default: 1.
        shift (float): offset added after scaling. Default: 0.

    Examples:
        >>> import numpy as np
        >>> Power(2.0, 1.0, 1.0).forward(np.array([1.0, 2.0])).tolist()
        [4.0, 9.0]
    """

    _java_class = "ember.nn.Power"

    def __init__(self, power, scale=1.0, shift=0.0):
        super().__init__(None, as_float(power, "power"), as_float(scale, "scale"), as_float(shift, "shift"))


class Sqrt(Model):
    """Square root, elementwise.

    Examples:
        >>> import numpy as np
        >>> Sqrt().forward(np.array([4.0, 9.0])).tolist()
        [2.0, 3.0]
    """

    _java_class = "ember.nn.Sqrt"

    def __init__(self):
        super().__init__(None)


class Square(Model):
    """``x * x``, elementwise.

    Examples:
        >>> import numpy as np
        >>> Square().forward(np.array([-3.0, 2.0])).tolist()
        [9.0, 4.0]
    """

    _java_class = "ember.nn.Square"

    def __init__(self):
        super().__init__(None)


class Log(Model):
    """Natural logarithm, elementwise.

    Examples:
        >>> import numpy as np
        >>> Log().forward(np.array([1.0])).tolist()
        [0.0]
    """

    _java_class = "ember.nn.Log"

    def __init__(self):
        super().__init__(None)


class Exp(Model):
    """``exp(x)``, elementwise.

    Examples:
        >>> import numpy as np
        >>> Exp().forward(np.array([0.0])).tolist()
        [1.0]
    """

    _java_class = "ember.nn.Exp"

    def __init__(self):
        super().__init__(None)


class Abs(Model):
    """``|x|``, elementwise.

    Examples:
        >>> import numpy as np
        >>> Abs().forward(np.array([-2.0, 3.0])).tolist()
        [2.0, 3.0]
    """

    _java_class = "ember.nn.Abs"

    def __init__(self):
        super().__init__(None)


class Clamp(HardTanh):
    """Clamps every element to ``[min, max]``.

    Args:
        min (float): lower bound.
        max (float): upper bound, > min.

    Examples:
        >>> import numpy as np
        >>> Clamp(-1, 2).forward(np.array([-5.0, 0.5, 5.0])).tolist()
        [-1.0, 0.5, 2.0]
    """

    _java_class = "ember.nn.Clamp"

    def __init__(self, min, max):  # noqa: A002 - BigDL's argument names
        Model.__init__(self, None, as_float(min, "min"), as_float(max, "max"))
