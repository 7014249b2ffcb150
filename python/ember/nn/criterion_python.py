"""A loss whose value and gradient are Python functions run inside the JVM through jep (Scala ``ember.jep``)."""
from ember._java import JavaValue
from ember.nn.python_code import function_ref, use_this_python
from ember.nn.module import Criterion


class PythonCriterion(Criterion):
    """A loss from Python functions ``loss(input, target) -> float`` and ``gradient(input, target) -> array``,
    run inside the JVM through jep.

    Examples:
        >>> import numpy as np
        >>> from ember.jep import functions
        >>> c = PythonCriterion(functions.mse_loss, functions.mse_gradient)
        >>> round(c.forward(np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)), 4)
        1.0
    """

    _java_class = "ember.jep.PythonCriterion"

    def __init__(self, loss, gradient):
        use_this_python()
        JavaValue.__init__(self, None, function_ref(loss, "loss"), function_ref(gradient, "gradient"))
