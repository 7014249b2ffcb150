"""bf16 mixed precision reaches the executors of a real cluster: a DistriOptimizer job asked for bf16 on the
driver makes each executor JVM (its own process, on a standalone cluster) adopt the mode, resolved on its own
CPU: "Ember compute precision: bf16" in its log where the CPU has AVX512-BF16/AMX, the float32 fall-back
warning elsewhere. In local mode the executors share the driver's JVM, so only a cluster shows this."""
import glob
import os

import pytest

import ember
from standalone import StandaloneCluster
from test_mixed_precision import _cpu_has_bf16

pytestmark = pytest.mark.cluster

TESTS = os.path.dirname(os.path.abspath(__file__))
CONF = {"spark.executor.memory": "1g", "spark.cores.max": "2", "spark.task.maxFailures": "1",
        "spark.scheduler.minRegisteredResourcesRatio": "1.0", "spark.scheduler.maxRegisteredResourcesWaitingTime": "120s"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = StandaloneCluster(tmp_path_factory.mktemp("standalone"), workers=2, cores=1, memory="1536m").start()
    yield c
    c.stop()


def test_bf16_reaches_every_executor(cluster):
    # the native kernel jars go with Ember's (an executor without oneDNN would fall back to float32)
    res = cluster.submit(["--name", "ember-bf16", "--jars", ",".join(ember.jar_paths()),
                          os.path.join(TESTS, "bf16_cluster_job.py")], conf=CONF)
    assert res.returncode == 0, res.stdout[-5000:]
    assert "TRAINED" in res.stdout and "optimizer DistriOptimizer" in res.stdout, res.stdout[-3000:]
    apps = [a for a in cluster.status().get("completedapps", []) if a.get("name") == "ember-bf16"]
    assert apps, cluster.status()
    logs = sorted(glob.glob(os.path.join(cluster.root, "work", apps[-1]["id"], "*", "stderr")))
    assert len(logs) == 2, logs
    for path in logs:
        with open(path, errors="replace") as f:
            text = f.read()
        if _cpu_has_bf16():
            assert "Ember compute precision: bf16" in text, (path, text[-3000:])
        else:
            assert "bf16 mixed precision" in text and "training in float32" in text, (path, text[-3000:])
    driver = "DRIVER precision bf16" if _cpu_has_bf16() else "DRIVER precision fp32"
    assert driver in res.stdout, res.stdout[-3000:]
