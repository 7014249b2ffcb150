"""Layers whose computation is Python code run inside the JVM through jep (Scala package ``ember.jep``):
:class:`PythonModule` (forward and backward functions) and :class:`Lambda` (a forward-only shape function), and
how their functions are named for the JVM's interpreter. Re-exported by ``ember.nn.layer`` and ``ember.jep``.

Functions are referred to by "module:qualified.name", so they must be module-level functions of an importable module
(not lambdas, not nested functions, not ``__main__``): the JVM imports the module itself, on the driver and on every
executor. The model file stores those names; ``Model.loadModel(path, trust_python_code=True)`` is needed to load it.
"""
import sys

from ember._java import JavaValue, call_static, jvm
from ember.nn.module import Model

_configured = set()


def function_ref(fn, name="function"):
    """The "module:qualified.name" of a Python function (or such a string, checked).

    Raises:
        ValueError: a lambda, a nested function, a function of ``__main__``, or a malformed name.
        TypeError: neither a function nor a string.
    """
    if isinstance(fn, str):
        ref = fn
    elif callable(fn):
        module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
        if "<lambda>" in qualname or "<locals>" in qualname:
            raise ValueError(f"{name}: {qualname} is a lambda or a nested function; the JVM imports functions by name, "
                             "so define it at module level")
        if module in (None, "__main__"):
            raise ValueError(f"{name}: {qualname} is defined in __main__, which the JVM's interpreter cannot import; "
                             "move it into a module")
        ref = f"{module}:{qualname}"
    else:
        raise TypeError(f"{name}: expected a function or a 'module:name' string, got {type(fn).__name__}")
    module, _, qualname = ref.partition(":")
    if not module or not qualname:
        raise ValueError(f"{name}: expected 'module:qualified.name', got {ref!r}")
    return ref


def use_this_python():
    """Points this JVM's embedded Python at the running interpreter (its sys.path and its jep), once per JVM."""
    key = id(jvm())
    if key not in _configured:
        call_static("ember.jep.PythonRuntime", "configure", sys.executable)
        _configured.add(key)


class PythonModule(Model):
    """A layer whose ``forward(x) -> y`` and ``backward(x, grad_output) -> grad_input`` are Python functions over
    float32 numpy arrays, run inside the JVM through jep.

    Args:
        forward: a module-level function (or "module:name").
        backward: its gradient function, or None for a forward-only layer.

    Examples:
        >>> import numpy as np
        >>> from ember.jep import functions
        >>> m = PythonModule(functions.swish, functions.swish_backward)
        >>> np.round(m.forward(np.array([[0.0, 1.0]], np.float32)), 4)
        array([[0.    , 0.7311]], dtype=float32)
    """

    _java_class = "ember.jep.PythonModule"

    def __init__(self, forward, backward=None):
        use_this_python()
        fwd = function_ref(forward, "forward")
        bwd = None if backward is None else function_ref(backward, "backward")
        JavaValue.__init__(self, None, fwd, bwd)


class Lambda(Model):
    """A forward-only Python function that only moves elements (reshape, transpose, slicing, flipping, repeating),
    run inside the JVM; its gradient is derived by applying it to element indices (see the Scala class).

    Examples:
        >>> import numpy as np
        >>> from ember.jep import functions
        >>> Lambda(functions.reverse_time).forward(np.arange(6, dtype=np.float32).reshape(1, 3, 2)).tolist()
        [[[4.0, 5.0], [2.0, 3.0], [0.0, 1.0]]]
    """

    _java_class = "ember.jep.Lambda"

    def __init__(self, function):
        use_this_python()
        JavaValue.__init__(self, None, function_ref(function))
