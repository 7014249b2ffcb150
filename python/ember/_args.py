"""Checks of the scalar arguments Python wrappers pass to JVM constructors.

py4j picks a JVM constructor by the Python types of the arguments, so an argument of the wrong type gives
py4j's "Constructor ... does not exist" and a silent ``int(2.5)`` gives a layer the user did not ask for.
These helpers turn every argument into the exact Python type the JVM signature expects, or raise a
``TypeError`` / ``ValueError`` that names the argument and shows the value.
"""
import numbers

import numpy as np

JAVA_INT_MIN, JAVA_INT_MAX = -(2**31), 2**31 - 1


def as_int(value, name):
    """``value`` as a Python int within Java's int range.

    Integral floats (``4.0``, e.g. ``n / 2`` of an even ``n``) are accepted; fractional ones are not.

    Raises:
        TypeError: not a number (a string, None, a bool, a complex).
        ValueError: a fractional or non-finite number, or one outside Java's int range.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if not isinstance(value, numbers.Integral):
        f = float(value)
        if not np.isfinite(f) or not f.is_integer():
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        value = int(f)
    value = int(value)
    if not JAVA_INT_MIN <= value <= JAVA_INT_MAX:
        raise ValueError(f"{name} must fit a 32-bit int [{JAVA_INT_MIN}, {JAVA_INT_MAX}], got {value}")
    return value


def as_float(value, name):
    """``value`` as a Python float (the JVM's double).

    Raises:
        TypeError: not a real number (a string, None, a bool, a complex).
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    return float(value)


def as_bool(value, name):
    """``value`` as a Python bool; accepts bools and the ints 0 and 1 (``bool("False")`` is True, so no strings).

    Raises:
        TypeError: anything else.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral) and int(value) in (0, 1):
        return bool(value)
    raise TypeError(f"{name} must be a bool, got {type(value).__name__} {value!r}")


def as_str(value, name):
    """``value`` if it is a string.

    Raises:
        TypeError: anything else.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__} {value!r}")
    return value


def as_int_list(values, name):
    """A list of ints from a sequence (sizes, dimensions), each checked by :func:`as_int`.

    Raises:
        TypeError: ``values`` is not a sequence, or an element is not an int.
        ValueError: an element is fractional or outside Java's int range.
    """
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a sequence of ints, got {type(values).__name__} {values!r}")
    return [as_int(v, f"{name}[{i}]") for i, v in enumerate(values)]


def as_batch_size(batch_size, name="batch_size"):
    """``batch_size`` as a positive Python int.

    Raises:
        ValueError: not a positive int (a bool, a float, zero or less).
    """
    if isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"{name} must be a positive int, got {batch_size!r}")
    return as_int(batch_size, name)
