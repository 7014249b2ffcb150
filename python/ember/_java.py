"""The one place that talks to py4j (Spark's ``pyspark.ml.wrapper.JavaWrapper`` pattern).

``new_java_obj("ember.nn.Linear", 10, 5, True)`` builds a JVM object by class name, ``JavaValue._call``
calls its public methods, and ``JavaValue.of(jobj)`` rebuilds the Python wrapper of a JVM object from its
class name (each wrapper class declares ``_java_class``; unknown classes map by rewriting nothing, since
Scala and Python packages share their names). Every call goes through :func:`call_java`, which turns a
``Py4JJavaError`` into a Python exception carrying the Java message only.
"""
import importlib
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

_registry = {}


def _active_context():
    from pyspark import SparkContext

    sc = SparkContext._active_spark_context
    if sc is None:
        from ember.util.common import init_engine

        sc = init_engine()
    return sc


def jvm():
    """The py4j JVM view of the active SparkContext (started by ``init_engine()`` when there is none)."""
    return _active_context()._jvm


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


_classes = {}


def java_class(class_name):
    """The py4j view of a JVM class (for static methods / Scala objects), checked to exist.

    Cached per JVM: resolving a dotted name through py4j costs one round trip per package component.
    """
    from py4j.java_gateway import JavaClass

    view = jvm()
    key = (id(view), class_name)
    if key in _classes:
        return _classes[key]
    node = view
    for part in class_name.split("."):
        node = getattr(node, part)
    if not isinstance(node, JavaClass):
        raise errors.JarNotFoundError(
            f"JVM class {class_name} not found: the SparkContext's JVM does not have Ember's jar (or this "
            "Ember version lacks the class). Start Spark with ember.util.common.init_engine() or "
            "SparkContext(conf=create_spark_conf()), or pass --jars and --driver-class-path with "
            "ember.jar_path() to spark-submit / pyspark."
        )
    _classes[key] = node
    return node


def call_static(class_name, method, *args):
    """Calls a static method (or Scala object method) ``class_name.method(*args)``."""
    return call_java(getattr(java_class(class_name), method), *args)


def new_java_obj(class_name, *args):
    """Builds a JVM object by class name: ``new_java_obj("ember.nn.Linear", 10, 5, True)``."""
    return call_java(java_class(class_name), *args)


def java_array(class_name, items):
    """A JVM array of ``class_name`` holding the JVM objects ``items`` (few items: one call each)."""
    arr = call_java(_active_context()._gateway.new_array, java_class(class_name), len(items))
    for i, it in enumerate(items):
        arr[i] = it
    return arr


def call_method(jobj, name, *args):
    """``jobj.name(*args)`` for a JVM object that has no Python wrapper (results, snapshots)."""
    return call_java(getattr(jobj, name), *args)


def java_class_name(jobj):
    return call_java(jobj.getClass).getName()


def is_java_object(x):
    from py4j.java_gateway import JavaObject

    return isinstance(x, JavaObject)


def java_list(items):
    """A java.util.ArrayList holding ``items`` (JVM objects or primitives)."""
    lst = new_java_obj("java.util.ArrayList")
    for it in items:
        call_java(lst.add, it)
    return lst


def scala_seq_to_list(seq):
    """The elements of a Scala Seq (small ones: one py4j call per element)."""
    return [call_java(seq.apply, i) for i in range(call_java(seq.length))]


class JavaValue:
    """Base of every Python object that wraps a JVM object (``self.value``).

    Subclasses declare ``_java_class`` (the JVM class they wrap) and are registered under it, so
    :meth:`of` can rebuild the right Python wrapper for any JVM object, e.g. after ``Model.loadModel``.
    """

    _java_class = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("_java_class"):
            _registry[cls.__dict__["_java_class"]] = cls

    def __init__(self, jvalue=None, *args):
        self.value = jvalue if jvalue is not None else new_java_obj(self._java_class, *args)

    def _call(self, name, *args):
        return call_java(getattr(self.value, name), *args)

    @classmethod
    def of(cls, jobj, default=None):
        """The Python wrapper of ``jobj``, chosen by its JVM class name (walking up its superclasses)."""
        if jobj is None:
            return None
        jcls = call_java(jobj.getClass)
        while jcls is not None:
            py_cls = _lookup(call_java(jcls.getName))
            if py_cls is not None:
                break
            jcls = call_java(jcls.getSuperclass)
        else:
            py_cls = None
        py_cls = py_cls or default or cls
        obj = py_cls.__new__(py_cls)
        obj.value = jobj
        return obj

    def __repr__(self):
        return call_java(self.value.toString)

    def __eq__(self, other):
        return isinstance(other, JavaValue) and call_java(self.value.equals, other.value)

    def __hash__(self):
        return call_java(self.value.hashCode)


def _lookup(java_name):
    """The registered Python class for a JVM class name; imports the mirroring Python package first."""
    if java_name in _registry:
        return _registry[java_name]
    package = java_name.rsplit(".", 1)[0]
    if package.startswith("ember."):
        try:
            importlib.import_module(package)
        except ImportError:
            return None
    return _registry.get(java_name)
