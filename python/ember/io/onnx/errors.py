"""Errors of the ONNX converters."""
from ember.errors import EmberValueError


class OnnxImportError(EmberValueError):
    """The ONNX model cannot become an Ember model (opset too old, an output that is a constant, ...)."""


class UnsupportedOperatorError(OnnxImportError):
    """Nodes of an ONNX graph that Ember cannot convert, all of them at once.

    ``problems`` is a list of ``(op_type, node_name, node_index, reason)``; the message names each one.
    """

    def __init__(self, problems):
        self.problems = list(problems)
        lines = [f"  {op} (node '{name or '?'}', index {i}){': ' + why if why else ': no Ember equivalent'}"
                 for op, name, i, why in self.problems]
        super().__init__(f"{len(self.problems)} ONNX node(s) cannot be converted to Ember layers:\n" + "\n".join(lines))


class OnnxExportError(EmberValueError):
    """An Ember model holds layers (or settings) that have no ONNX export; the message names each one."""
