"""Shape layers: :class:`Reshape`, :class:`View`."""
from ember import _convert
from ember.nn.module import Model


class Reshape(Model):
    """Reshapes each sample to ``size`` (BigDL's ``Reshape(size, batch_mode)``).

    Args:
        size (list of int): the shape of one output sample.
        batch_mode (bool, optional): True keeps the first input dimension as the batch, False never does;
            unset, an input with exactly prod(size) elements is one sample.

    Examples:
        >>> import numpy as np
        >>> Reshape([1, 28, 28]).forward(np.zeros((5, 784))).shape
        (5, 1, 28, 28)
    """

    _java_class = "ember.nn.Reshape"

    def __init__(self, size, batch_mode=None):
        args = (_convert.int_array(list(size)),) + (() if batch_mode is None else (bool(batch_mode),))
        super().__init__(None, *args)


class View(Model):
    """A view of the input with shape ``sizes`` (one entry may be -1).

    Args:
        sizes (list of int): the output shape of one sample.
        num_input_dims (int): when > 0, inputs with more dimensions are batches. Default: 0.

    Examples:
        >>> import numpy as np
        >>> View([12 * 4 * 4]).forward(np.zeros((3, 12, 4, 4))).shape
        (3, 192)
    """

    _java_class = "ember.nn.View"

    def __init__(self, sizes, num_input_dims=0):
        super().__init__(None, _convert.int_array(list(sizes)), int(num_input_dims))
