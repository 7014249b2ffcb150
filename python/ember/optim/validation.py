"""Validation methods (:class:`Top1Accuracy`, :class:`Top5Accuracy`, :class:`Loss`) and their results."""
from ember._java import JavaValue, call_method, call_static, java_array
from ember.data.dataset import LocalDataSet


class ValidationMethod(JavaValue):
    """Base of the validation methods (scored on the JVM, batch by batch)."""

    _java_class = "ember.optim.ValidationMethod"


class Top1Accuracy(ValidationMethod):
    """Fraction of samples whose highest output is the (0-based) label.

    Examples:
        >>> Top1Accuracy()
        Top1Accuracy
    """

    _java_class = "ember.optim.Top1Accuracy"

    def __init__(self):
        super().__init__(None)


class Top5Accuracy(ValidationMethod):
    """Fraction of samples whose label is among the 5 highest outputs."""

    _java_class = "ember.optim.Top5Accuracy"

    def __init__(self):
        super().__init__(None)


class Loss(ValidationMethod):
    """Mean loss of ``criterion`` (default :class:`ClassNLLCriterion`) over the samples."""

    _java_class = "ember.optim.Loss"

    def __init__(self, criterion=None):
        if criterion is None:
            from ember.nn.criterion import ClassNLLCriterion

            criterion = ClassNLLCriterion()
        super().__init__(None, criterion.value)


class ValidationResult:
    """A validation score: ``result`` (accuracy or mean loss), ``total_num`` samples, ``method`` name."""

    def __init__(self, result, total_num, method):
        self.result, self.total_num, self.method = result, total_num, method

    def __repr__(self):
        return f"{self.method}: {self.result:.4f} ({self.total_num} samples)"


def methods_array(methods):
    """A JVM ValidationMethod[] from one method or a list of them."""
    methods = [methods] if isinstance(methods, ValidationMethod) else list(methods or [Top1Accuracy()])
    for m in methods:
        if not isinstance(m, ValidationMethod):
            raise TypeError(f"expected validation methods such as Top1Accuracy(), got {type(m).__name__}")
    return methods, java_array("ember.optim.ValidationMethod", [m.value for m in methods])


def evaluate_arrays(model, x, y, batch_size=128, methods=None):
    """Scores ``model`` on arrays ``x``, ``y`` (0-based labels); returns a list of ValidationResult."""
    from ember.nn.module import _as_batch_size

    methods, jmethods = methods_array(methods)
    results = call_static("ember.optim.Evaluator", "evaluate", model.value, LocalDataSet(x, y).value, jmethods,
                          _as_batch_size(batch_size))
    return [ValidationResult(float(call_method(r, "score")), int(call_method(r, "count")), m._call("name"))
            for m, r in zip(methods, results)]
