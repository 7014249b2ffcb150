"""Ember's Python exceptions.

Every error raised on the JVM side reaches Python as one of these (or a built-in it subclasses), with the
Java message only: the full Java stack trace is kept on the exception as ``java_stacktrace`` for debugging
but never used as the message.
"""


class EmberError(Exception):
    """Base class of Ember's errors (a JVM-side failure with no more specific Python type)."""

    java_class = None
    java_stacktrace = None


class EmberValueError(EmberError, ValueError):
    """Bad argument or input: wrong shape, label out of range, invalid hyper-parameter, NaN in the data."""


class EmberTypeError(EmberError, TypeError):
    """An argument or a data element of the wrong type (e.g. an RDD element that is not a Sample)."""


class EmberArithmeticError(EmberError, ArithmeticError):
    """Training produced a non-finite value (a NaN or diverging loss)."""


class EmberIndexError(EmberError, IndexError):
    """An index out of range on the JVM side."""


class EmberFileNotFoundError(EmberError, FileNotFoundError):
    """A file (model, checkpoint, data) does not exist."""


class EmberFileExistsError(EmberError, FileExistsError):
    """A file exists and over-writing was not asked for."""


class EmberOSError(EmberError, OSError):
    """A file-system failure with no more specific class (the message names the path)."""


class EmberPermissionError(EmberError, PermissionError):
    """No permission to read or write a path."""


class EmberIsADirectoryError(EmberError, IsADirectoryError):
    """A directory where a file was expected."""


class EmberNotADirectoryError(EmberError, NotADirectoryError):
    """A file where a directory was expected on the way to a path."""


class ModelFileError(EmberError, OSError):
    """A model file is corrupt, of an unknown version, or names a class Ember cannot build."""


class JarNotFoundError(EmberError):
    """The JVM has no Ember classes: the SparkContext was started without Ember's jar."""
