"""A job that ``test_cluster.py`` sends to the standalone cluster with ``spark-submit``: trains a small MLP across
both executors for k and then 2k iterations (one segment each, float32 on the wire), then k with bf16, and
prints, per run, what the iterations sent to the driver and to the other executor (``ember.optim.Traffic`` of
the DistriOptimizer) and the accuracy reached, one JSON line each:

    TRAFFIC {"k": ..., "codec": ..., "iterations": ..., "tasks": ..., "driver": ..., "setup": ..., "bytes": ...}

Between the second and the third run, a foreign client (an RpcEnv of its own, without the cluster's secret)
tries to reach the executors' Ember endpoints; each attempt prints ``FOREIGN refused <error>`` or
``FOREIGN accepted``. Then 3,000 iterations in one segment while a Python thread polls the optimizer's progress
as the progress bar does (``PROGRESS {...}``: the iterations it saw). Last, 10,000 iterations in segments of 2,500,
with the executors' storage memory before and after (``MEMORY {...}``).
"""
import json
import sys
import threading
import time

import numpy as np

from ember.nn.criterion import ClassNLLCriterion
from ember.nn.layer import Linear, LogSoftMax, ReLU, Sequential
from ember.optim.optimizer import SGD, MaxIteration, Optimizer
from ember.util.common import init_engine


def foreign_client(sc, endpoints):
    """Tries to reach each endpoint from an RpcEnv with a wrong secret, and from one without authentication."""
    jvm = sc._jvm
    config = jvm.java.lang.Class.forName("org.apache.spark.internal.config.package$").getField("MODULE$").get(None)
    for name, settings in (("wrong-secret", {"spark.authenticate": "true", "spark.authenticate.secret": "not-it",
                                             "spark.network.crypto.enabled": "true"}),
                           ("no-auth", {"spark.authenticate": "false"})):
        conf = jvm.org.apache.spark.SparkConf(False)
        for key, value in settings.items():
            conf.set(key, value)
        security = jvm.org.apache.spark.SecurityManager(conf, jvm.scala.Option.empty(), config.AUTH_SECRET_FILE())
        env = jvm.org.apache.spark.rpc.RpcEnv.create("foreign", "127.0.0.1", 0, conf, security, True)
        try:
            for endpoint in endpoints:
                host, port = endpoint.rsplit(":", 1)
                try:
                    ref = env.setupEndpointRef(jvm.org.apache.spark.rpc.RpcAddress(host, int(port)), "ember-exchange")
                    ref.send(jvm.scala.Tuple2("injected|0|g_1_1", bytearray(64)))
                    print(f"FOREIGN accepted {name} {endpoint}", flush=True)
                except Exception as e:  # noqa: BLE001 - the refusal is what this reports
                    print(f"FOREIGN refused {name} {endpoint}: {str(e).splitlines()[0][:200]}", flush=True)
        finally:
            env.shutdown()


def main():
    k = int(sys.argv[1])
    codec = sys.argv[2] if len(sys.argv) > 2 else "bf16"
    sc = init_engine(seed=5)
    rng = np.random.RandomState(0)
    centers = rng.randn(4, 20).astype(np.float32) * 3
    y = rng.randint(0, 4, 2000)
    x = (centers[y] + rng.randn(2000, 20)).astype(np.float32)
    rdd = sc.parallelize([(x[i], float(y[i])) for i in range(len(y))], 2).cache()
    for iterations, wire in ((k, "none"), (2 * k, "none"), (k, codec)):
        if wire != "none":
            foreign_client(sc, opt.value.taskEndpoints())
        model = Sequential().add(Linear(20, 64)).add(ReLU()).add(Linear(64, 4)).add(LogSoftMax())
        opt = Optimizer(model=model, training_rdd=rdd, criterion=ClassNLLCriterion(), optim_method=SGD(learningrate=0.05),
                        end_trigger=MaxIteration(iterations), batch_size=64)
        opt.value.setWireCodec(wire)
        opt.optimize(progress=False)
        t = opt.value.traffic()
        accuracy = float((model.predict_class(x) == y).mean())
        print("TRAFFIC " + json.dumps({"k": iterations, "codec": wire, "iterations": t.iterations(), "tasks": t.tasks(),
                                       "driver": t.driverMessages(), "setup": t.setupDriverMessages(),
                                       "kinds": t.driverMessageKindsText(), "setup_kinds": t.setupMessageKindsText(),
                                       "bytes": t.remoteBytes(), "params": 20 * 64 + 64 + 64 * 4 + 4,
                                       "accuracy": accuracy}), flush=True)
    progress_run(rdd)
    # 10,000 more iterations in segments of 2,500: the executors' block-manager memory stays flat
    before = storage_memory(sc)
    model = Sequential().add(Linear(20, 64)).add(ReLU()).add(Linear(64, 4)).add(LogSoftMax())
    opt = Optimizer(model=model, training_rdd=rdd, criterion=ClassNLLCriterion(), optim_method=SGD(learningrate=0.05),
                    end_trigger=MaxIteration(10000), batch_size=64)
    opt.value.setSegmentIterations(2500)
    opt.optimize(progress=False)
    print("MEMORY " + json.dumps({"iterations": opt.value.traffic().iterations(), "before": before,
                                  "after": storage_memory(sc), "driver": opt.value.traffic().driverMessages(),
                                  "kinds": opt.value.traffic().driverMessageKindsText()}), flush=True)
    sc.stop()


def progress_run(rdd, iterations=3000):
    """One segment of ``iterations`` iterations, the driver's progress polled from Python every 0.1 s while it runs
    (what ``optimize(progress=True)`` draws its bar from): prints the iteration numbers Python saw."""
    model = Sequential().add(Linear(20, 64)).add(ReLU()).add(Linear(64, 4)).add(LogSoftMax())
    opt = Optimizer(model=model, training_rdd=rdd, criterion=ClassNLLCriterion(), optim_method=SGD(learningrate=0.05),
                    end_trigger=MaxIteration(iterations), batch_size=64)
    worker = threading.Thread(target=opt.optimize, kwargs={"progress": False}, daemon=True)
    start = time.time()
    worker.start()
    seen = set()
    while worker.is_alive():
        seen.add(int(opt.value.progress().iteration()))
        worker.join(0.1)
    print("PROGRESS " + json.dumps({"iterations": iterations, "seen": sorted(seen),
                                    "seconds": round(time.time() - start, 1)}), flush=True)


def storage_memory(sc):
    """Storage memory used on each executor (bytes, by executor host:port; the driver left out)."""
    infos = sc._jsc.sc().statusTracker().getExecutorInfos()
    driver = sc._jsc.sc().getConf().get("spark.driver.host")
    return {f"{i.host()}:{i.port()}": i.usedOnHeapStorageMemory() + i.usedOffHeapStorageMemory()
            for i in infos if not (i.host() == driver and i.port() == int(sc._jsc.sc().getConf().get("spark.driver.port")))}


if __name__ == "__main__":
    main()
