"""A job that ``test_cluster.py`` sends to the standalone cluster with ``spark-submit``: trains a small network with
a PythonModule (swish), a Lambda (reversing the features) and a PythonCriterion (mean squared error) on an RDD in
two partitions, so that the DistriOptimizer's tasks on both executors call the Python functions (``jep_probe``)
inside their JVMs through jep. Prints one line, ``JEP {"before": ..., "after": ..., "accuracy": ...}`` (losses of
the model on the training data, on the executors through ``predict`` of an RDD).

The executors import ``jep_probe`` from the PYTHONPATH the test gives them (spark.executorEnv.PYTHONPATH) and
find Python and jep from ``spark.ember.python`` (set by Ember's create_spark_conf to the driver's interpreter).
"""
import json

import numpy as np

import jep_probe
from ember.nn.criterion import PythonCriterion
from ember.nn.layer import Lambda, Linear, PythonModule, Sequential, Sigmoid
from ember.optim.optimizer import SGD, MaxEpoch, Optimizer
from ember.util.common import init_engine


def main():
    sc = init_engine(seed=5)
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (512, 3)).astype(np.float32)
    y = (x @ np.array([0.5, -1.0, 0.25], np.float32) > 0).astype(np.float32)
    rdd = sc.parallelize([(x[i], np.array([y[i]], np.float32)) for i in range(len(y))], 2).cache()
    model = (Sequential().add(Linear(3, 8)).add(PythonModule(jep_probe.swish, jep_probe.swish_backward))
             .add(Lambda(jep_probe.reverse)).add(Linear(8, 1)).add(Sigmoid()))
    features = sc.parallelize(list(x), 2)

    def loss():
        p = np.array(model.predict(features).collect()).reshape(-1)
        return float(np.mean((p - y) ** 2)), float(np.mean((p > 0.5) == (y > 0.5)))

    before, _ = loss()
    criterion = PythonCriterion(jep_probe.mse_loss, jep_probe.mse_gradient)
    opt = Optimizer(model=model, training_rdd=rdd, criterion=criterion, optim_method=SGD(learningrate=0.5),
                    end_trigger=MaxEpoch(30), batch_size=32)
    opt.optimize(progress=False)
    after, accuracy = loss()
    print("JEP " + json.dumps({"before": before, "after": after, "accuracy": accuracy}), flush=True)
    sc.stop()


if __name__ == "__main__":
    main()
