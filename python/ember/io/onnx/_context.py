"""State shared by the ONNX importer's operator functions: the values of the graph being imported."""
import numpy as np
from onnx import helper, numpy_helper

from ember.io.onnx._ember import Builder

BATCH = -(2 ** 62)  # stands for the dynamic batch size inside a folded shape (see _import_shape.shape_of)
DOUBLE_MAX = float(np.finfo(np.float64).max)


class Unsupported(Exception):
    """A node that cannot become Ember layers; the message says why (empty: the operator is unknown)."""


class _Failed:
    """Marks the outputs of a node that failed, so that later nodes reading them are skipped quietly."""


FAILED = _Failed()


class Context:
    """Values of the graph being imported: constants, Ember node indices, known shapes."""

    def __init__(self, graph, shapes):
        self.builder = Builder()
        self.values = {}
        self.shapes = shapes
        # values some node or the graph output reads (an output nobody reads need not be computable)
        self.used = {i for n in graph.node for i in n.input} | {o.name for o in graph.output}
        self.batch_names = {s[0] for s in (shapes.get(vi.name) for vi in graph.input)
                            if s and isinstance(s[0], str)}
        for init in graph.initializer:
            self.values[init.name] = numpy_helper.to_array(init)

    def is_const(self, name):
        return isinstance(self.values.get(name), np.ndarray)

    def const(self, node, i, what):
        """Input ``i`` of ``node`` as a constant array; ``Unsupported`` when it is computed by the graph."""
        name = node.input[i] if i < len(node.input) else ""
        if name == "":
            return None
        if not self.is_const(name):
            raise Unsupported(f"{what} (input {i}, '{name}') must be a constant (an initializer)")
        return self.values[name]

    def node(self, name):
        v = self.values[name]
        if isinstance(v, np.ndarray):
            raise Unsupported(f"input '{name}' is a constant where Ember needs a computed value")
        return v

    def shape(self, name):
        """The value's shape as far as ONNX shape inference knows it (None: unknown; a size None: dynamic)."""
        s = self.shapes.get(name)
        return None if s is None else tuple(d if isinstance(d, int) else None for d in s)

    def is_batch_dim(self, name, i):
        """Whether dimension ``i`` of value ``name`` is the dynamic batch: the graph inputs' first symbolic
        size (shape inference carries its name through transposes), or an unnamed dynamic first dimension."""
        s = self.shapes.get(name)
        if s is None or isinstance(s[i], int):
            return False
        return s[i] in self.batch_names if s[i] is not None else i == 0

    def rank(self, name):
        s = self.shapes.get(name)
        return None if s is None else len(s)

    def add(self, layer, *inputs):
        return self.builder.add(layer, [self.node(i) for i in inputs])

    def chain(self, layers, input_name):
        return self.builder.chain(layers, self.node(input_name))


def attributes(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}
