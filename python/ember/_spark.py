"""Starting Spark with Ember: a SparkConf with Ember's jars (:func:`create_spark_conf`), a SparkContext that
has them (:func:`init_engine`), and :func:`spark_context`, which every JVM call goes through (it starts one
with the defaults when none runs, so that ``Linear(3, 2)`` works without set-up). BigDL's names for these are
re-exported by ``ember.util.common``.

Examples:
    >>> from ember.util.common import create_spark_conf
    >>> conf = create_spark_conf()
    >>> conf.get("spark.jars").split(",")[0].endswith("ember.jar")
    True
"""
import contextlib
import os
import sys

from ember import _pyspark, errors, jar_path, jar_paths
from ember._java_errors import call_java

_BLAS_THREADS = "OPENBLAS_NUM_THREADS"


def _append_path(conf, key, path):
    old = conf.get(key, None)
    parts = [p for p in (old or "").split(os.pathsep if key.endswith("ClassPath") else ",") if p]
    if path not in parts and f"file://{path}" not in parts and f"file:{path}" not in parts:
        parts.append(path)
    conf.set(key, (os.pathsep if key.endswith("ClassPath") else ",").join(parts))


def create_spark_conf(conf=None, master=None, app_name="ember"):
    """A SparkConf that puts Ember's jar on the driver and executor classpaths.

    Args:
        conf (SparkConf, optional): settings to start from (kept, the jar is appended). Default: a new one.
        master (str, optional): the Spark master, when ``conf`` has none. Default: ``local[*]``.
        app_name (str): application name, when ``conf`` has none.

    Examples:
        >>> from pyspark import SparkContext
        >>> from ember.util.common import create_spark_conf
        >>> conf = create_spark_conf(master="local[2]")
        >>> conf.get("spark.master")
        'local[2]'
    """
    conf = _base_conf(conf)
    try:
        jar = jar_path()
    except errors.JarNotFoundError:
        if not _under_spark_submit():
            raise
        jar = None  # e.g. Ember shipped with --py-files: its jar comes with --jars (init_engine checks the classes)
    if jar is not None:
        for j in jar_paths():  # ember.jar and its native kernel jars, shipped to executors on other machines
            _append_path(conf, "spark.jars", j)
        _append_path(conf, "spark.driver.extraClassPath", jar)
        _append_path(conf, "spark.executor.extraClassPath", jar)
    if master:
        conf.setMaster(master)
    elif not conf.contains("spark.master"):
        conf.setMaster("local[*]")
    if not conf.contains("spark.app.name"):
        conf.setAppName(app_name)
    # Large arrays from numpy are copied into the driver's heap; Spark's 1g default is tight for that.
    conf.setIfMissing("spark.driver.memory", "2g")
    # Ember's Engine owns the thread budget: a multi-threaded BLAS inside every task oversubscribes cores.
    conf.setIfMissing(f"spark.executorEnv.{_BLAS_THREADS}", "1")
    # The Python whose sys.path and jep the JVMs' embedded interpreters use (ember.jep layers), executors included.
    conf.setIfMissing("spark.ember.python", sys.executable)
    return conf


def _under_spark_submit():
    """True in a program run by spark-submit (or the pyspark shell): the JVM is up, with its own settings."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def _base_conf(conf):
    """``conf`` (or a new SparkConf); under spark-submit on top of its settings (--master, --jars, --conf
    ...), so that Ember's defaults (local[*], the installed jar) add to them instead of replacing them."""
    from pyspark import SparkConf

    if not _under_spark_submit():
        return conf if conf is not None else SparkConf()
    if conf is not None and _pyspark.conf_is_loaded(conf):
        return conf  # already loaded from the JVM
    _pyspark.connect_gateway()  # connects to spark-submit's JVM; SparkConf() then loads its settings
    base = SparkConf()
    for key, value in conf.getAll() if conf is not None else []:
        base.set(key, value)
    return base


@contextlib.contextmanager
def _launch_env(local):
    """OPENBLAS_NUM_THREADS=1 for the JVM pyspark launches, without touching this Python's numpy; in local
    mode also this interpreter for the Python workers (pyspark's default, ``python3`` on PATH, may not have
    Ember or numpy), unless PYSPARK_PYTHON says otherwise."""
    changes = {_BLAS_THREADS: "1"}
    if local and not os.environ.get("PYSPARK_PYTHON") and sys.executable:
        changes["PYSPARK_PYTHON"] = sys.executable
    old = {k: os.environ.get(k) for k in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _jvm_class(sc, class_name):
    """The py4j view of the JVM class ``class_name`` in ``sc``'s JVM, or None when the JVM lacks it."""
    from py4j.java_gateway import JavaClass

    node = _pyspark.jvm_view(sc)
    for part in class_name.split("."):
        node = getattr(node, part)
    return node if isinstance(node, JavaClass) else None


def _check_jar(sc):
    if _jvm_class(sc, "ember.python.Convert") is None:
        raise errors.JarNotFoundError(
            "A SparkContext is running without Ember's jar, so Ember's classes are missing from its JVM. "
            "Either stop it (sc.stop()) and call ember.util.common.init_engine(), or create it with "
            "SparkContext(conf=create_spark_conf()), or start pyspark/spark-submit with "
            f"--jars {','.join(jar_paths())} --driver-class-path {jar_path()}"
        ) from None


def init_engine(seed=None, master=None, app_name="ember", conf=None, log_level="WARN"):
    """Starts (or reuses) a SparkContext with Ember's jar and returns it.

    Args:
        seed (int, optional): seeds Ember's random generator (weight initialisation, dropout) for
            reproducible models.
        master (str, optional): Spark master for a new context. Default: ``local[*]``.
        app_name (str): application name for a new context.
        conf (SparkConf, optional): extra settings for a new context.
        log_level (str, optional): Spark log level for a new context (None keeps Spark's default).

    Raises:
        JarNotFoundError: a SparkContext already exists and was started without Ember's jar.

    Examples:
        >>> from ember.util.common import init_engine
        >>> sc = init_engine(seed=42)
        >>> sc is init_engine()
        True
    """
    from pyspark import SparkContext

    sc = _pyspark.active_context()
    if sc is None:
        spark_conf = create_spark_conf(conf, master, app_name)
        with _launch_env(spark_conf.get("spark.master", "").startswith("local")):
            sc = SparkContext.getOrCreate(spark_conf)
        if log_level:
            sc.setLogLevel(log_level)
        _check_jar(sc)
        _quiet_task_failures(sc)
    _check_jar(sc)
    if seed is not None:
        call_java(_jvm_class(sc, "ember.tensor.RandomGenerator").setSeed, int(seed))
    return sc


def _quiet_task_failures(sc):
    """A failed task logs one line in the driver's console ("Task 0 in stage 3.0 failed 1 times; aborting
    job"), not Spark's WARN "Lost task" with the whole Java trace: the Python exception already carries the
    message, and its ``java_stacktrace`` the trace. In local mode the executor shares the driver's console,
    so its "Exception in task" ERROR (the same trace again) is silenced too; on a cluster it stays in the
    executor logs."""
    jvm = _pyspark.jvm_view(sc)
    configurator = jvm.org.apache.logging.log4j.core.config.Configurator
    level = jvm.org.apache.logging.log4j.Level
    call_java(configurator.setLevel, "org.apache.spark.scheduler.TaskSetManager", level.ERROR)
    if sc.master.startswith("local"):
        call_java(configurator.setLevel, "org.apache.spark.executor.Executor", level.OFF)


def get_spark_context():
    """The active SparkContext, started with :func:`init_engine` if there is none (BigDL's name)."""
    return init_engine()


_quieted = set()


def spark_context():
    """The active SparkContext; a new one with Ember's defaults (:func:`init_engine`) when none runs.

    A context the user started (``SparkContext(conf=create_spark_conf())``, as the docs suggest) gets the same
    one-line task failures as :func:`init_engine`'s the first time Ember uses it (issue 11 point 8)."""
    sc = _pyspark.active_context()
    if sc is None:
        return init_engine()
    if id(sc) not in _quieted:
        _quieted.add(id(sc))
        try:
            _quiet_task_failures(sc)
        except Exception:  # a JVM without log4j's core Configurator: keep Spark's logging as it is
            pass
    return sc
