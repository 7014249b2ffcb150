"""TensorBoard summaries (BigDL's ``TrainSummary`` / ``ValidationSummary``)."""
import os

import numpy as np

from ember._args import as_str
from ember._java import JavaValue, call_method


class _Summary(JavaValue):
    def __init__(self, log_dir, app_name):
        if not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(f"log_dir must be a path (str or os.PathLike), got {type(log_dir).__name__} {log_dir!r}")
        super().__init__(None, os.fspath(log_dir), as_str(app_name, "app_name"))

    def read_scalar(self, tag):
        """All values of ``tag`` as an array of rows (step, value, wall time)."""
        rows = self._call("readScalar", str(tag))
        out = [(call_method(r, "_1"), call_method(r, "_2"), call_method(r, "_3")) for r in rows]
        return np.array(out, dtype=np.float64).reshape(-1, 3)


class TrainSummary(_Summary):
    """Loss, Throughput and LearningRate per iteration in ``log_dir/app_name/train`` (TensorBoard format)."""

    _java_class = "ember.summary.TrainSummary"


class ValidationSummary(_Summary):
    """Validation scores in ``log_dir/app_name/validation`` (TensorBoard format)."""

    _java_class = "ember.summary.ValidationSummary"
