"""Shape layers: :class:`Reshape`, :class:`View`, :class:`Padding`, :class:`SpatialZeroPadding`,
:class:`Transpose`, :class:`Narrow`, :class:`Select`, :class:`Squeeze`, :class:`Unsqueeze`, :class:`Replicate`.

Dimensions, offsets and indices are 0-based (BigDL's were 1-based); where noted, negative values count from
the end as in numpy.
"""
import numpy as np

from ember import _convert
from ember._args import as_bool, as_float, as_int
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
        args = (_convert.int_array(size, "size"),)
        if batch_mode is not None:
            args += (as_bool(batch_mode, "batch_mode"),)
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
        super().__init__(None, _convert.int_array(sizes, "sizes"), as_int(num_input_dims, "num_input_dims"))


class Padding(Model):
    """Pads dimension ``dim`` with ``|pad|`` slices of ``value``: before the data when ``pad < 0``, after it
    when ``pad > 0`` (BigDL's ``nIndex`` is not supported).

    Args:
        dim (int): 0-based dimension within a sample (negative counts from the end).
        pad (int): number of slices; its sign chooses the side.
        n_input_dim (int): dimensions of one sample; an input with more has a leading batch dimension.
        value (float): fill value. Default: 0.

    Examples:
        >>> import numpy as np
        >>> Padding(0, -2, 1).forward(np.ones((3, 2))).tolist()
        [[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]]
    """

    _java_class = "ember.nn.Padding"

    def __init__(self, dim, pad, n_input_dim, value=0.0):
        super().__init__(None, as_int(dim, "dim"), as_int(pad, "pad"), as_int(n_input_dim, "n_input_dim"),
                         as_float(value, "value"))


class SpatialZeroPadding(Model):
    """Zero-pads the last two dimensions; negative amounts crop.

    Args:
        pad_left (int), pad_right (int), pad_top (int), pad_bottom (int): columns/rows added (or removed).

    Shape:
        - Input: (N, C, H, W) or (C, H, W)
        - Output: (N, C, H + pad_top + pad_bottom, W + pad_left + pad_right)

    Examples:
        >>> import numpy as np
        >>> SpatialZeroPadding(1, 1, 0, 2).forward(np.ones((2, 3, 4, 4))).shape
        (2, 3, 6, 6)
    """

    _java_class = "ember.nn.SpatialZeroPadding"

    def __init__(self, pad_left, pad_right, pad_top, pad_bottom):
        super().__init__(None, as_int(pad_left, "pad_left"), as_int(pad_right, "pad_right"), as_int(pad_top, "pad_top"),
                         as_int(pad_bottom, "pad_bottom"))


class Transpose(Model):
    """Swaps pairs of dimensions of the whole input (batch dimension included), one pair after the other.

    Args:
        permutations (list of (int, int)): 0-based dimension pairs.

    Examples:
        >>> import numpy as np
        >>> Transpose([(0, 2)]).forward(np.zeros((2, 3, 4))).shape
        (4, 3, 2)
    """

    _java_class = "ember.nn.Transpose"

    def __init__(self, permutations):
        flat = [as_int(d, "permutations") for pair in permutations for d in pair]
        super().__init__(None, _convert.int_array(flat))


class Narrow(Model):
    """The slice ``[offset, offset + length)`` of dimension ``dimension`` (of the whole input), copied.

    Args:
        dimension (int): 0-based dimension (negative counts from the end).
        offset (int): 0-based start.
        length (int): slice length; negative counts from the end (-1: everything from ``offset``). Default: 1.

    Examples:
        >>> import numpy as np
        >>> Narrow(1, 1, 2).forward(np.arange(8.0).reshape(2, 4)).tolist()
        [[1.0, 2.0], [5.0, 6.0]]
    """

    _java_class = "ember.nn.Narrow"

    def __init__(self, dimension, offset, length=1):
        super().__init__(None, as_int(dimension, "dimension"), as_int(offset, "offset"), as_int(length, "length"))


class Select(Model):
    """The slice at ``index`` of dimension ``dim`` (of the whole input), with that dimension removed.

    Args:
        dim (int): 0-based dimension (negative counts from the end).
        index (int): 0-based index (negative counts from the end).

    Examples:
        >>> import numpy as np
        >>> Select(1, -1).forward(np.arange(6.0).reshape(2, 3)).tolist()
        [2.0, 5.0]
    """

    _java_class = "ember.nn.Select"

    def __init__(self, dim, index):
        super().__init__(None, as_int(dim, "dim"), as_int(index, "index"))


class Squeeze(Model):
    """Removes size-1 dimensions: those in ``dims`` (0-based), or all of them when ``dims`` is None.

    Args:
        dims (int or list of int, optional): dimensions to remove if their size is 1.
        batch_mode (bool): dims count within a sample; the batch dimension is never removed. Default: False.

    Examples:
        >>> import numpy as np
        >>> Squeeze().forward(np.zeros((2, 1, 3, 1))).shape
        (2, 3)
    """

    _java_class = "ember.nn.Squeeze"

    def __init__(self, dims=None, batch_mode=False):
        dims = [] if dims is None else [dims] if isinstance(dims, (int, np.integer)) else dims
        super().__init__(None, _convert.int_array(dims, "dims"), as_bool(batch_mode, "batch_mode"))


class Unsqueeze(Model):
    """Inserts a size-1 dimension at 0-based position ``pos``.

    Args:
        pos (int): position (may equal the number of dimensions).
        num_input_dims (int): when > 0, inputs with more dimensions have a leading batch dimension and
            ``pos`` counts within a sample. Default: 0.

    Examples:
        >>> import numpy as np
        >>> Unsqueeze(1).forward(np.zeros((2, 3))).shape
        (2, 1, 3)
    """

    _java_class = "ember.nn.Unsqueeze"

    def __init__(self, pos, num_input_dims=0):
        super().__init__(None, as_int(pos, "pos"), as_int(num_input_dims, "num_input_dims"))


class Replicate(Model):
    """Repeats the input ``n_features`` times along a new dimension at 0-based position ``dim``.

    Args:
        n_features (int): number of copies.
        dim (int): where the new dimension goes. Default: 0.
        n_dim (int): dimensions of one sample; an input with more has a leading batch dimension and ``dim``
            counts within a sample. Default: no limit.

    Examples:
        >>> import numpy as np
        >>> Replicate(3, 0, 1).forward(np.zeros((2, 4))).shape
        (2, 3, 4)
    """

    _java_class = "ember.nn.Replicate"

    def __init__(self, n_features, dim=0, n_dim=2**31 - 1):
        super().__init__(None, as_int(n_features, "n_features"), as_int(dim, "dim"), as_int(n_dim, "n_dim"))


class InferReshape(Model):
    """Reshapes with inference (Caffe's / BigDL's): an entry 0 copies the input's size at that position, one
    entry -1 takes what is left.

    Args:
        size (sequence of int): the new shape (of one sample with ``batch_mode``).
        batch_mode (bool): the first dimension is a batch, kept as is. Default: False.

    Examples:
        >>> import numpy as np
        >>> InferReshape([0, -1]).forward(np.zeros((2, 3, 4))).shape
        (2, 12)
    """

    _java_class = "ember.nn.InferReshape"

    def __init__(self, size, batch_mode=False):
        super().__init__(None, _convert.int_array(size, "size"), as_bool(batch_mode, "batch_mode"))


class Masking(Model):
    """Masks padded time steps: on (N, T, F) input, a step whose F features all equal ``mask_value`` gives
    zeros and passes no gradient; other steps pass unchanged.

    Args:
        mask_value (float): Default: 0.0.

    Examples:
        >>> import numpy as np
        >>> Masking(-1.0).forward(np.array([[[-1.0, -1.0], [-1.0, 2.0]]])).tolist()
        [[[0.0, 0.0], [-1.0, 2.0]]]
    """

    _java_class = "ember.nn.Masking"

    def __init__(self, mask_value=0.0):
        super().__init__(None, as_float(mask_value, "mask_value"))
