"""Embedding layers: :class:`LookupTable`."""
from ember._args import as_bool, as_float, as_int
from ember.nn.module import Model

DOUBLE_MAX = 1.7976931348623157e308


class LookupTable(Model):
    """Maps each index of the input to a learnable row of a (n_index, n_output) weight (an embedding).

    Indices are **0-based** whole numbers in ``[0, n_index)`` (BigDL's were 1-based), given as an array of
    any shape; the output adds a last dimension of ``n_output``. Any other value raises ``IndexError``
    naming it. The weight starts N(0, 0.1^2), not Torch's and BigDL's N(0, 1): with unit-variance rows a
    dot product of two embeddings starts with a spread of sqrt(n_output), which saturates what follows
    (NeuralCF learnt no more than popularity, TextCNN reached 0.59 accuracy instead of 0.90).
    ``set_init_method(RandomNormal(0, 1))`` gives Torch's.

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
        max_norm = DOUBLE_MAX if max_norm is None else as_float(max_norm, "max_norm")
        super().__init__(None, as_int(n_index, "n_index"), as_int(n_output, "n_output"),
                         as_int(padding_value, "padding_value"), max_norm, as_float(norm_type, "norm_type"),
                         as_bool(should_scale_grad_by_freq, "should_scale_grad_by_freq"))
