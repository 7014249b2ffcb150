"""The functional API: :func:`Input`, ``layer(node)`` / ``layer.inputs(node, ...)`` and
:class:`Graph` (also built by BigDL's ``Model(inputs, outputs)``)."""
from ember._java import JavaValue, java_array, new_java_obj
from ember.nn.container import Container
from ember.nn.module import Model


class Node(JavaValue):
    """A node of a graph: a layer applied to the outputs of earlier nodes. Made by :func:`Input` or by
    calling a layer on nodes; pass nodes to :class:`Graph` / ``Model(inputs, outputs)``."""

    _java_class = "ember.nn.Node"

    @property
    def element(self):
        """The layer of this node."""
        return Model.of(self._call("module"))

    def name(self):
        return self._call("name")


def Input(name=None):
    """A new graph input node (BigDL's ``Input()``).

    Examples:
        >>> import numpy as np
        >>> from ember.nn.layer import Linear, Model
        >>> x = Input()
        >>> Model(x, Linear(3, 2)(x)).forward(np.zeros((4, 3))).shape
        (4, 2)
    """
    layer = JavaValue.of(new_java_obj("ember.nn.Input"), Model)
    if name is not None:
        layer.set_name(name)
    return layer.inputs()


def _nodes(nodes, what):
    if isinstance(nodes, Node):
        nodes = [nodes]
    nodes = list(nodes)
    for i, n in enumerate(nodes):
        if not isinstance(n, Node):
            raise TypeError(f"{what}[{i}]: expected a graph node (from Input() or layer(node)), got {type(n).__name__}")
    return java_array("ember.nn.Node", [n.value for n in nodes])


class Graph(Container):
    """A model wired by the functional API: multi-input, multi-output and branching networks.

    A layer with one input node gets that node's output, one with several gets the list of their outputs.
    The model's input is an array for one input node, else a list with one array per input node; likewise
    its output. ``Model(inputs, outputs)`` builds the same object (BigDL's name).

    Args:
        inputs: a node or list of nodes from :func:`Input`.
        outputs: a node or list of nodes.

    Examples:
        >>> import numpy as np
        >>> from ember.nn.layer import CAddTable, Linear, Model, Tanh
        >>> x = Input()
        >>> y = CAddTable()([Tanh()(Linear(4, 4)(x)), x])      # a residual shortcut
        >>> Model(x, y).forward(np.zeros((2, 4))).shape
        (2, 4)
    """

    _java_class = "ember.nn.Graph"

    def __init__(self, inputs, outputs):
        JavaValue.__init__(self, None, _nodes(inputs, "inputs"), _nodes(outputs, "outputs"))
