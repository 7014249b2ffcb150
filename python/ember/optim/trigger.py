"""Triggers: when to stop, validate or checkpoint (BigDL's names)."""
from ember._args import as_bool, as_float, as_int, as_str
from ember._java import JavaValue


class Trigger(JavaValue):
    """Base of the triggers, evaluated on the JVM after every iteration."""

    _java_class = "ember.optim.Trigger"


class MaxEpoch(Trigger):
    """Fires once ``max_epoch`` epochs are done.

    Examples:
        >>> MaxEpoch(5)
        MaxEpoch(5)
    """

    _java_class = "ember.optim.MaxEpoch"

    def __init__(self, max_epoch):
        super().__init__(None, as_int(max_epoch, "max_epoch"))


class MaxIteration(Trigger):
    """Fires once ``max_iteration`` iterations are done.

    Examples:
        >>> MaxIteration(100)
        MaxIteration(100)
    """

    _java_class = "ember.optim.MaxIteration"

    def __init__(self, max_iteration):
        super().__init__(None, as_int(max_iteration, "max_iteration"))


class EveryEpoch(Trigger):
    """Fires after the last iteration of every epoch.

    Examples:
        >>> EveryEpoch()
        EveryEpoch()
    """

    _java_class = "ember.optim.EveryEpoch"

    def __init__(self):
        super().__init__(None)


class SeveralIteration(Trigger):
    """Fires every ``interval`` iterations.

    Examples:
        >>> SeveralIteration(10)
        SeveralIteration(10)
    """

    _java_class = "ember.optim.SeveralIteration"

    def __init__(self, interval):
        super().__init__(None, as_int(interval, "interval"))


class MaxScore(Trigger):
    """Fires when the last validation score exceeds ``max``."""

    _java_class = "ember.optim.MaxScore"

    def __init__(self, max):
        super().__init__(None, as_float(max, "max"))


class MinLoss(Trigger):
    """Fires when the last training loss falls below ``min``."""

    _java_class = "ember.optim.MinLoss"

    def __init__(self, min):
        super().__init__(None, as_float(min, "min"))


class TriggerAnd(Trigger):
    """Fires when both triggers fire."""

    _java_class = "ember.optim.TriggerAnd"

    def __init__(self, first, second):
        super().__init__(None, first.value, second.value)


class TriggerOr(Trigger):
    """Fires when either trigger fires."""

    _java_class = "ember.optim.TriggerOr"

    def __init__(self, first, second):
        super().__init__(None, first.value, second.value)


class EarlyStopping(Trigger):
    """An end trigger that stops training once the monitored validation score has not improved for
    ``patience`` validations in a row (Keras' ``EarlyStopping``); with ``restore_best_weights`` the model
    gets back, at the end of the run, the weights of its best validation ("keep the best model").

    Needs validation (``set_validation``); use it alone or with a limit, e.g.
    ``TriggerOr(MaxEpoch(50), EarlyStopping(patience=3))``. Its state (best score, validations without
    improvement) persists over ``optimize()`` calls on one optimizer.

    Args:
        patience (int): validations without improvement before stopping (0: stop at the first). Default: 0.
        min_delta (float): the smallest change of the score that counts as an improvement. Default: 0.
        mode (str): ``"max"`` (larger is better), ``"min"`` or ``"auto"`` (``"min"`` for ``Loss``,
            ``"max"`` for accuracies). Default: ``"auto"``.
        monitor (str, optional): the validation method's name, e.g. ``"Top1Accuracy"`` or ``"Loss"``.
            Default: the first validation method.
        restore_best_weights (bool): restore the best validation's weights when the run ends. Default: True.

    Examples:
        >>> EarlyStopping(patience=3, monitor="Loss")
        EarlyStopping(patience=3, minDelta=0.0, mode=auto, monitor=Loss, restoreBestWeights=true)
    """

    _java_class = "ember.optim.EarlyStopping"

    def __init__(self, patience=0, min_delta=0.0, mode="auto", monitor=None, restore_best_weights=True):
        mode = as_str(mode, "mode")
        if mode not in ("auto", "max", "min"):
            raise ValueError(f"mode must be 'auto', 'max' or 'min', got {mode!r}")
        min_delta = as_float(min_delta, "min_delta")
        if not min_delta >= 0 or min_delta == float("inf"):
            raise ValueError(f"min_delta must be a finite number >= 0, got {min_delta!r}")
        patience = as_int(patience, "patience")
        if patience < 0:
            raise ValueError(f"patience must be >= 0, got {patience}")
        super().__init__(None, patience, min_delta, mode, None if monitor is None else as_str(monitor, "monitor"),
                         as_bool(restore_best_weights, "restore_best_weights"))

    @property
    def best_score(self):
        """The best monitored validation score so far (NaN before the first validation)."""
        return float(self._call("bestScore"))

    @property
    def best_iteration(self):
        """The iteration after which the best score was measured (-1 before the first validation)."""
        return int(self._call("bestIteration"))
