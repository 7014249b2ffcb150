"""TensorBoard summaries (BigDL's ``TrainSummary`` / ``ValidationSummary``)."""
import numpy as np

from ember._java import JavaValue, call_method


class _Summary(JavaValue):
    def __init__(self, log_dir, app_name):
        super().__init__(None, str(log_dir), str(app_name))

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
