"""Models beyond 2 GB of parameters (issue 11 point 15) at full size.

``ember.bench.LargeModelCheck`` runs in its own JVM through spark-submit: a model of 536,920,065 parameters (more
than 2^29; 2.15 GB of float32) is saved and loaded (a file over 2 GB, streamed in pieces: no byte array, buffer or
message of 2 GB). That part ("file" mode, a 10 GB heap, about two minutes) runs in `make test` whenever 12 GiB are
available (CI has 24 GB).

The full check (EMBER_LARGE_MODEL=1, a 19 GB driver heap) also trains the model with the DistriOptimizer over two
segments and checkpoints it. It is opt-in because it does NOT pass yet: in a fresh clone on 2026-12-05 (Intel Xeon,
20 GiB available) the driver's SparkContext shut down during training ("SparkContext has been shutdown" while
collecting), so the training half of point 15 is open. The chunked paths it uses run on a small model with tiny
pieces in the Scala suites (ChunkedTransferSuite, ModelFileSuite, PeersSuite) on every test run.
"""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAR = os.path.join(ROOT, "scala", "target", "ember.jar")
NEEDED_GIB = 12  # the file mode; the full check (EMBER_LARGE_MODEL=1) needs about 20


def _available_gib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / (1 << 20)
    return 0.0


@pytest.mark.large_model
def test_a_model_over_2gb_saves_and_loads_and_with_opt_in_trains(tmp_path):
    full = os.environ.get("EMBER_LARGE_MODEL") == "1"
    available = _available_gib()
    if not full and available < NEEDED_GIB:
        pytest.skip(f"needs {NEEDED_GIB} GiB of available memory, {available:.1f} GiB available")
    from pyspark.find_spark_home import _find_spark_home
    submit = os.path.join(_find_spark_home(), "bin", "spark-submit")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    cmd = [submit, "--master", "local[1]", "--driver-memory", "19g" if full else "10g", "--conf", "spark.ui.enabled=false",
           "--conf", "spark.driver.extraJavaOptions=-Dlog4j2.level=warn",
           "--class", "ember.bench.LargeModelCheck", JAR, str(tmp_path)] + ([] if full else ["file"])
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, env=env)
    expected = "LARGE-MODEL OK" if full else "LARGE-MODEL FILE OK"
    assert res.returncode == 0 and expected in res.stdout, res.stdout[-4000:] + res.stderr[-4000:]
