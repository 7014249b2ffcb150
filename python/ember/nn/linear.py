"""Linear-family layers: :class:`Linear`, :class:`Identity`, :class:`Bilinear`, :class:`Cosine`,
:class:`Euclidean`, :class:`Highway`."""
from ember._args import as_bool, as_int
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
        super().__init__(None, as_int(input_size, "input_size"), as_int(output_size, "output_size"),
                         as_bool(with_bias, "with_bias"))
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


class Bilinear(Model):
    """A bilinear form of two inputs: ``y[n, k] = x1[n] @ W[k] @ x2[n] + b[k]``, W of shape
    (output_size, input_size1, input_size2).

    Args:
        input_size1 (int), input_size2 (int): sizes of the two inputs.
        output_size (int): number of outputs.
        bias_res (bool): learn a bias. Default: True.

    Shape:
        - Input: a list ``[x1, x2]`` of (N, input_size1) and (N, input_size2) arrays
        - Output: (N, output_size); the input gradient is a list of two arrays

    Examples:
        >>> import numpy as np
        >>> Bilinear(3, 4, 2).forward([np.zeros((5, 3)), np.zeros((5, 4))]).shape
        (5, 2)
    """

    _java_class = "ember.nn.Bilinear"

    def __init__(self, input_size1, input_size2, output_size, bias_res=True):
        super().__init__(None, as_int(input_size1, "input_size1"), as_int(input_size2, "input_size2"),
                         as_int(output_size, "output_size"), as_bool(bias_res, "bias_res"))


class Cosine(Model):
    """Cosine similarity with each of ``output_size`` learnable vectors (weight (output_size, input_size)).

    Args:
        input_size (int), output_size (int).

    Shape:
        - Input: (N, input_size) or (input_size,)
        - Output: (N, output_size) or (output_size,)

    Examples:
        >>> import numpy as np
        >>> Cosine(4, 3).forward(np.ones((2, 4))).shape
        (2, 3)
    """

    _java_class = "ember.nn.Cosine"

    def __init__(self, input_size, output_size):
        super().__init__(None, as_int(input_size, "input_size"), as_int(output_size, "output_size"))


class Euclidean(Model):
    """Euclidean distance to each of ``output_size`` learnable points, the columns of a weight of shape
    (input_size, output_size) (BigDL's layout).

    Args:
        input_size (int), output_size (int).

    Shape:
        - Input: (N, input_size) or (input_size,)
        - Output: (N, output_size) or (output_size,)

    Examples:
        >>> import numpy as np
        >>> m = Euclidean(2, 1).set_weights([np.array([[3.0], [4.0]])])
        >>> m.forward(np.zeros((1, 2))).tolist()
        [[5.0]]
    """

    _java_class = "ember.nn.Euclidean"

    def __init__(self, input_size, output_size):
        super().__init__(None, as_int(input_size, "input_size"), as_int(output_size, "output_size"))


class Highway(Model):
    """A highway layer: ``y = t * h + (1 - t) * x`` with gate ``t = sigmoid(x Wt^T + bt)`` and transform
    ``h = activation(x Wh^T + bh)``. Weights are listed gate first, then transform.

    Args:
        size (int): input and output size.
        with_bias (bool): learn biases. Default: True.
        activation (Model, optional): applied to the transform (e.g. ``Tanh()``); none by default.

    Shape:
        - Input: (N, size)
        - Output: (N, size)

    Examples:
        >>> import numpy as np
        >>> from ember.nn.activation import Tanh
        >>> Highway(4, activation=Tanh()).forward(np.zeros((2, 4))).shape
        (2, 4)
    """

    _java_class = "ember.nn.Highway"

    def __init__(self, size, with_bias=True, activation=None):
        if activation is not None and not isinstance(activation, Model):
            raise TypeError(f"Highway: activation must be an Ember layer or None, got {type(activation).__name__}")
        super().__init__(None, as_int(size, "size"), as_bool(with_bias, "with_bias"),
                         None if activation is None else activation.value)
