"""Learning-rate schedules (BigDL's names) for ``SGD(..., leaningrate_schedule=...)``: :class:`Poly`,
:class:`Step`, :class:`MultiStep`, :class:`EpochStep`, :class:`Exponential`, :class:`NaturalExp`,
:class:`Plateau`, :class:`Warmup`, :class:`SequentialSchedule`, :class:`Default`.

Iterations count the updates done before the current one (from 0); epochs count from 1.
"""
from ember import _convert
from ember._args import as_bool, as_float, as_int, as_str
from ember._java import JavaValue, call_static


class LearningRateSchedule(JavaValue):
    """Base of the schedules."""

    _java_class = "ember.optim.LearningRateSchedule"

    def rate(self, base_rate, iteration, epoch=1, losses=None, scores=None):
        """The learning rate at ``iteration`` (0-based) of ``epoch`` (1-based) for a method of base rate
        ``base_rate``, after finished epochs with the given end-of-epoch training ``losses`` and validation
        ``scores`` (lists of equal length, NaN where unknown; used by :class:`Plateau`)."""
        losses = [] if losses is None else list(losses)
        scores = [float("nan")] * len(losses) if scores is None else list(scores)
        if not losses:
            losses = [float("nan")] * len(scores)
        return float(call_static("ember.optim.LearningRateSchedule", "rateAt", self.value,
                                 as_float(base_rate, "base_rate"), as_int(iteration, "iteration"), as_int(epoch, "epoch"),
                                 _convert.float_array(losses),
                                 _convert.float_array(scores)))


class Default(LearningRateSchedule):
    """``base / (1 + iteration * decay)`` (BigDL's and Torch's default).

    Examples:
        >>> Default(0.5).rate(1.0, iteration=2)
        0.5
    """

    _java_class = "ember.optim.DefaultSchedule"

    def __init__(self, learningrate_decay=0.0):
        super().__init__(None, as_float(learningrate_decay, "learningrate_decay"))


class Poly(LearningRateSchedule):
    """``base * (1 - iteration / max_iteration) ** power``, 0 after ``max_iteration``.

    Examples:
        >>> Poly(0.5, 100).rate(0.1, iteration=75)
        0.05
    """

    _java_class = "ember.optim.Poly"

    def __init__(self, power, max_iteration):
        super().__init__(None, as_float(power, "power"), as_int(max_iteration, "max_iteration"))


class Step(LearningRateSchedule):
    """``base * gamma ** (iteration // step_size)``.

    Examples:
        >>> Step(10, 0.5).rate(1.0, iteration=25)
        0.25
    """

    _java_class = "ember.optim.Step"

    def __init__(self, step_size, gamma):
        super().__init__(None, as_int(step_size, "step_size"), as_float(gamma, "gamma"))


class MultiStep(LearningRateSchedule):
    """``base * gamma ** k``, k the number of (ascending) ``step_sizes`` reached by the iteration.

    Examples:
        >>> round(MultiStep([10, 30], 0.1).rate(1.0, iteration=30), 6)
        0.01
    """

    _java_class = "ember.optim.MultiStep"

    def __init__(self, step_sizes, gamma):
        super().__init__(None, _convert.int_array(step_sizes, "step_sizes"), as_float(gamma, "gamma"))


class EpochStep(LearningRateSchedule):
    """``base * gamma ** ((epoch - 1) // step_size)``: decays every ``step_size`` epochs.

    Examples:
        >>> EpochStep(2, 0.5).rate(1.0, iteration=0, epoch=3)
        0.5
    """

    _java_class = "ember.optim.EpochStep"

    def __init__(self, step_size, gamma):
        super().__init__(None, as_int(step_size, "step_size"), as_float(gamma, "gamma"))


class Exponential(LearningRateSchedule):
    """``base * decay_rate ** (iteration / decay_step)`` (exponent floored with ``stair_case``).

    Examples:
        >>> Exponential(10, 0.5, stair_case=True).rate(1.0, iteration=15)
        0.5
    """

    _java_class = "ember.optim.Exponential"

    def __init__(self, decay_step, decay_rate, stair_case=False):
        super().__init__(None, as_int(decay_step, "decay_step"), as_float(decay_rate, "decay_rate"),
                         as_bool(stair_case, "stair_case"))


class NaturalExp(LearningRateSchedule):
    """``base * exp(-gamma * (iteration // decay_step))``.

    Examples:
        >>> round(NaturalExp(10, 1.0).rate(1.0, iteration=10), 6)
        0.367879
    """

    _java_class = "ember.optim.NaturalExp"

    def __init__(self, decay_step, gamma):
        super().__init__(None, as_int(decay_step, "decay_step"), as_float(gamma, "gamma"))


class Warmup(LearningRateSchedule):
    """``base + delta * iteration`` (a linear warm-up, usually inside a :class:`SequentialSchedule`).

    Examples:
        >>> Warmup(0.1).rate(1.0, iteration=5)
        1.5
    """

    _java_class = "ember.optim.Warmup"

    def __init__(self, delta):
        super().__init__(None, as_float(delta, "delta"))


class Plateau(LearningRateSchedule):
    """Multiplies the rate by ``factor`` when the monitored value has not improved for ``patience`` epochs
    (Keras' ``ReduceLROnPlateau``).

    Args:
        monitor (str): "score" (the first validation method's score) or "loss" (training loss). Default: "score".
        factor (float): in (0, 1). Default: 0.1.
        patience (int): epochs without improvement before reducing. Default: 10.
        mode (str): "min" (lower is better) or "max". Default: "min".
        epsilon (float): the least change that counts as improvement. Default: 1e-4.
        cooldown (int): epochs to wait after a reduction. Default: 0.
        min_lr (float): lower bound of the rate. Default: 0.

    Examples:
        >>> Plateau("score", factor=0.5, patience=1, mode="max").rate(1.0, 0, epoch=4, scores=[0.5, 0.6, 0.6])
        0.5
    """

    _java_class = "ember.optim.Plateau"

    def __init__(self, monitor="score", factor=0.1, patience=10, mode="min", epsilon=1e-4, cooldown=0, min_lr=0.0):
        super().__init__(None, as_str(monitor, "monitor"), as_float(factor, "factor"), as_int(patience, "patience"),
                         as_str(mode, "mode"), as_float(epsilon, "epsilon"), as_int(cooldown, "cooldown"),
                         as_float(min_lr, "min_lr"))


class SequentialSchedule(LearningRateSchedule):
    """Schedules run one after the other; each phase starts from the previous phase's last rate.

    Args:
        iteration_per_epoch (int): iterations per epoch (to count epochs within a phase).

    Examples:
        >>> s = SequentialSchedule(10).add(Warmup(0.1), 5).add(Step(100, 0.5), 100)
        >>> [round(s.rate(1.0, i), 2) for i in (0, 4, 5, 105)]
        [1.0, 1.4, 1.4, 0.7]
    """

    _java_class = "ember.optim.SequentialSchedule"

    def __init__(self, iteration_per_epoch):
        super().__init__(None, as_int(iteration_per_epoch, "iteration_per_epoch"))

    def add(self, scheduler, max_iteration):
        """Appends ``scheduler`` for ``max_iteration`` iterations; returns ``self``."""
        if not isinstance(scheduler, LearningRateSchedule):
            raise TypeError(f"scheduler: expected a LearningRateSchedule, got {type(scheduler).__name__}")
        self._call("add", scheduler.value, as_int(max_iteration, "max_iteration"))
        return self
