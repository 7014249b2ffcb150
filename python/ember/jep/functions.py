"""Ready-made numpy functions for :mod:`ember.jep` layers (importable by the JVM's embedded Python wherever Ember
is installed): swish and its gradient, a time reversal for ``Lambda``, a mean squared error loss, and the identity
(what ``ember.bench.JepBench`` times to measure the cost of a call into Python)."""
import numpy as np


def identity(x):
    """x itself."""
    return x


def identity_backward(x, grad_output):
    """The gradient of :func:`identity`: grad_output itself."""
    return grad_output


def swish(x):
    """x * sigmoid(x)."""
    return x / (1.0 + np.exp(-x))


def swish_backward(x, grad_output):
    """The gradient of :func:`swish`: s + x s (1 - s) with s = sigmoid(x)."""
    s = 1.0 / (1.0 + np.exp(-x))
    return grad_output * (s + x * s * (1.0 - s))


def reverse_time(x):
    """Reverses axis 1 (time of a [batch, time, ...] array): a pure shape function for ``Lambda``."""
    return x[:, ::-1]


def mse_loss(input, target):
    """Mean squared error over all elements."""
    return float(np.mean((input - target) ** 2))


def mse_gradient(input, target):
    """The gradient of :func:`mse_loss`."""
    return 2.0 * (input - target) / input.size
