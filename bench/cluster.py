"""The distributed engine across executors (run by ``bench/cluster.sh``), everything measured in this one run:

1. A standalone cluster of two 1-core workers on 127.0.0.1 (the tests' harness, ``tests/standalone.py``):
   LeNet-5 and the 5M-parameter MLP, batch 128, after warm-up, DistriOptimizer on the two executors (one task
   each, task layout "executor") against the LocalOptimizer with 2 replicas in the driver JVM (local[2]),
   wire codecs none and bf16: samples/s of both, the ratio, the time split (compute / sync / scheduling) and
   the bytes each executor sent per iteration, with the messages sent to the driver while iterating.
2. Scaling: ``local-cluster[N,1,M]`` for N = 2, 4, 8 executors of one core (``--scaling``), LeNet-5: sync
   latency per iteration and bytes per executor against N. On a 2-core machine N > 2 executors share the
   cores, so the sync time there includes waiting for a core; the bytes are exact.

Usage: ``bench/cluster.sh [--iterations 300] [--warmup 200] [--scaling 2,4,8] [--models lenet5,mlp]``.
"""
import argparse
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from standalone import StandaloneCluster, spark_home  # noqa: E402

JAR = os.path.join(ROOT, "scala", "target", "ember.jar")


def submit(master, bench_args, conf=None):
    cmd = [os.path.join(spark_home(), "bin", "spark-submit"), "--master", master, "--driver-memory", "3g",
           "--conf", "spark.ui.enabled=false", "--conf", "spark.ui.showConsoleProgress=false",
           "--conf", "spark.driver.host=127.0.0.1",
           "--conf", "spark.driver.extraJavaOptions=-Dlog4j2.level=warn"]
    for k, v in (conf or {}).items():
        cmd += ["--conf", f"{k}={v}"]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", SPARK_HOME=spark_home(), SPARK_LOCAL_IP="127.0.0.1")
    res = subprocess.run(cmd + ["--class", "ember.bench.DistriBench", JAR, "--master", master] + bench_args, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = [line[len("RESULT "):] for line in res.stdout.splitlines() if line.startswith("RESULT ")]
    if res.returncode != 0:
        print(res.stdout[-4000:], file=sys.stderr)
        raise SystemExit(f"bench job on {master} failed ({res.returncode})")
    return lines


def fields(line):
    return dict(kv.split("=", 1) for kv in line.split() if "=" in kv)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--iterations", default="300")
    p.add_argument("--warmup", default="200")
    p.add_argument("--models", default="lenet5,mlp")
    p.add_argument("--scaling", default="2,4,8")
    p.add_argument("--scaling-iterations", default="150")
    a = p.parse_args()
    print(f"Distributed engine across executors: {os.cpu_count()} cores, load average "
          f"{open('/proc/loadavg').read().split()[:3]} at start")
    with tempfile.TemporaryDirectory() as root:
        cluster = StandaloneCluster(root, workers=2, cores=1, memory="1536m").start()
        try:
            print("Standalone cluster, two 1-core workers on 127.0.0.1, against the LocalOptimizer on local[2] (driver JVM):")
            for line in submit(cluster.url, ["--parts", "2", "--layout", "executor", "--models", a.models, "--codecs",
                                             "none,bf16", "--iterations", a.iterations, "--warmup", a.warmup],
                               {"spark.cores.max": "2", "spark.executor.memory": "1g",
                                "spark.scheduler.minRegisteredResourcesRatio": "1.0",
                                "spark.scheduler.maxRegisteredResourcesWaitingTime": "120s"}):
                print("  " + line)
        finally:
            cluster.stop()
    if a.scaling:
        print("Scaling (local-cluster[N,1,768], LeNet-5, batch 128; N executors share this machine's cores):")
        print(f"  {'N':>3} {'codec':>5} {'ms/iter':>8} {'compute':>8} {'sync':>7} {'wait':>7} {'sched':>6} "
              f"{'kB/exec/iter':>12} {'2S(N-1)/N*b kB':>14} {'driver msgs':>11}")
        for n in [int(x) for x in a.scaling.split(",")]:
            for line in submit(f"local-cluster[{n},1,768]", ["--parts", str(n), "--layout", "executor", "--models",
                                                            "lenet5", "--codecs", "none,bf16", "--iterations",
                                                            a.scaling_iterations, "--warmup", "50", "--cores", "1"],
                               {"spark.executor.memory": "768m"}):
                f = fields(line)
                if "codec" not in f:
                    continue
                bpv = 4 if f["codec"] == "none" else 2
                print(f"  {n:>3} {f['codec']:>5} {f['ms_per_iter']:>8} {f['compute_ms']:>8} {f['sync_ms']:>7} "
                      f"{f['wait_ms']:>7} {f['sched_ms']:>6} {f['kB_sent_per_task_iter']:>12} "
                      f"{2 * int(f['params']) * (n - 1) / n * bpv / 1e3:>14.1f} {f['driver_msgs_iterating']:>11}")
    print(f"load average at end: {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
