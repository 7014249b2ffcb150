"""BigDL's ``bigdl.util.common`` names: starting Spark with Ember (``init_engine``, ``create_spark_conf``,
``get_spark_context``, from :mod:`ember._spark`), ``Sample`` and ``JavaValue``. Re-exports only.

Examples:
    >>> from ember.util.common import init_engine, create_spark_conf
    >>> conf = create_spark_conf()
    >>> conf.get("spark.jars").split(",")[0].endswith("ember.jar")
    True
"""
from ember._java import JavaValue
from ember._spark import create_spark_conf, get_spark_context, init_engine
from ember.data.sample import Sample

__all__ = ["init_engine", "create_spark_conf", "get_spark_context", "Sample", "JavaValue"]
