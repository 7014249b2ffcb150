"""JVM exceptions as Python exceptions: :func:`call_java` runs a py4j call and turns a ``Py4JJavaError`` (or
pyspark's captured copy of one) into the most specific Python exception for its cause chain, carrying the Java
message only (the Java trace stays in ``java_stacktrace``).

The walk down the cause chain skips wrappers (reflection, Spark's job failure) and stops at the first class
mapped here or at the nearest mapped superclass; an exception raised by Python code in a Spark task comes back
as its own Python class, rebuilt from the last line of the worker's traceback.
"""
import re

from py4j.protocol import Py4JError, Py4JJavaError, Py4JNetworkError

from ember import errors

# JVM exception class -> Python exception class. The first class found walking the cause chain wins, so
# an IllegalArgumentException wrapped in an InvocationTargetException still becomes a ValueError.
_EXCEPTIONS = {
    "java.lang.IllegalArgumentException": errors.EmberValueError,
    "java.lang.NumberFormatException": errors.EmberValueError,
    "java.lang.ArithmeticException": errors.EmberArithmeticError,
    "java.lang.IndexOutOfBoundsException": errors.EmberIndexError,
    "java.lang.ArrayIndexOutOfBoundsException": errors.EmberIndexError,
    "java.io.FileNotFoundException": errors.EmberFileNotFoundError,
    "java.nio.file.NoSuchFileException": errors.EmberFileNotFoundError,
    "java.nio.file.FileAlreadyExistsException": errors.EmberFileExistsError,
    "java.nio.file.AccessDeniedException": errors.EmberPermissionError,
    "java.nio.file.NotDirectoryException": errors.EmberNotADirectoryError,
    "ember.io.IsADirectoryException": errors.EmberIsADirectoryError,
    "java.nio.file.FileSystemException": errors.EmberOSError,
    "java.io.IOException": errors.EmberOSError,
    "ember.io.ModelFileException": errors.ModelFileError,
    "ember.optim.TrainingDivergedException": errors.EmberArithmeticError,
}
# Wrappers whose cause is the real error.
_WRAPPERS = {
    "java.lang.reflect.InvocationTargetException",
    "java.lang.ExceptionInInitializerError",
    "java.util.concurrent.ExecutionException",
    "org.apache.spark.SparkException",
}

# An exception raised by Python code inside a Spark task (a Python worker) arrives as a PythonException whose
# message is the worker's traceback: its last "SomeError: message" line is the error, mapped back by name.
_PYTHON_WORKER = "org.apache.spark.api.python.PythonException"
_PYTHON_ERRORS = {
    "ValueError": errors.EmberValueError,
    "TypeError": errors.EmberTypeError,
    "IndexError": errors.EmberIndexError,
    "ArithmeticError": errors.EmberArithmeticError,
    "ZeroDivisionError": errors.EmberArithmeticError,
    "FileNotFoundError": errors.EmberFileNotFoundError,
}
_TRACEBACK_LAST = re.compile(r"^(?:[\w.]+\.)?(\w+(?:Error|Exception)): (.*)$")

def _translate(err):
    """A Python exception for a Py4JJavaError: the most specific known class in the cause chain."""
    return _translate_java(err.java_exception, err)


def _translate_java(top, err):
    """A Python exception for the JVM exception ``top`` (``err``, its Python-side error, gives the trace)."""
    chosen, chosen_cls, seen = None, None, 0
    exc = top
    while exc is not None and seen < 20:
        name = exc.getClass().getName()
        if name == _PYTHON_WORKER:
            return _python_worker_error(exc, err)
        known = _known_class(exc)
        if known is not None:
            chosen, chosen_cls = exc, known
            break
        if chosen is None and name not in _WRAPPERS:
            chosen, chosen_cls = exc, errors.EmberError
        exc = exc.getCause()
        seen += 1
    if chosen is None:
        chosen, chosen_cls = top, errors.EmberError
    message = chosen.getMessage() or chosen.getClass().getName()
    message = message.replace("requirement failed: ", "")  # Scala's require() prefix tells a Python user nothing
    if chosen_cls is errors.EmberError and not message.startswith(chosen.getClass().getSimpleName()):
        message = f"{chosen.getClass().getSimpleName()}: {message}"
    py = chosen_cls(message)
    py.java_class = chosen.getClass().getName()
    try:
        py.java_stacktrace = str(err)
    except Exception:  # the JVM may be gone; the message is what matters
        py.java_stacktrace = None
    return py


def _known_class(exc):
    """The Python class for the JVM exception ``exc`` or its nearest mapped superclass, else None (wrappers
    and unmapped classes: the walk goes on to the cause)."""
    jcls = exc.getClass()
    if jcls.getName() in _WRAPPERS:
        return None
    while jcls is not None:
        name = jcls.getName()
        if name in _EXCEPTIONS:
            return _EXCEPTIONS[name]
        if name in ("java.lang.Exception", "java.lang.RuntimeException", "java.lang.Throwable"):
            return None
        jcls = jcls.getSuperclass()
    return None


def _captured_origin(exc):
    """The JVM exception behind pyspark's own translation of it (once a SparkSession exists, pyspark turns
    every Py4JJavaError into a ``pyspark.errors`` CapturedException before Ember sees it), else None."""
    try:
        from pyspark.errors.exceptions.captured import CapturedException
    except ImportError:  # pragma: no cover - older pyspark
        return None
    return getattr(exc, "_origin", None) if isinstance(exc, CapturedException) else None


def _python_worker_error(exc, err):
    """The Python exception raised in a Spark task's Python worker, rebuilt from its traceback text."""
    text = exc.getMessage() or ""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    name, message = "Exception", lines[-1] if lines else "a Python worker failed"
    for ln in reversed(lines):
        m = _TRACEBACK_LAST.match(ln)
        if m:
            name, message = m.group(1), m.group(2)
            break
    cls = _PYTHON_ERRORS.get(name, errors.EmberError)
    py = cls(message if cls is not errors.EmberError else f"{name} in a Spark task: {message}")
    py.java_class = _PYTHON_WORKER
    try:
        py.java_stacktrace = str(err)
    except Exception:  # the JVM may be gone; the message is what matters
        py.java_stacktrace = None
    return py


def call_java(fn, *args):
    """Calls a py4j callable (method, constructor, static) mapping JVM exceptions to Python ones."""
    try:
        return fn(*args)
    except Py4JJavaError as e:
        raise _translate(e) from None
    except Py4JNetworkError as e:
        raise errors.EmberError(f"lost the connection to the JVM: {e}") from None
    except Py4JError as e:
        raise errors.EmberError(_py4j_message(str(e))) from None
    except Exception as e:
        origin = _captured_origin(e)
        if origin is None:
            raise
        raise _translate_java(origin, getattr(e, "_stackTrace", None) or e) from None


def _py4j_message(text):
    """The useful lines of a py4j error: its first line and the py4j exception's message, no trace."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    detail = [ln for ln in lines[1:] if ln.startswith("py4j.Py4JException:")]
    return " ".join(lines[:1] + [d[len("py4j.Py4JException:"):].strip() for d in detail[:1]])
