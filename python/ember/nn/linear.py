"""Linear layers: :class:`Linear`, :class:`Identity`."""
from ember.nn.module import Model


class Linear(Model):
    """Applies ``y = x W^T + b``.

    Args:
        input_size (int): size of each input sample.
        output_size (int): size of each output sample.
        with_bias (bool): learn an additive bias. Default: True.
        wRegularizer, bRegularizer (Regularizer, optional): penalties on the weight and the bias,
            e.g. ``L2Regularizer(1e-4)`` from ``ember.optim.optimizer``.

    Shape:
        - Input: (N, input_size) or (input_size,)
        - Output: (N, output_size) or (output_size,)

    Examples:
        >>> import numpy as np
        >>> m = Linear(20, 30)
        >>> m.forward(np.zeros((128, 20), np.float32)).shape
        (128, 30)
    """

    _java_class = "ember.nn.Linear"

    def __init__(self, input_size, output_size, with_bias=True, wRegularizer=None, bRegularizer=None):
        super().__init__(None, int(input_size), int(output_size), bool(with_bias))
        self._set_regularizers(wRegularizer, bRegularizer)


class Identity(Model):
    """Returns its input unchanged.

    Examples:
        >>> import numpy as np
        >>> Identity().forward(np.ones(3)).tolist()
        [1.0, 1.0, 1.0]
    """

    _java_class = "ember.nn.Identity"

    def __init__(self):
        super().__init__(None)
