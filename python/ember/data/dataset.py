"""In-memory data sets built from numpy arrays (``ember.data.LocalDataSet`` on the JVM)."""
import numpy as np

from ember import _convert
from ember._java import JavaValue, call_static


class LocalDataSet(JavaValue):
    """Features and 0-based labels held in the JVM as flat float32 arrays (one copy, no per-sample objects).

    Args:
        x (ndarray): features, shape (N, *).
        y (ndarray): labels, shape (N,) for class indices or (N, *) for other targets.

    Raises:
        ValueError: different numbers of samples, an empty set, or NaN/infinite values (the message names
            the first bad sample).

    Examples:
        >>> import numpy as np
        >>> ds = LocalDataSet(np.zeros((10, 4)), np.arange(10) % 2)
        >>> ds.size()
        10
    """

    _java_class = "ember.data.LocalDataSet"

    def __init__(self, x, y):
        if y is None:
            raise ValueError("y: the labels are missing (None); training and validation need an (x, y) pair")
        x = _convert.as_float32(x, "x")
        y = _convert.as_float32(y, "y")
        if x.ndim < 1 or y.ndim < 1 or x.shape[0] != y.shape[0]:
            raise ValueError(f"x and y must have the same number of samples (first dimension), got x of shape "
                             f"{x.shape} and y of shape {y.shape}")
        if x.shape[0] == 0:
            raise ValueError("empty data set: x has no samples")
        xt, yt = _convert.to_tensor(x, "x"), _convert.to_tensor(y, "y")
        # The tensors are fresh and contiguous, so their storage arrays are exactly the samples, row by row.
        super().__init__(call_static(self._java_class, "fromArrays", xt.storage(), _convert.int_array(x.shape[1:]),
                                     yt.storage(), _convert.int_array(y.shape[1:])))

    def size(self):
        return int(self._call("size"))


def as_local_dataset(data, name="training_set"):
    """A :class:`LocalDataSet` from a ``(x, y)`` tuple (or a LocalDataSet as is)."""
    if isinstance(data, LocalDataSet):
        return data
    if isinstance(data, tuple) and len(data) == 2:
        return LocalDataSet(np.asarray(data[0]) if not isinstance(data[0], np.ndarray) else data[0], data[1])
    raise TypeError(f"{name}: expected an (x, y) tuple of numpy arrays, got {type(data).__name__}")
