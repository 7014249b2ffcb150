"""Embedding layers: :class:`LookupTable`."""
from ember.nn.module import Model

DOUBLE_MAX = 1.7976931348623157e308


class LookupTable(Model):
    """Maps each index of the input to a learnable row of a (n_index, n_output) weight (an embedding).

    Indices are **0-based** whole numbers in ``[0, n_index)`` (BigDL's were 1-based), given as an array of
    any shape; the output adds a last dimension of ``n_output``. Any other value raises ``IndexError``
    naming it. The weight starts standard normal.

    Args:
        n_index (int): number of rows (the vocabulary size).
        n_output (int): size of each row.
        padding_value (int): index whose row receives no gradient; -1 for none. Default: -1.
        max_norm (float, optional): when given, looked-up rows whose ``norm_type``-norm exceeds it are
            rescaled to that norm during forward. Default: None.
        norm_type (float): the p of the max_norm norm. Default: 2.
        should_scale_grad_by_freq (bool): divide each row's gradient by its index count in the batch.
            Default: False.

    Shape:
        - Input: (*) whole numbers
        - Output: (*, n_output)

    Examples:
        >>> import numpy as np
        >>> emb = LookupTable(10, 3)
        >>> emb.forward(np.array([[0, 9], [4, 4]])).shape
        (2, 2, 3)
    """

    _java_class = "ember.nn.LookupTable"

    def __init__(self, n_index, n_output, padding_value=-1, max_norm=None, norm_type=2.0,
                 should_scale_grad_by_freq=False):
        max_norm = DOUBLE_MAX if max_norm is None else float(max_norm)
        super().__init__(None, int(n_index), int(n_output), int(padding_value), max_norm, float(norm_type),
                         bool(should_scale_grad_by_freq))
