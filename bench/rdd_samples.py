"""Python RDD -> JVM samples: 60,000 MNIST-shaped samples to a cached ``RDD[Sample]``, counted.

Measures, in one run on the same source RDD (cached in the Python workers first, so that its own creation
is not counted):
  - peer: ``rdd.count()``, pyspark reading the same partitions in its Python workers (the floor for any
    path that has to touch every Python element);
  - ember: ``to_sample_rdd(rdd).cache().count()``: packing in the Python workers, bytes to the JVM through
    Spark's partition path, decoding into Samples, caching;
  - reuse: ``count()`` again on the cached samples.
Prints seconds and the ember / peer ratio. Usage: ``.venv/bin/python bench/rdd_samples.py [--n 60000]``.
"""
import argparse
import time

import numpy as np


def mnist_shaped(n, seed=0):
    """Deterministic MNIST-shaped data: (n, 1, 28, 28) float32 in [0, 1) and labels 0..9."""
    rng = np.random.RandomState(seed)
    return rng.rand(n, 1, 28, 28).astype(np.float32), rng.randint(0, 10, n).astype(np.float32)


def timed(f):
    start = time.perf_counter()
    out = f()
    return out, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60000)
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()

    from ember.data.rdd import to_sample_rdd
    from ember.util.common import Sample, init_engine

    sc = init_engine(master=args.master)
    x, y = mnist_shaped(args.n)
    source = sc.parallelize(list(zip(x, y)), args.partitions).map(lambda t: Sample.from_ndarray(t[0], t[1])).cache()
    n, make_source = timed(source.count)
    assert n == args.n
    n_peer, peer = timed(source.count)
    samples = to_sample_rdd(source).cache()
    n_ember, ember = timed(samples.count)
    n_again, again = timed(samples.count)
    assert n_peer == n_ember == n_again == args.n
    print(f"source: {args.n:,} Samples of (1, 28, 28) in {args.partitions} partitions, built and cached in Python "
          f"workers in {make_source:.2f} s")
    print(f"peer  pyspark rdd.count() over the cached Python samples: {peer:.2f} s")
    print(f"ember to_sample_rdd(rdd).cache().count():                {ember:.2f} s "
          f"({args.n / ember:,.0f} samples/s, {ember / peer:.1f}x the peer)")
    print(f"ember count() of the cached JVM samples:                  {again:.2f} s")
    sc.stop()


if __name__ == "__main__":
    main()
