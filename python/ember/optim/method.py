"""Optim methods (BigDL's names and argument spellings): :class:`SGD`, :class:`Adam`, :class:`Adagrad`,
:class:`RMSprop`, :class:`Adadelta`, :class:`Adamax`, :class:`Ftrl`, :class:`LBFGS`."""
from ember._args import as_bool, as_float, as_int
from ember._java import JavaValue


class OptimMethod(JavaValue):
    """Base of the optim methods; the state (momentum, Adam moments) lives on the JVM and persists across
    ``optimize()`` calls of one optimizer."""

    _java_class = "ember.optim.OptimMethod"


class SGD(OptimMethod):
    """Stochastic gradient descent with BigDL's learning-rate decay, weight decay and (Nesterov) momentum.

    ``lr = learningrate / (1 + iteration * learningrate_decay)``; the update follows ``torch.optim.SGD``.

    Args:
        learningrate (float): base learning rate. Default: 1e-3.
        learningrate_decay (float): decay of the learning rate per iteration. Default: 0.
        weightdecay (float): L2 penalty. Default: 0.
        momentum (float): momentum factor. Default: 0.
        dampening (float): dampening of the momentum (PyTorch's default 0; BigDL's ``float max`` means
            "equal to momentum"). Default: 0.
        nesterov (bool): Nesterov momentum. Default: False.
        leaningrate_schedule (LearningRateSchedule, optional): a schedule (``Poly``, ``Step``, ``Plateau``, ...)
            replacing the default decay (BigDL's spelling; ``learningrate_schedule`` is accepted too).

    Examples:
        >>> SGD(learningrate=0.01, learningrate_decay=0.0002, momentum=0.9)
        SGD(...)
        >>> from ember.optim.schedule import Step
        >>> SGD(learningrate=0.1, leaningrate_schedule=Step(100, 0.5))
        SGD(...learningRateSchedule=Step(stepSize=100, gamma=0.5))
    """

    _java_class = "ember.optim.SGD"

    def __init__(self, learningrate=1e-3, learningrate_decay=0.0, weightdecay=0.0, momentum=0.0, dampening=0.0,
                 nesterov=False, leaningrate_schedule=None, learningrate_schedule=None):
        from ember.optim.schedule import LearningRateSchedule

        schedule = leaningrate_schedule if leaningrate_schedule is not None else learningrate_schedule
        args = [as_float(learningrate, "learningrate"), as_float(learningrate_decay, "learningrate_decay"),
                as_float(weightdecay, "weightdecay"), as_float(momentum, "momentum"), as_float(dampening, "dampening"),
                as_bool(nesterov, "nesterov")]
        if schedule is not None:
            if not isinstance(schedule, LearningRateSchedule):
                raise TypeError(f"leaningrate_schedule: expected a schedule such as Poly(0.5, 1000), got "
                                f"{type(schedule).__name__}")
            args.append(schedule.value)
        super().__init__(None, *args)


class Adam(OptimMethod):
    """Adam (``torch.optim.Adam`` update) with BigDL's learning-rate decay.

    Args:
        learningrate (float): Default: 1e-3.
        learningrate_decay (float): Default: 0.
        beta1 (float), beta2 (float): moment decay rates. Default: 0.9, 0.999.
        epsilon (float): Default: 1e-8.

    Examples:
        >>> Adam(learningrate=0.001)
        Adam(...)
    """

    _java_class = "ember.optim.Adam"

    def __init__(self, learningrate=1e-3, learningrate_decay=0.0, beta1=0.9, beta2=0.999, epsilon=1e-8):
        super().__init__(None, as_float(learningrate, "learningrate"),
                         as_float(learningrate_decay, "learningrate_decay"), as_float(beta1, "beta1"),
                         as_float(beta2, "beta2"), as_float(epsilon, "epsilon"))


class Adagrad(OptimMethod):
    """Adagrad.

    Args:
        learningrate (float): Default: 1e-3.
        learningrate_decay (float): Default: 0.
        weightdecay (float): Default: 0.

    Examples:
        >>> Adagrad(learningrate=0.01)
        Adagrad(...)
    """

    _java_class = "ember.optim.Adagrad"

    def __init__(self, learningrate=1e-3, learningrate_decay=0.0, weightdecay=0.0):
        super().__init__(None, as_float(learningrate, "learningrate"),
                         as_float(learningrate_decay, "learningrate_decay"), as_float(weightdecay, "weightdecay"))


class RMSprop(OptimMethod):
    """RMSprop.

    Args:
        learningrate (float): Default: 1e-2.
        learningrate_decay (float): Default: 0.
        decayrate (float): decay of the squared-gradient average. Default: 0.99.
        epsilon (float): Default: 1e-8.

    Examples:
        >>> RMSprop(learningrate=0.01)
        RMSprop(...)
    """

    _java_class = "ember.optim.RMSprop"

    def __init__(self, learningrate=1e-2, learningrate_decay=0.0, decayrate=0.99, epsilon=1e-8):
        super().__init__(None, as_float(learningrate, "learningrate"),
                         as_float(learningrate_decay, "learningrate_decay"), as_float(decayrate, "decayrate"),
                         as_float(epsilon, "epsilon"))


class Adadelta(OptimMethod):
    """Adadelta (``torch.optim.Adadelta`` update).

    Args:
        decayrate (float): decay of the running averages (PyTorch's rho). Default: 0.9.
        epsilon (float): Default: 1e-10.
        learningrate (float): scale of the update. Default: 1.0.

    Examples:
        >>> Adadelta(decayrate=0.95)
        Adadelta(decayRate=0.95, epsilon=1.0E-10, learningRate=1.0)
    """

    _java_class = "ember.optim.Adadelta"

    def __init__(self, decayrate=0.9, epsilon=1e-10, learningrate=1.0):
        super().__init__(None, as_float(decayrate, "decayrate"), as_float(epsilon, "epsilon"),
                         as_float(learningrate, "learningrate"))


class Adamax(OptimMethod):
    """Adamax, Adam with the infinity norm (``torch.optim.Adamax`` update).

    Args:
        learningrate (float): Default: 0.002. beta1 (float), beta2 (float): Default: 0.9, 0.999.
        epsilon (float): Default: 1e-38.

    Examples:
        >>> Adamax(learningrate=0.002)
        Adamax(...)
    """

    _java_class = "ember.optim.Adamax"

    def __init__(self, learningrate=0.002, beta1=0.9, beta2=0.999, epsilon=1e-38):
        super().__init__(None, as_float(learningrate, "learningrate"), as_float(beta1, "beta1"),
                         as_float(beta2, "beta2"), as_float(epsilon, "epsilon"))


class Ftrl(OptimMethod):
    """FTRL-Proximal (TensorFlow's ``ApplyFtrlV2`` update), for sparse linear models.

    Args:
        learningrate (float): Default: 1e-3.
        learningrate_power (float): <= 0. Default: -0.5.
        initial_accumulator_value (float): Default: 0.1.
        l1_regularization_strength, l2_regularization_strength, l2_shrinkage_regularization_strength (float):
            Default: 0.

    Examples:
        >>> Ftrl(learningrate=0.1, l1_regularization_strength=0.01)
        Ftrl(...)
    """

    _java_class = "ember.optim.Ftrl"

    def __init__(self, learningrate=1e-3, learningrate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0):
        super().__init__(None, as_float(learningrate, "learningrate"),
                         as_float(learningrate_power, "learningrate_power"),
                         as_float(initial_accumulator_value, "initial_accumulator_value"),
                         as_float(l1_regularization_strength, "l1_regularization_strength"),
                         as_float(l2_regularization_strength, "l2_regularization_strength"),
                         as_float(l2_shrinkage_regularization_strength, "l2_shrinkage_regularization_strength"))


class LBFGS(OptimMethod):
    """Limited-memory BFGS without line search, one iteration per training step (Torch's ``optim.lbfgs``).

    Needs the whole parameter vector, so it trains with the local optimizer only (the distributed optimizer
    refuses it). Best with full-batch (or large-batch) gradients.

    Args:
        learningrate (float): step length. Default: 1.0.
        ncorrection (int): history size. Default: 100.
        tolfun (float): no update when the gradient's L1 norm is at most this. Default: 1e-5.

    Examples:
        >>> LBFGS(learningrate=0.5, ncorrection=10)
        LBFGS(learningRate=0.5, nCorrection=10, tolFun=1.0E-5)
    """

    _java_class = "ember.optim.LBFGS"

    def __init__(self, learningrate=1.0, ncorrection=100, tolfun=1e-5):
        super().__init__(None, as_float(learningrate, "learningrate"), as_int(ncorrection, "ncorrection"),
                         as_float(tolfun, "tolfun"))
