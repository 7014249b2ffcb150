"""The one place that talks to py4j (Spark's ``pyspark.ml.wrapper.JavaWrapper`` pattern).

``new_java_obj("ember.nn.Linear", 10, 5, True)`` builds a JVM object by class name, ``JavaValue._call``
calls its public methods, and ``JavaValue.of(jobj)`` rebuilds the Python wrapper of a JVM object from its
class name (each wrapper class declares ``_java_class``; unknown classes map by rewriting nothing, since
Scala and Python packages share their names). Every call goes through :func:`call_java`, which turns a
``Py4JJavaError`` into a Python exception carrying the Java message only.
"""
import importlib

from ember import _pyspark, errors
from ember._java_errors import _translate_java, call_java  # noqa: F401  (re-exported: every wrapper calls through it)
from ember._spark import spark_context

_registry = {}


def jvm():
    """The py4j JVM view of the active SparkContext (started by ``init_engine()`` when there is none)."""
    return _pyspark.jvm_view(spark_context())


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
    arr = call_java(_pyspark.new_jvm_array, spark_context(), java_class(class_name), len(items))
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
