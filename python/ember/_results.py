"""Validation scores as Python sees them (:class:`ValidationResult`), shared by ``Model.evaluate`` (``ember.nn``)
and the optimizers' validation (``ember.optim``, which re-exports it under BigDL's path)."""


class ValidationResult:
    """A validation score: ``result`` (accuracy or mean loss), ``total_num`` samples, ``method`` name."""

    def __init__(self, result, total_num, method):
        self.result, self.total_num, self.method = result, total_num, method

    def __repr__(self):
        return f"{self.method}: {self.result:.4f} ({self.total_num} samples)"
