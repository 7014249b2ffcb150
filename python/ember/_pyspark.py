"""The one module that touches pyspark's private attributes (``_jvm``, ``_gateway``, ``_jrdd``, ``_jdf``, ...).

pyspark has no public API for the py4j view of the JVM, for the JVM side of an RDD or DataFrame, or for an
RDD over JVM records; Ember needs each of them in one place or two. Keeping them here means a pyspark
upgrade that renames one breaks this file only (the way Scala's Spark-private calls sit in
``org.apache.spark.ember``). ``tests/test_package_directions.py`` checks that no other module uses them.
(pyspark.ml's ``JavaWrapper`` subclassing protocol - ``_java_obj``, ``_new_java_obj``,
``_transfer_params_to_java`` - is how pyspark documents third-party stages and stays in ``ember.ml``.)
"""


def active_context():
    """The running SparkContext, or None."""
    from pyspark import SparkContext

    return SparkContext._active_spark_context


def connect_gateway():
    """Connects this Python to the JVM a launcher (spark-submit, the pyspark shell) started, without a context."""
    from pyspark import SparkContext

    SparkContext._ensure_initialized()


def conf_is_loaded(conf):
    """True if ``conf`` (a SparkConf) is backed by a JVM SparkConf, i.e. already holds the launcher's settings."""
    return conf._jconf is not None


def jvm_view(sc):
    """The py4j view of ``sc``'s JVM (``view.java.util.ArrayList`` ...)."""
    return sc._jvm


def new_jvm_array(sc, java_class, length):
    """A new JVM array of ``length`` elements of the py4j class ``java_class``."""
    return sc._gateway.new_array(java_class, length)


def java_rdd_of_bytes(rdd):
    """The JVM ``JavaRDD[byte[]]`` of a pyspark RDD whose elements are ``bytes``: each one becomes one byte[]
    record as is (no pickling)."""
    rdd._bypass_serializer = True
    return rdd._jrdd


def rdd_of_java_bytes(jrdd):
    """A pyspark RDD whose elements are the byte[] records of the JVM ``JavaRDD[byte[]]`` ``jrdd``, as bytes."""
    from pyspark import RDD
    from pyspark.serializers import NoOpSerializer

    return RDD(jrdd, active_context(), NoOpSerializer())


def java_dataframe(df):
    """The JVM Dataset behind a classic pyspark DataFrame; None for a Spark Connect one (it has no JVM side)."""
    return getattr(df, "_jdf", None)


def python_dataframe(jdf, session):
    """A pyspark DataFrame over the JVM Dataset ``jdf`` in ``session``."""
    from pyspark.sql import DataFrame

    return DataFrame(jdf, session)
