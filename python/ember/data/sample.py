"""``Sample``: one training example as numpy float32 arrays (BigDL's name)."""
import numpy as np


class Sample:
    """One example: a features array and a label array (class labels are 0-based).

    Args:
        features (ndarray): the input of one example, e.g. shape (1, 28, 28).
        label (ndarray or number): the target; a class index for classification.

    Examples:
        >>> import numpy as np
        >>> s = Sample.from_ndarray(np.zeros((2, 3)), 1)
        >>> s.features.shape, s.label.tolist()
        ((2, 3), [1.0])
    """

    def __init__(self, features, label):
        self.features = features
        self.label = label

    @classmethod
    def from_ndarray(cls, features, label):
        """A Sample from array-likes, stored as float32 (a scalar label becomes shape (1,))."""
        f = np.ascontiguousarray(features, dtype=np.float32)
        y = np.ascontiguousarray(label, dtype=np.float32)
        if y.ndim == 0:
            y = y.reshape(1)
        return cls(f, y)

    def __repr__(self):
        return f"Sample(features={self.features.shape}, label={self.label.tolist()})"

    def __reduce__(self):
        return (Sample, (self.features, self.label))
