"""Triggers: when to stop, validate or checkpoint (BigDL's names)."""
from ember._args import as_float, as_int
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
