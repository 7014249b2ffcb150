"""Recurrent layers: :class:`Recurrent` and :class:`BiRecurrent` running the cells :class:`LSTM`,
:class:`GRU` and :class:`RnnCell` over (batch, time, features) sequences with full back-propagation
through time."""
from ember._args import as_float, as_int, as_str
from ember.nn.container import Container
from ember.nn.module import Model


def _no_dropout(layer, p):
    if as_float(p, "p"):
        raise ValueError(f"{layer}: dropout inside the cell (p={p}) is not supported; put a Dropout layer before "
                         "or after the Recurrent layer instead")


class Recurrent(Container):
    """Runs a cell over a sequence from zero initial states; outputs the hidden state of every step.

    Shape:
        - Input: (N, T, input_size)
        - Output: (N, T, hidden_size)

    Examples:
        >>> import numpy as np
        >>> Recurrent().add(LSTM(3, 5)).forward(np.zeros((2, 7, 3))).shape
        (2, 7, 5)
    """

    _java_class = "ember.nn.Recurrent"

    def __init__(self):
        super().__init__(None)


class BiRecurrent(Container):
    """Bidirectional recurrent layer: one copy of the cell reads forwards, a second (own weights) backwards.

    Args:
        merge: how the two directions' outputs combine: ``None`` or ``"add"`` (sum, BigDL's default) or a
            :class:`~ember.nn.layer.CAddTable`; ``"concat"`` or a :class:`~ember.nn.layer.JoinTable`
            (forward first, 2 * hidden_size features).

    Examples:
        >>> import numpy as np
        >>> BiRecurrent("concat").add(GRU(3, 5)).forward(np.zeros((2, 7, 3))).shape
        (2, 7, 10)
    """

    _java_class = "ember.nn.BiRecurrent"

    def __init__(self, merge=None):
        from ember.nn.table import CAddTable, JoinTable

        if merge is None or isinstance(merge, CAddTable):
            merge = "add"
        elif isinstance(merge, JoinTable):
            merge = "concat"
        elif merge not in ("add", "concat"):
            raise ValueError(f"BiRecurrent: merge must be None, 'add', 'concat', CAddTable() or JoinTable(...), got {merge!r}")
        super().__init__(None, merge)


class LSTM(Model):
    """Long short-term memory cell (gates i, f, g, o; one bias), for :class:`Recurrent`.

    Alone it is one step: ``forward([x, h, c])`` returns ``[h', c']``.

    Args:
        input_size (int): features per step.
        hidden_size (int): size of the hidden and cell states.
        p (float): BigDL's in-cell dropout; only 0 is supported.

    Examples:
        >>> LSTM(10, 20).n_parameters() == 4 * 20 * (10 + 20 + 1)
        True
    """

    _java_class = "ember.nn.LSTM"

    def __init__(self, input_size, hidden_size, p=0.0):
        _no_dropout("LSTM", p)
        super().__init__(None, as_int(input_size, "input_size"), as_int(hidden_size, "hidden_size"))


class GRU(Model):
    """Gated recurrent unit cell (PyTorch's equations, gates r, z, n; input and hidden biases).

    Alone it is one step: ``forward([x, h])`` returns ``[h']``.

    Args:
        input_size (int): features per step.
        hidden_size (int): size of the hidden state.
        p (float): BigDL's in-cell dropout; only 0 is supported.

    Examples:
        >>> GRU(10, 20).n_parameters() == 3 * 20 * (10 + 20 + 2)
        True
    """

    _java_class = "ember.nn.GRU"

    def __init__(self, input_size, hidden_size, p=0.0):
        _no_dropout("GRU", p)
        super().__init__(None, as_int(input_size, "input_size"), as_int(hidden_size, "hidden_size"))


class RnnCell(Model):
    """Plain recurrent cell ``h' = activation(x W_ih^T + h W_hh^T + b)``.

    Args:
        input_size (int): features per step.
        hidden_size (int): size of the hidden state.
        activation: ``"tanh"`` (default), ``"relu"``, ``"sigmoid"``, or the layer ``Tanh()``, ``ReLU()``,
            ``Sigmoid()``.

    Examples:
        >>> from ember.nn.layer import Tanh
        >>> RnnCell(4, 3, Tanh()).n_parameters()
        24
    """

    _java_class = "ember.nn.RnnCell"

    def __init__(self, input_size, hidden_size, activation="tanh"):
        if isinstance(activation, Model):
            activation = type(activation).__name__.lower()
        if as_str(activation, "activation") not in ("tanh", "relu", "sigmoid"):
            raise ValueError(f"RnnCell: activation must be tanh, relu or sigmoid, got {activation!r}")
        super().__init__(None, as_int(input_size, "input_size"), as_int(hidden_size, "hidden_size"), activation)
