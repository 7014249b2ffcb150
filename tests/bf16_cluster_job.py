"""The job of tests/test_mixed_precision_cluster.py (spark-submitted to a standalone cluster): a few
DistriOptimizer iterations of a small MLP in bf16 mixed precision, on an RDD with one partition per executor.
Prints the driver's effective precision; the test reads what each executor logged."""
import numpy as np
from pyspark import SparkConf

from ember.nn.criterion import ClassNLLCriterion
from ember.nn.layer import Linear, LogSoftMax, ReLU, Sequential
from ember.optim.optimizer import SGD, MaxIteration, Optimizer
from ember.util.common import Sample, init_engine


def main():
    sc = init_engine(seed=1, conf=SparkConf().set("spark.ui.showConsoleProgress", "false"))
    rng = np.random.RandomState(0)
    x = rng.standard_normal((512, 64)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    rdd = sc.parallelize(list(zip(x, y)), 2).map(lambda t: Sample.from_ndarray(t[0], t[1]))
    # 64 rows per task and iteration: the inner products take oneDNN's bf16 path (32 rows or more)
    model = Sequential().add(Linear(64, 64)).add(ReLU()).add(Linear(64, 2)).add(LogSoftMax())
    opt = Optimizer.create(model=model, training_set=rdd, criterion=ClassNLLCriterion(),
                           optim_method=SGD(learningrate=0.1), end_trigger=MaxIteration(4), batch_size=128)
    opt.set_mixed_precision("bf16")
    print(f"DRIVER precision {opt.get_mixed_precision()} optimizer {type(opt).__name__}", flush=True)
    opt.optimize(progress=False)
    print("TRAINED", flush=True)


if __name__ == "__main__":
    main()
