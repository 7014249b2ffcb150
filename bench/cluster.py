"""The distributed engine across executors (run by ``bench/cluster.sh``), everything measured in this one run:

1. A standalone cluster of two 1-core workers on 127.0.0.1 (the tests' harness, ``tests/standalone.py``):
   LeNet-5 and the 5M-parameter MLP, batch 128, after warm-up, DistriOptimizer on the two executors (one task
   each, task layout "executor") against the LocalOptimizer with 2 replicas in the driver JVM (local[2]),
   wire codecs none and bf16: samples/s of both, the ratio, the time split (compute / sync / scheduling) and
   the bytes each executor sent per iteration, with the messages sent to the driver while iterating.
2. Scaling: ``local-cluster[N,1,M]`` for N = 2, 4, 8 executors of one core (``--scaling``), LeNet-5: sync
   latency per iteration and bytes per executor against N. On a 2-core machine N > 2 executors share the
   cores, so the sync time there includes waiting for a core; the bytes are exact.
3. The cost model of bench/NOTES.md fitted to all the rows above (least squares): the latency alpha of a message,
   the per-peer cost o and the bandwidth B of this machine's loopback, for the notes' projections.

Each executor JVM gets one native thread, sees one CPU and compiles at three times the JIT's thresholds
(``EXECUTOR_CONF``, as the README tells users to configure 1-core executors; the driver's JIT keeps its defaults);
per executor the bench prints its compute and waiting per iteration (mean/p50/p90/max ms), how often it was the
slower one, and its JVM's CPU by thread group, GC and JIT (``task`` lines), and where a segment spent its wall
clock outside the iterations (``segment`` lines, the warm-up's last segment, which built the tasks' replicas, and the
timed one: the driver's model file and broadcast, the job's launch, the tasks' set-up, collecting the results).

Warm-up and timed window (standalone rows): by default one epoch of LeNet-5 on MNIST each (469 iterations of batch 128),
the same for both sides, in ONE training run per side: the timed window starts when the driver sees the warm-up's last
iteration end and ends when ``optimize()`` returns (a run's steady state; its one-off start is in the warm-up). The
DistriOptimizer trains in segments of the warm-up's length, as a user validating once an epoch would: each timed
segment pays its Spark job, the tasks' set-up from their kept state and the driver's reading of the results
(scheduling in the split). A shorter window charges the per-segment cost to fewer iterations and times executors that
are still compiling (bench/NOTES.md).

After each model's timed segment a ``cpu per iteration`` line sums the CPU the cluster side used per iteration (both
executor JVMs and the driver; not the standalone daemons') and the ratio that CPU allows on this machine's cores if
they were never idle: where the executors share the local side's cores, their transport threads and second JIT compiler
take wall time from the tasks, a ceiling no exchange latency could beat.

An A/B inside one run (the same machine state within minutes, which separate runs on a VM whose speed drifts do not
give): ``--variants "k=v|k=v" --rounds R`` times the DistriOptimizer R times per variant, alternating, with settings it
reads from the caller's local properties (``spark.ember.overlapGradients``, ``spark.ember.keepTaskState``,
``spark.ember.chunkBytes``); each round starts with a timing of the local side, against which its rows' ratios are.
Before timing the local side the bench waits for the executors to start and the cores to go idle (``settle`` lines):
executors starting meanwhile (class loading, JIT) slowed it by up to a quarter and inflated the ratio.

Usage: ``bench/cluster.sh [--iterations 469] [--warmup 469] [--timing run|calls] [--scaling 2,4,8] [--models lenet5,mlp]
[--conf k=v] [--variants k=v|k=v --rounds R]``.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from standalone import StandaloneCluster, spark_home  # noqa: E402

JAR = os.path.join(ROOT, "scala", "target", "ember.jar")


# What a user gives 1-core executors (README, distributed section): one native thread (create_spark_conf() sets
# OPENBLAS_NUM_THREADS, which oneDNN's thread count follows too) and a JVM sized to its core, as a 1-core container
# of YARN or Kubernetes is (the JVM then sees 1 CPU: serial GC, fewer JIT and transport threads). On these standalone
# workers the executor JVMs otherwise see both cores (G1, two GC and JIT threads, transport threads per CPU) and
# compete with the other executor for them (bench/NOTES.md). -XX:CompileThresholdScaling=3 is the README's JIT setting
# for small models on 1-core executors: an executor calls most of a training iteration's methods once per iteration, so
# at the JVM's default thresholds its JIT compiler is still compiling them thousands of iterations on, on the core its
# task needs; three times the thresholds leaves those lukewarm methods in C1 and the hot loops still reach C2
# (bench/NOTES.md, "JIT thresholds for the executors"). The local side (the driver JVM) keeps the default: there
# each method runs once per replica per iteration and x3 slows local[2] down.
EXECUTOR_JIT = "-XX:CompileThresholdScaling=3"
EXECUTOR_CONF = {"spark.executorEnv.OPENBLAS_NUM_THREADS": "1",
                 "spark.executor.extraJavaOptions": f"-XX:ActiveProcessorCount=1 {EXECUTOR_JIT}"}


def check_executor_options(conf):
    """Fails at once, naming the option, when the executors' JVM options are ones this JVM refuses: Spark would
    otherwise relaunch executors that die at start-up for as long as the job waits for them (the bench hangs)."""
    opts = dict(EXECUTOR_CONF, **(conf or {})).get("spark.executor.extraJavaOptions", "").split()
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java"
    res = subprocess.run([java, *opts, "-version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if res.returncode != 0:
        raise SystemExit(f"spark.executor.extraJavaOptions={' '.join(opts)!r}: the JVM refuses them:\n{res.stdout.strip()}")


def submit(master, bench_args, conf=None, timeout_s=3600):
    check_executor_options(conf)
    cmd = [os.path.join(spark_home(), "bin", "spark-submit"), "--master", master, "--driver-memory", "3g",
           "--conf", "spark.ui.enabled=false", "--conf", "spark.ui.showConsoleProgress=false",
           "--conf", "spark.driver.host=127.0.0.1",
           "--conf", "spark.driver.extraJavaOptions=-Dlog4j2.level=warn"]
    for k, v in dict(EXECUTOR_CONF, **(conf or {})).items():
        cmd += ["--conf", f"{k}={v}"]
    # the native kernel jars go to the executors as the README tells users (the app jar's manifest Class-Path
    # names them, but an executor's copy of ember.jar has no siblings: without them it runs the JVM kernels)
    natives = sorted(glob.glob(os.path.join(os.path.dirname(JAR), "*.jar")))
    cmd += ["--jars", ",".join(j for j in natives if os.path.basename(j) != "ember.jar")]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", SPARK_HOME=spark_home(), SPARK_LOCAL_IP="127.0.0.1")
    try:
        res = subprocess.run(cmd + ["--class", "ember.bench.DistriBench", JAR, "--master", master] + bench_args, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        print(out[-6000:], file=sys.stderr)
        raise SystemExit(f"bench job on {master} did not finish in {timeout_s} s (executors failing to start?)")
    lines = [line[len("RESULT "):] for line in res.stdout.splitlines() if line.startswith("RESULT ")]
    if res.returncode != 0:
        # the end of the output without stack frames, so the exception's message is among what is shown
        text = [line for line in res.stdout.splitlines() if not line.lstrip().startswith("at ")]
        print("\n".join(text)[-6000:], file=sys.stderr)
        raise SystemExit(f"bench job on {master} failed ({res.returncode})")
    return lines


def fields(line):
    return dict(kv.split("=", 1) for kv in line.split() if "=" in kv)


def standalone_row(f):
    """One standalone result as a table row: samples/s both sides, the ratio and where the iteration went."""
    name = f"{f['model']}, {f['codec']}" + (f" [{f['variant']} #{f['round']}]" if "variant" in f else "")
    return (f"  {name:<12} {f['local_sps']:>9} {f['distri_sps']:>10} {float(f['ratio']):>6.2f}x "
            f"{f['ms_per_iter']:>8} {f['compute_ms']:>8} {f['sync_ms']:>7} {f['wait_ms']:>7} {f['grad_wait_ms']:>9} "
            f"{f['imbalance_ms']:>9} {f['sched_ms']:>6} {f['overhead_pct']:>7}% {f['kB_sent_per_task_iter']:>10} "
            f"{f['driver_msgs_iterating']:>6}")


def cpu_budget(f, executor_cpu, cores):
    """The CPU the cluster side used per timed iteration (the executors' JVMs and the driver's; the standalone
    daemons' is not counted) and the ratio it allows on this machine: with every core busy all the time an iteration
    takes at least that CPU / cores, so the ratio cannot exceed cores x local ms per iteration / that CPU. When the
    executors share the local side's cores (two 1-core workers on 2 cores), their transport threads and second JIT
    compiler take wall time from the tasks, which this shows next to the measured ratio."""
    cluster = sum(executor_cpu) + float(f.get("driver_cpu_ms", "nan"))
    local_ms = 1000.0 * 128 / float(f["local_sps"])  # batch 128
    ceiling = cores * local_ms / cluster if cluster > 0 else float("nan")
    return (f"cpu per iteration: executors {' + '.join(f'{c:.2f}' for c in executor_cpu)} ms, driver "
            f"{float(f.get('driver_cpu_ms', 'nan')):.2f} ms (local side {float(f.get('local_cpu_ms', 'nan')):.2f} ms "
            f"in {local_ms:.2f} ms): on {cores} cores at most {ceiling:.2f}x, measured {float(f['ratio']):.2f}x")


def exchange_ms(f):
    """The exchange's own time per iteration: sync minus the compute imbalance between tasks (which no transport
    can remove: the fastest task waits for the slowest one's gradient)."""
    return max(0.0, float(f["sync_ms"]) - float(f.get("imbalance_ms", 0.0)))


def fit_cost_model(points):
    """Least-squares fit of the cost model of bench/NOTES.md to (N, S, b, measured exchange ms) points:
    T_sync(N) = r x [alpha + (N - 1) x o] + 2 x (N - 1) / N x S x b / B, with r = 2 rounds (reduce-scatter, then
    all-gather) and r = 1 at N = 2 (the replicated exchange: whole gradients, one round, the same bytes). Returns
    (alpha ms, o ms, B bytes/s) with every coefficient kept >= 0 (a negative one is dropped and the rest refitted),
    or None with < 3 points."""
    import numpy as np

    if len(points) < 3:
        return None
    rounds = lambda n: 1.0 if n == 2 else 2.0  # noqa: E731
    x = np.array([[rounds(n), rounds(n) * (n - 1), 2.0 * (n - 1) / n * s * b / 1e6] for n, s, b, _ in points])
    y = np.array([t for _, _, _, t in points])
    keep = [0, 1, 2]
    while keep:
        c, *_ = np.linalg.lstsq(x[:, keep], y, rcond=None)
        if (c >= 0).all():
            break
        keep.pop(int(np.argmin(c)))
    coef = dict(zip(keep, c)) if keep else {}
    alpha, o, per_mb = coef.get(0, 0.0), coef.get(1, 0.0), coef.get(2, 0.0)
    return alpha, o, (1e6 / (per_mb / 1e3) if per_mb > 0 else float("inf")), x @ np.array([alpha, o, per_mb]), y


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--iterations", default="469", help="timed iterations (default: one MNIST epoch at batch 128)")
    p.add_argument("--warmup", default="469", help="warm-up iterations, both sides (default: one MNIST epoch)")
    p.add_argument("--timing", default="run", choices=["run", "calls"],
                   help="run: timed iterations after the warm-up in one training run (default); calls: the warm-up and "
                        "the timed iterations as two optimize() calls (the timed one starts a run again)")
    p.add_argument("--models", default="lenet5,mlp")
    p.add_argument("--codecs", default="none,bf16")
    p.add_argument("--scaling", default="2,4,8")
    p.add_argument("--scaling-iterations", default="150")
    p.add_argument("--conf", action="append", default=[], help="extra Spark setting k=v for every job (repeatable)")
    p.add_argument("--variants", default="",
                   help="an A/B in one run: k=v[,k=v]|k=v... settings the DistriOptimizer reads from local properties "
                        "(e.g. spark.ember.overlapGradients=true|spark.ember.overlapGradients=false), timed alternating "
                        "--rounds times, each round after a timing of the local side")
    p.add_argument("--rounds", default="1")
    a = p.parse_args()
    extra = dict(kv.split("=", 1) for kv in a.conf)
    print(f"Distributed engine across executors: {os.cpu_count()} cores, load average "
          f"{open('/proc/loadavg').read().split()[:3]} at start")
    points = []  # (N, S, bytes per value, exchange ms) for the cost model's fit
    row, executor_cpu = None, []  # the last model row, and its executors' JVM CPU ms per iteration
    with tempfile.TemporaryDirectory() as root:
        cluster = StandaloneCluster(root, workers=2, cores=1, memory="1536m").start()
        try:
            print("Standalone cluster, two 1-core workers on 127.0.0.1, against the LocalOptimizer on local[2] "
                  "(driver JVM), ms per iteration;")
            print("wait = waiting for the other task (grad wait: of it for gradient slices; imbalance:")
            print("the slower task's extra compute); overhead = (sync + sched) / iteration; targets (issue 8): LeNet-5")
            print("overhead <= 10% and ratio >= 0.85x, MLP 5M ratio >= 0.7x:")
            window = (f"one run per side: warm-up {a.warmup} iterations, then {a.iterations} timed, the DistriOptimizer "
                      f"in segments of {a.warmup} iterations as with validation once an epoch" if a.timing == "run" else
                      f"warm-up {a.warmup} iterations, then {a.iterations} timed in a second optimize() call, both sides")
            print(f"({window}; executor JVM "
                  f"options {dict(EXECUTOR_CONF, **extra)['spark.executor.extraJavaOptions']!r}, the driver's JIT "
                  "at its defaults)")
            print(f"  {'model, wire':<12} {'local sps':>9} {'distri sps':>10} {'ratio':>7} {'ms/iter':>8} "
                  f"{'compute':>8} "
                  f"{'sync':>7} {'wait':>7} {'grad wait':>9} {'imbalance':>9} {'sched':>6} {'overhead':>8} "
                  f"{'kB/exec/it':>10} {'driver':>6}")
            for line in submit(cluster.url, ["--parts", "2", "--layout", "executor", "--models", a.models, "--codecs",
                                             a.codecs, "--iterations", a.iterations, "--warmup", a.warmup,
                                             "--timing", a.timing, "--rounds", a.rounds]
                               + (["--variants", a.variants] if a.variants else []),
                               {"spark.cores.max": "2", "spark.executor.memory": "1g",
                                "spark.scheduler.minRegisteredResourcesRatio": "1.0",
                                "spark.scheduler.maxRegisteredResourcesWaitingTime": "120s", **extra}):
                f = fields(line)
                if line.startswith(("task ", "segment ")):  # per executor, and the job outside the iterations
                    print("      " + line)
                    if line.startswith("task "):
                        executor_cpu.append(float(f["jvm_cpu_ms"]))
                    elif f.get("which") == "timed" and row is not None:
                        print("      " + cpu_budget(row, executor_cpu, os.cpu_count()))
                    continue
                if "codec" not in f:
                    print("  " + line)
                    continue
                print(standalone_row(f))
                print("    " + line)
                row, executor_cpu = f, []
                points.append((2, int(f["params"]), 4 if f["codec"] == "none" else 2, exchange_ms(f)))
        finally:
            cluster.stop()
    if a.scaling:
        print("Scaling (local-cluster[N,1,768], LeNet-5, batch 128; N executors share this machine's cores):")
        print(f"  {'N':>3} {'codec':>5} {'ms/iter':>8} {'compute':>8} {'sync':>7} {'wait':>7} {'sched':>6} "
              f"{'kB/exec/iter':>12} {'2S(N-1)/N*b kB':>14} {'driver msgs':>11}")
        for n in [int(x) for x in a.scaling.split(",")]:
            for line in submit(f"local-cluster[{n},1,768]", ["--parts", str(n), "--layout", "executor", "--models",
                                                            "lenet5", "--codecs", a.codecs, "--iterations",
                                                            a.scaling_iterations, "--warmup", "50", "--cores", "1"],
                               {"spark.executor.memory": "768m", **extra}):
                f = fields(line)
                if "codec" not in f or line.startswith(("task ", "segment ")):
                    continue
                bpv = 4 if f["codec"] == "none" else 2
                print(f"  {n:>3} {f['codec']:>5} {f['ms_per_iter']:>8} {f['compute_ms']:>8} {f['sync_ms']:>7} "
                      f"{f['wait_ms']:>7} {f['sched_ms']:>6} {f['kB_sent_per_task_iter']:>12} "
                      f"{2 * int(f['params']) * (n - 1) / n * bpv / 1e3:>14.1f} {f['driver_msgs_iterating']:>11}"
                      + (f" ({f.get('driver_kinds_iterating', '')})" if f['driver_msgs_iterating'] != "0" else ""))
                points.append((n, int(f["params"]), bpv, exchange_ms(f)))
    fit = fit_cost_model(points)
    if fit:
        alpha, o, bandwidth, predicted, measured = fit
        print("Cost model T_sync(N) = r x [alpha + (N - 1) x o] + 2 x (N - 1) / N x S x b / B, r = 2 rounds (1 at N = 2, "
              "replicated) (bench/NOTES.md),")
        print(f"least squares over the {len(points)} rows above (sync minus compute imbalance; with N > cores the "
              "rows include waiting for a core):")
        print(f"  alpha = {alpha * 1e3:.0f} us, o = {o * 1e3:.0f} us, B = {bandwidth / 1e9:.2f} GB/s "
              "(loopback, this run)")
        print("  (N, S, b): measured / fitted ms: " + ", ".join(
            f"({n}, {s}, {b}) {m:.2f} / {q:.2f}" for (n, s, b, _), m, q in zip(points, measured, predicted)))
    print(f"load average at end: {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
