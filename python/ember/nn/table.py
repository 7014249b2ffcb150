"""Table layers and table containers: layers whose input or output is a table (a Python list of arrays).

Dimensions and indices are 0-based (BigDL's are 1-based); a negative one counts from the end.
"""
from ember._args import as_bool, as_int
from ember.nn.container import Container
from ember.nn.module import Model


def _n_input_dims(n):
    n = as_int(n, "n_input_dims")
    return n if n > 0 else 0


class JoinTable(Model):
    """Concatenates a list of arrays along ``dimension``.

    Args:
        dimension (int): 0-based dimension to join along (negative counts from the end).
        n_input_dims (int): dimensions of one sample; inputs with more have a batch dimension, skipped when
            counting ``dimension``. 0 (default): count over the whole input.

    Shape:
        - Input: list of arrays equal in every dimension but ``dimension``
        - Output: one array, sizes along ``dimension`` summed

    Examples:
        >>> import numpy as np
        >>> JoinTable(1).forward([np.ones((2, 3)), np.zeros((2, 1))]).shape
        (2, 4)
    """

    _java_class = "ember.nn.JoinTable"

    def __init__(self, dimension, n_input_dims=0):
        super().__init__(None, as_int(dimension, "dimension"), _n_input_dims(n_input_dims))


class SplitTable(Model):
    """Splits an array along ``dimension`` into a list of its slices (that dimension removed).

    Args:
        dimension (int): 0-based dimension to split.
        n_input_dims (int): as in :class:`JoinTable`.

    Examples:
        >>> import numpy as np
        >>> [p.shape for p in SplitTable(1).forward(np.zeros((2, 3, 4)))]
        [(2, 4), (2, 4), (2, 4)]
    """

    _java_class = "ember.nn.SplitTable"

    def __init__(self, dimension, n_input_dims=0):
        super().__init__(None, as_int(dimension, "dimension"), _n_input_dims(n_input_dims))


class CAddTable(Model):
    """Elementwise sum of a list of arrays of one shape.

    Args:
        inplace (bool): write the result into the first input. Default: False.

    Examples:
        >>> import numpy as np
        >>> CAddTable().forward([np.ones(2), np.ones(2)]).tolist()
        [2.0, 2.0]
    """

    _java_class = "ember.nn.CAddTable"

    def __init__(self, inplace=False):
        super().__init__(None, as_bool(inplace, "inplace"))


class CMulTable(Model):
    """Elementwise product of a list of arrays of one shape.

    Examples:
        >>> import numpy as np
        >>> CMulTable().forward([np.full(2, 3.0), np.full(2, 2.0)]).tolist()
        [6.0, 6.0]
    """

    _java_class = "ember.nn.CMulTable"

    def __init__(self):
        super().__init__(None)


class SelectTable(Model):
    """The item at ``index`` (0-based, negative from the end) of the input list.

    Examples:
        >>> import numpy as np
        >>> SelectTable(-1).forward([np.zeros(1), np.ones(2)]).tolist()
        [1.0, 1.0]
    """

    _java_class = "ember.nn.SelectTable"

    def __init__(self, index):
        super().__init__(None, as_int(index, "index"))


class FlattenTable(Model):
    """Flattens a nested list of arrays into a flat list, depth first.

    Examples:
        >>> import numpy as np
        >>> len(FlattenTable().forward([np.zeros(1), [np.zeros(2), np.zeros(3)]]))
        3
    """

    _java_class = "ember.nn.FlattenTable"

    def __init__(self):
        super().__init__(None)


class ConcatTable(Container):
    """Applies each of its modules to the same input; returns the list of their outputs.

    Examples:
        >>> import numpy as np
        >>> from ember.nn.layer import Linear
        >>> m = ConcatTable().add(Linear(3, 2)).add(Linear(3, 4))
        >>> [o.shape for o in m.forward(np.zeros((5, 3)))]
        [(5, 2), (5, 4)]
    """

    _java_class = "ember.nn.ConcatTable"

    def __init__(self):
        super().__init__(None)


class Concat(Container):
    """Applies each of its modules to the same input and concatenates their outputs along ``dimension``.

    Args:
        dimension (int): 0-based over the whole output, batch included: channels of NCHW batches are 1
            (BigDL's ``Concat(2)``).

    Examples:
        >>> import numpy as np
        >>> from ember.nn.layer import Linear
        >>> Concat(1).add(Linear(3, 2)).add(Linear(3, 4)).forward(np.zeros((5, 3))).shape
        (5, 6)
    """

    _java_class = "ember.nn.Concat"

    def __init__(self, dimension):
        super().__init__(None, as_int(dimension, "dimension"))


class ParallelTable(Container):
    """Applies its i-th module to the i-th item of the input list; returns the list of outputs.

    Examples:
        >>> import numpy as np
        >>> from ember.nn.layer import Linear, Tanh
        >>> m = ParallelTable().add(Linear(3, 2)).add(Tanh())
        >>> [o.shape for o in m.forward([np.zeros((5, 3)), np.zeros(4)])]
        [(5, 2), (4,)]
    """

    _java_class = "ember.nn.ParallelTable"

    def __init__(self):
        super().__init__(None)


class MapTable(Container):
    """Applies one module (one set of weights) to every item of the input list.

    Args:
        module (Model): the module; or ``add`` it later.

    Examples:
        >>> import numpy as np
        >>> from ember.nn.layer import Linear
        >>> [o.shape for o in MapTable(Linear(3, 2)).forward([np.zeros((5, 3)), np.zeros((1, 3))])]
        [(5, 2), (1, 2)]
    """

    _java_class = "ember.nn.MapTable"

    def __init__(self, module=None):
        super().__init__(None)
        if module is not None:
            self.add(module)


class TimeDistributed(Container):
    """Applies a module to every time step of a (batch, time, ...) input, folding time into the batch.

    Args:
        model (Model): the module applied per step.

    Shape:
        - Input: (N, T, *)
        - Output: (N, T, *) with the module's per-sample output shape

    Examples:
        >>> import numpy as np
        >>> from ember.nn.layer import Linear
        >>> TimeDistributed(Linear(3, 2)).forward(np.zeros((4, 7, 3))).shape
        (4, 7, 2)
    """

    _java_class = "ember.nn.TimeDistributed"

    def __init__(self, model=None):
        super().__init__(None)
        if model is not None:
            self.add(model)
