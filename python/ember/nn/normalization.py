"""Normalisation layers: :class:`BatchNormalization`, :class:`SpatialBatchNormalization`,
:class:`SpatialCrossMapLRN`, :class:`LayerNormalization`, :class:`Normalize`."""
from ember._args import as_bool, as_float, as_int
from ember.nn.module import Model


class BatchNormalization(Model):
    """Batch normalisation of (N, n_output) input.

    In training mode each feature is normalised with the batch mean and (biased) variance, and the running
    mean and variance (buffers saved with the model, starting at 0 and 1) move towards the batch mean and
    unbiased variance: ``running = momentum * batch + (1 - momentum) * running``. In evaluation mode the
    running statistics are used. With ``affine``, a learnable scale (starting at 1) and shift (at 0) follow.

    Args:
        n_output (int): number of features.
        eps (float): added to the variance. Default: 1e-5.
        momentum (float): running-statistics update factor in [0, 1]. Default: 0.1.
        affine (bool): learn scale and shift. Default: True.

    Shape:
        - Input: (N, n_output), N > 1 in training mode
        - Output: same as input

    Examples:
        >>> import numpy as np
        >>> bn = BatchNormalization(2)
        >>> bn.forward(np.array([[1.0, 2.0], [3.0, 6.0]])).round(3).tolist()
        [[-1.0, -1.0], [1.0, 1.0]]
    """

    _java_class = "ember.nn.BatchNormalization"

    def __init__(self, n_output, eps=1e-5, momentum=0.1, affine=True):
        super().__init__(None, as_int(n_output, "n_output"), as_float(eps, "eps"), as_float(momentum, "momentum"),
                         as_bool(affine, "affine"))


class SpatialBatchNormalization(Model):
    """Batch normalisation per channel of (N, n_output, H, W) input, over the batch and all positions;
    modes, running statistics and parameters as in :class:`BatchNormalization`.

    Args:
        n_output (int): number of channels.
        eps (float): added to the variance. Default: 1e-5.
        momentum (float): running-statistics update factor. Default: 0.1.
        affine (bool): learn scale and shift. Default: True.

    Shape:
        - Input: (N, n_output, H, W) or (n_output, H, W)
        - Output: same as input

    Examples:
        >>> import numpy as np
        >>> SpatialBatchNormalization(3).forward(np.random.rand(2, 3, 4, 4)).shape
        (2, 3, 4, 4)
    """

    _java_class = "ember.nn.SpatialBatchNormalization"

    def __init__(self, n_output, eps=1e-5, momentum=0.1, affine=True):
        super().__init__(None, as_int(n_output, "n_output"), as_float(eps, "eps"), as_float(momentum, "momentum"),
                         as_bool(affine, "affine"))


class SpatialCrossMapLRN(Model):
    """Local response normalisation across channels:
    ``y[c] = x[c] * (k + alpha / size * sum(x[c']^2 for c' in window(c))) ** -beta`` with the window
    ``[c - (size - 1) // 2, c - (size - 1) // 2 + size - 1]`` clipped to the channels.

    Args:
        size (int): channels per window. Default: 5.
        alpha (float): scale. Default: 1.
        beta (float): exponent. Default: 0.75.
        k (float): additive constant, > 0. Default: 1.

    Shape:
        - Input: (N, C, H, W) or (C, H, W)
        - Output: same as input

    Examples:
        >>> import numpy as np
        >>> SpatialCrossMapLRN(5, 1e-4, 0.75).forward(np.ones((1, 8, 2, 2))).shape
        (1, 8, 2, 2)
    """

    _java_class = "ember.nn.SpatialCrossMapLRN"

    def __init__(self, size=5, alpha=1.0, beta=0.75, k=1.0):
        super().__init__(None, as_int(size, "size"), as_float(alpha, "alpha"), as_float(beta, "beta"), as_float(k, "k"))


class LayerNormalization(Model):
    """Layer normalisation over the last dimension, with learnable scale (starting at 1) and shift (at 0):
    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` per vector of ``hidden_size`` values.

    Args:
        hidden_size (int): size of the last dimension.
        eps (float): added to the variance. Default: 1e-5.

    Shape:
        - Input: (*, hidden_size)
        - Output: same as input

    Examples:
        >>> import numpy as np
        >>> LayerNormalization(2).forward(np.array([[1.0, 3.0]])).round(3).tolist()
        [[-1.0, 1.0]]
    """

    _java_class = "ember.nn.LayerNormalization"

    def __init__(self, hidden_size, eps=1e-5):
        super().__init__(None, as_int(hidden_size, "hidden_size"), as_float(eps, "eps"))


class Normalize(Model):
    """Scales to unit L_p norm: ``y = x / (sum(|x| ** p) + eps) ** (1 / p)`` (``x / (max|x| + eps)`` for
    ``p = inf``), over dimension 1 (0-based) of input with 2 or more dimensions, separately for every sample
    and remaining position, or over the whole of a vector.

    Args:
        p (float): the norm, >= 1 or ``float("inf")``.
        eps (float): added before the root. Default: 1e-10.

    Examples:
        >>> import numpy as np
        >>> out = Normalize(2.0).forward(np.array([[3.0, 4.0]]))
        >>> bool(np.allclose(out, [[0.6, 0.8]]))
        True
    """

    _java_class = "ember.nn.Normalize"

    def __init__(self, p, eps=1e-10):
        super().__init__(None, as_float(p, "p"), as_float(eps, "eps"))
