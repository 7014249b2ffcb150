"""Attention layers: :class:`Attention` (dot-product attention of queries over values, as in Luong et al.'s
global attention and Keras' ``Attention`` layer)."""
from ember._args import as_bool
from ember.nn.module import Model


class Attention(Model):
    """Dot-product attention: per row, ``a = softmax(q v^T)`` over the S values, output ``a v``.

    Args:
        scaled (bool): divide the scores by sqrt(dim). Default: False.

    Shape:
        - Input: ``[queries, values]``, arrays (N, T, D) and (N, S, D) (the keys are the values)
        - Output: (N, T, D), the context of each query

    Examples:
        >>> import numpy as np
        >>> q = np.array([[[10.0, 0.0]]]); v = np.array([[[1.0, 0.0], [0.0, 1.0]]])
        >>> np.round(Attention().forward([q, v]), 4).tolist()
        [[[1.0, 0.0]]]
    """

    _java_class = "ember.nn.Attention"

    def __init__(self, scaled=False):
        super().__init__(None, as_bool(scaled, "scaled"))
