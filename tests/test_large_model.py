"""Models beyond 2 GB of parameters (issue 11 point 15) at full size.

``ember.bench.LargeModelCheck`` runs in its own JVM through spark-submit (a 19 GB driver heap): a model of
536,920,065 parameters (more than 2^29; 2.15 GB of float32) is saved and loaded (a file over 2 GB), trained by the
DistriOptimizer over two segments (the model reaches the task by broadcast in 64 MB chunks and the weights come
back in blocks, as no Spark buffer may reach 2 GB), checkpointed and read back from the checkpoint. The same
chunked paths run on a small model with tiny pieces in the Scala suites (ChunkedTransferSuite, ModelFileSuite,
PeersSuite) on every test run.

It needs about 19 GB: skipped when /proc/meminfo has less than 20 GiB available, unless EMBER_LARGE_MODEL=1
(set it in CI, 24 GB), which makes it run whatever the reading. It takes about two minutes on 2 cores.
"""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAR = os.path.join(ROOT, "scala", "target", "ember.jar")
NEEDED_GIB = 20


def _available_gib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / (1 << 20)
    return 0.0


@pytest.mark.large_model
def test_a_model_over_2gb_saves_loads_trains_and_checkpoints(tmp_path):
    available = _available_gib()
    if os.environ.get("EMBER_LARGE_MODEL") != "1" and available < NEEDED_GIB:
        pytest.skip(f"needs {NEEDED_GIB} GiB of available memory, {available:.1f} GiB available "
                    "(EMBER_LARGE_MODEL=1 runs it anyway)")
    from pyspark.find_spark_home import _find_spark_home
    submit = os.path.join(_find_spark_home(), "bin", "spark-submit")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    cmd = [submit, "--master", "local[1]", "--driver-memory", "19g", "--conf", "spark.ui.enabled=false",
           "--conf", "spark.driver.extraJavaOptions=-Dlog4j2.level=warn",
           "--class", "ember.bench.LargeModelCheck", JAR, str(tmp_path)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, env=env)
    assert res.returncode == 0 and "LARGE-MODEL OK" in res.stdout, res.stdout[-4000:] + res.stderr[-4000:]
