"""Initialisation methods (BigDL's ``bigdl.nn.initialization_method``), for :meth:`Model.set_init_method`.

Each wraps an ``ember.nn.InitMethod``. ``fan_in`` / ``fan_out`` are those of the layer's weight: for a weight
of shape (out, in, k...), fan_in = in * prod(k) and fan_out = out * prod(k); a bias uses its weight's fans.

Examples:
    >>> import numpy as np
    >>> from ember.nn.layer import Linear
    >>> m = Linear(3, 2).set_init_method(Ones(), Zeros())
    >>> m.get_weights()[0].tolist(), m.get_weights()[1].tolist()
    ([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], [0.0, 0.0])
"""
from ember._args import as_bool, as_float
from ember._java import JavaValue, call_static

__all__ = ["InitializationMethod", "Zeros", "Ones", "ConstInitMethod", "RandomUniform", "RandomNormal", "Xavier",
           "MsraFiller"]


class InitializationMethod(JavaValue):
    """Base of the initialisation methods."""

    _java_class = "ember.nn.InitMethod"


class _Named(InitializationMethod):
    def __init__(self):
        super().__init__(call_static("ember.nn.InitMethod", "named", type(self).__name__))


class Zeros(_Named):
    """All zeros."""

    _java_class = "ember.nn.Zeros$"


class Ones(_Named):
    """All ones."""

    _java_class = "ember.nn.Ones$"


class Xavier(_Named):
    """Glorot / Xavier: uniform in +-sqrt(6 / (fan_in + fan_out))."""

    _java_class = "ember.nn.Xavier$"


class ConstInitMethod(InitializationMethod):
    """Every value ``value``.

    Args:
        value (float): the constant.
    """

    _java_class = "ember.nn.ConstInitMethod"

    def __init__(self, value):
        super().__init__(None, as_float(value, "value"))


class RandomUniform(InitializationMethod):
    """Uniform in [lower, upper); without bounds (BigDL's ``RandomUniform()``), uniform in +-1/sqrt(fan_in).

    Args:
        upper (float, optional), lower (float, optional): both or neither (BigDL's argument order).
    """

    _java_class = "ember.nn.RandomUniform"

    def __init__(self, upper=None, lower=None):
        if (upper is None) != (lower is None):
            raise ValueError(f"RandomUniform: give both upper and lower or neither, got upper={upper} lower={lower}")
        if upper is None:
            super().__init__(None)
        else:
            super().__init__(None, as_float(lower, "lower"), as_float(upper, "upper"))


class RandomNormal(InitializationMethod):
    """Normal with mean ``mean`` and standard deviation ``stdv``.

    Args:
        mean (float), stdv (float).
    """

    _java_class = "ember.nn.RandomNormal"

    def __init__(self, mean, stdv):
        super().__init__(None, as_float(mean, "mean"), as_float(stdv, "stdv"))


class MsraFiller(InitializationMethod):
    """He / Kaiming: normal with std sqrt(2 / n), n = fan_out (default, as BigDL) or fan_in.

    Args:
        varianceNormAtFanOut (bool): Default: True.
    """

    _java_class = "ember.nn.MsraFiller"

    def __init__(self, varianceNormAtFanOut=True):
        super().__init__(None, as_bool(varianceNormAtFanOut, "varianceNormAtFanOut"))
