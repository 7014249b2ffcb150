"""Learnable elementwise scale and shift: :class:`CAdd`, :class:`CMul`, :class:`Mul`, :class:`Add`."""
from ember import _convert
from ember._args import as_bool, as_float, as_int, as_int_list
from ember.nn.module import Model


class CAdd(Model):
    """Adds a learnable tensor of shape ``size``, broadcast numpy-style: aligned with the input's last
    dimensions, its size-1 dimensions repeating (``size=[C, 1, 1]`` is one bias per channel).

    Args:
        size (list of int): shape of the bias.

    Examples:
        >>> import numpy as np
        >>> m = CAdd([3, 1, 1])
        >>> m.forward(np.zeros((2, 3, 4, 4))).shape
        (2, 3, 4, 4)
    """

    _java_class = "ember.nn.CAdd"

    def __init__(self, size):
        super().__init__(None, _convert.int_array(as_int_list(size, "size")))


class CMul(Model):
    """Multiplies by a learnable tensor of shape ``size``, broadcast as in :class:`CAdd`.

    Args:
        size (list of int): shape of the weight.

    Examples:
        >>> import numpy as np
        >>> CMul([1, 4]).forward(np.zeros((5, 4))).shape
        (5, 4)
    """

    _java_class = "ember.nn.CMul"

    def __init__(self, size):
        super().__init__(None, _convert.int_array(as_int_list(size, "size")))


class Mul(Model):
    """Multiplies the input by one learnable scalar.

    Examples:
        >>> import numpy as np
        >>> m = Mul().set_weights([np.array([3.0])])
        >>> m.forward(np.array([1.0, 2.0])).tolist()
        [3.0, 6.0]
    """

    _java_class = "ember.nn.Mul"

    def __init__(self):
        super().__init__(None)


class Add(Model):
    """Adds a learnable bias of size ``input_size`` to every row.

    Args:
        input_size (int): size of each row.

    Shape:
        - Input: (N, input_size) or (input_size,)
        - Output: same as input

    Examples:
        >>> import numpy as np
        >>> Add(3).forward(np.zeros((2, 3))).shape
        (2, 3)
    """

    _java_class = "ember.nn.Add"

    def __init__(self, input_size):
        super().__init__(None, as_int(input_size, "input_size"))


class MulConstant(Model):
    """Multiplies every element by the constant ``scalar``.

    Args:
        scalar (float). inplace (bool): overwrite the input. Default: False.

    Examples:
        >>> import numpy as np
        >>> MulConstant(3).forward(np.array([1.0, -2.0])).tolist()
        [3.0, -6.0]
    """

    _java_class = "ember.nn.MulConstant"

    def __init__(self, scalar, inplace=False):
        super().__init__(None, as_float(scalar, "scalar"), as_bool(inplace, "inplace"))


class AddConstant(Model):
    """Adds the constant ``constant_scalar`` to every element.

    Args:
        constant_scalar (float). inplace (bool): overwrite the input. Default: False.

    Examples:
        >>> import numpy as np
        >>> AddConstant(0.5).forward(np.array([1.0, -2.0])).tolist()
        [1.5, -1.5]
    """

    _java_class = "ember.nn.AddConstant"

    def __init__(self, constant_scalar, inplace=False):
        super().__init__(None, as_float(constant_scalar, "constant_scalar"), as_bool(inplace, "inplace"))
