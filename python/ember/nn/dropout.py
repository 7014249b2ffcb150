"""Regularisation layers: :class:`Dropout`."""
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
        super().__init__(None, float(init_p), bool(inplace), bool(scale))
