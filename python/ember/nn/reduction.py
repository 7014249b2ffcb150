"""Reductions over one dimension: :class:`Sum`, :class:`Mean`, :class:`Max`, :class:`Min`.

Dimensions are **0-based** (BigDL's are 1-based), negative counting from the end. With ``n_input_dims`` > 0
an input of more dimensions is a batch and ``dimension`` counts within one sample (BigDL's convention).
``squeeze=False`` keeps the reduced dimension with size 1 (PyTorch's ``keepdim=True``).
"""
from ember._args import as_bool, as_int
from ember.nn.module import Model

__all__ = ["Sum", "Mean", "Max", "Min"]


class Sum(Model):
    """Sum over ``dimension``; with ``size_average`` the mean.

    Args:
        dimension (int): 0-based dimension. Default: 0.
        n_input_dims (int): dimensions of one sample (-1: no batch handling). Default: -1.
        size_average (bool): divide by the size of the dimension. Default: False.
        squeeze (bool): drop the reduced dimension (else keep it with size 1). Default: True.

    Shape:
        - Input: any, with the reduced dimension non-empty
        - Output: the input's shape without ``dimension`` (or with size 1 there)

    Examples:
        >>> import numpy as np
        >>> Sum(1).forward(np.ones((2, 3))).tolist()
        [3.0, 3.0]
    """

    _java_class = "ember.nn.Sum"

    def __init__(self, dimension=0, n_input_dims=-1, size_average=False, squeeze=True):
        super().__init__(None, as_int(dimension, "dimension"), as_int(n_input_dims, "n_input_dims"),
                         as_bool(size_average, "size_average"), as_bool(squeeze, "squeeze"))


class Mean(Model):
    """Mean over ``dimension`` (arguments as :class:`Sum`).

    Examples:
        >>> import numpy as np
        >>> Mean(0, squeeze=False).forward(np.array([[1.0, 2.0], [3.0, 6.0]])).tolist()
        [[2.0, 4.0]]
    """

    _java_class = "ember.nn.Mean"

    def __init__(self, dimension=0, n_input_dims=-1, squeeze=True):
        super().__init__(None, as_int(dimension, "dimension"), as_int(n_input_dims, "n_input_dims"),
                         as_bool(squeeze, "squeeze"))


class Max(Model):
    """Maximum over ``dim``; the gradient goes to the first maximal position (NaN counts as maximal).

    Args:
        dim (int): 0-based dimension. Default: 0.
        num_input_dims (int): dimensions of one sample (-1: no batch handling). Default: -1.
        squeeze (bool): drop the reduced dimension. Default: True.

    Examples:
        >>> import numpy as np
        >>> Max(1).forward(np.array([[1.0, 5.0, 2.0]])).tolist()
        [5.0]
    """

    _java_class = "ember.nn.Max"

    def __init__(self, dim=0, num_input_dims=-1, squeeze=True):
        super().__init__(None, as_int(dim, "dim"), as_int(num_input_dims, "num_input_dims"), as_bool(squeeze, "squeeze"))


class Min(Model):
    """Minimum over ``dim`` (arguments as :class:`Max`).

    Examples:
        >>> import numpy as np
        >>> Min(1).forward(np.array([[1.0, 5.0, -2.0]])).tolist()
        [-2.0]
    """

    _java_class = "ember.nn.Min"

    def __init__(self, dim=0, num_input_dims=-1, squeeze=True):
        super().__init__(None, as_int(dim, "dim"), as_int(num_input_dims, "num_input_dims"), as_bool(squeeze, "squeeze"))
