"""Optim methods (BigDL's names and argument spellings): :class:`SGD`, :class:`Adam`, :class:`Adagrad`,
:class:`RMSprop`."""
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

    Examples:
        >>> SGD(learningrate=0.01, learningrate_decay=0.0002, momentum=0.9)
        SGD(...)
    """

    _java_class = "ember.optim.SGD"

    def __init__(self, learningrate=1e-3, learningrate_decay=0.0, weightdecay=0.0, momentum=0.0, dampening=0.0,
                 nesterov=False):
        super().__init__(None, float(learningrate), float(learningrate_decay), float(weightdecay), float(momentum),
                         float(dampening), bool(nesterov))


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
        super().__init__(None, float(learningrate), float(learningrate_decay), float(beta1), float(beta2),
                         float(epsilon))


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
        super().__init__(None, float(learningrate), float(learningrate_decay), float(weightdecay))


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
        super().__init__(None, float(learningrate), float(learningrate_decay), float(decayrate), float(epsilon))
