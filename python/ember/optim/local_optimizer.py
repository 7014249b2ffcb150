"""Training on in-memory numpy arrays in the driver JVM: :class:`LocalOptimizer` (``ember.optim.LocalOptimizer``)."""
from ember._args import as_batch_size
from ember._java import JavaValue
from ember.data.dataset import as_local_dataset
from ember.nn.module import Criterion, Model
from ember.optim.base_optimizer import BaseOptimizer, _check


class LocalOptimizer(BaseOptimizer):
    """Trains on in-memory numpy data in the driver JVM, one model replica per core.

    Args:
        X (ndarray): training features (N, *). y (ndarray): 0-based labels (N,) or targets (N, *).
        model (Model), criterion (Criterion), end_trigger (Trigger), batch_size (int), optim_method.
    """

    _java_class = "ember.optim.LocalOptimizer"

    def __init__(self, X, y, model, criterion, end_trigger=None, batch_size=32, optim_method=None, cores=None):
        _check(model, Model, "model")
        _check(criterion, Criterion, "criterion")
        batch_size = as_batch_size(batch_size)
        data = as_local_dataset((X, y))
        JavaValue.__init__(self, None, model.value, data.value, criterion.value, batch_size)
        if cores is not None:
            self._call("setModelReplicas", int(cores))
        self._setup(model, criterion, optim_method, end_trigger, batch_size)
