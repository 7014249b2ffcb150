"""Regularisation layers: :class:`Dropout`, :class:`SpatialDropout2D`, :class:`GaussianNoise`."""
from ember._args import as_bool, as_float, as_int, as_str
from ember.nn.module import Model


class Dropout(Model):
    """Zeroes each element with probability ``init_p`` in training mode (identity in evaluation mode).

    Args:
        init_p (float): drop probability in [0, 1). Default: 0.5.
        inplace (bool): overwrite the input. Default: False.
        scale (bool): scale kept values by 1 / (1 - p) during training. Default: True.

    Examples:
        >>> import numpy as np
        >>> Dropout(0.5).evaluate().forward(np.ones(3)).tolist()
        [1.0, 1.0, 1.0]
    """

    _java_class = "ember.nn.Dropout"

    def __init__(self, init_p=0.5, inplace=False, scale=True):
        super().__init__(None, as_float(init_p, "init_p"), as_bool(inplace, "inplace"), as_bool(scale, "scale"))


class SpatialDropout2D(Model):
    """Drops whole feature maps: in training mode each (sample, channel) plane is zeroed with probability
    ``init_p`` and kept unscaled; in evaluation mode the output is ``x * (1 - init_p)`` (BigDL's and Torch's
    convention, so both modes have the same expectation).

    Args:
        init_p (float): drop probability in [0, 1). Default: 0.5.
        format (str): "NCHW" (channels in dimension 1) or "NHWC" (channels last). Default: "NCHW".

    Shape:
        - Input: (N, C, H, W) or (C, H, W) for "NCHW"; (N, H, W, C) or (H, W, C) for "NHWC"
        - Output: same as input

    Examples:
        >>> import numpy as np
        >>> SpatialDropout2D(0.5).evaluate().forward(np.ones((1, 1, 1, 2))).tolist()
        [[[[0.5, 0.5]]]]
    """

    _java_class = "ember.nn.SpatialDropout2D"

    def __init__(self, init_p=0.5, format="NCHW"):  # noqa: A002 - BigDL's argument name
        super().__init__(None, as_float(init_p, "init_p"), as_str(format, "format"))


class GaussianNoise(Model):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` in training mode only (the identity in
    evaluation mode); the gradient passes through unchanged.

    Args:
        stddev (float): standard deviation of the noise, >= 0.

    Examples:
        >>> import numpy as np
        >>> GaussianNoise(0.1).evaluate().forward(np.ones(2)).tolist()
        [1.0, 1.0]
    """

    _java_class = "ember.nn.GaussianNoise"

    def __init__(self, stddev):
        super().__init__(None, as_float(stddev, "stddev"))


class GaussianSampler(Model):
    """Draws ``mean + exp(log_var / 2) * eps`` with ``eps ~ N(0, 1)`` (a variational auto-encoder's
    reparameterisation); a fresh ``eps`` on every forward, in evaluation mode too (as BigDL).

    Shape:
        - Input: a list ``[mean, log_var]`` of arrays of one shape
        - Output: that shape; the input gradient is a list of two arrays

    Examples:
        >>> import numpy as np
        >>> z = GaussianSampler().forward([np.full((2, 3), 5.0), np.full((2, 3), -50.0)])  # variance e^-50
        >>> bool(np.allclose(z, 5.0))
        True
    """

    _java_class = "ember.nn.GaussianSampler"

    def __init__(self):
        super().__init__(None)

    def set_seed(self, seed):
        """Seeds this layer's own random generator. Returns ``self``."""
        self._call("setSeed", as_int(seed, "seed"))
        return self
