"""init_engine / create_spark_conf, the jar inside the package, and the error when the jar is missing."""
import os
import subprocess
import sys
import textwrap

import ember
from ember.util.common import create_spark_conf, init_engine


def test_conf_carries_the_jar_and_blas_threads():
    conf = create_spark_conf(master="local[3]")
    jar = ember.jar_path()
    assert os.path.isfile(jar) and jar.endswith("ember.jar")
    # once a JVM runs, SparkConf() loads its settings, where the jar may already be listed as a file: URI
    assert {jar, f"file://{jar}", f"file:{jar}"} & set(conf.get("spark.jars").split(","))
    assert jar in conf.get("spark.driver.extraClassPath")
    assert conf.get("spark.master") == "local[3]"
    assert conf.get("spark.executorEnv.OPENBLAS_NUM_THREADS") == "1"


def test_init_engine_reuses_the_context(sc):
    assert init_engine() is sc
    from ember.tensor import blas_implementation

    assert "BLAS" in blas_implementation()


def test_the_jvm_runs_the_bundled_native_kernels(sc):
    from ember.tensor import blas_description, kernels

    assert kernels() == "dnnl"  # the bundled oneDNN loads through the jars next to ember.jar
    assert blas_description().startswith("bundled OpenBLAS")
    names = [os.path.basename(p) for p in ember.jar_paths()]
    assert names[0] == "ember.jar" and any(n.startswith("dnnl-") for n in names)
    shipped = {os.path.basename(p) for p in create_spark_conf().get("spark.jars").split(",")}  # paths or file: URIs
    assert set(names) <= shipped


def test_existing_context_without_the_jar_gives_a_clear_error():
    script = textwrap.dedent("""
        from pyspark import SparkContext
        sc = SparkContext("local[1]", "nojar")
        from ember.util.common import init_engine
        try:
            init_engine()
        except Exception as e:
            print(type(e).__name__ + ": " + str(e))
        sc.stop()
    """)
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert "JarNotFoundError: A SparkContext is running without Ember's jar" in res.stdout, res.stdout + res.stderr
    assert "create_spark_conf()" in res.stdout and "--jars" in res.stdout
