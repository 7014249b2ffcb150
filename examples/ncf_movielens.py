"""Neural recommendation: NeuMF on MovieLens-100k, leave-one-out, ranked among 99 unseen items (HR@10, NDCG@10).

Data: the 100,000 ratings of MovieLens-100k that ship inside the recbole package (``ml-100k.inter``), read
with Spark SQL; every rating counts as an implicit interaction (He et al. 2017, "Neural Collaborative
Filtering"). User and item ids become 0-based indices with ``dense_rank``; each user's latest interaction
(a window over the timestamp) is held out, the rest is the training set. Training: each epoch, Spark tasks
draw 4 items the user never interacted with per training positive, afresh (seeded by epoch and partition);
the new samples replace the previous epoch's with ``set_traindata``, so Adam keeps its moments and the
DistriOptimizer goes on from the same epoch and iteration. Model: ``ember.models.NeuralCF`` (NeuMF: the
GMF and MLP paths, two-class log-probabilities) with the library's default initialisation, trained with
``ClassNLLCriterion``. Evaluation: every user's held-out item among 99 unseen items drawn once (a fixed
seed), placed at a random position of its group of 100; ``HitRatio`` and ``NDCG`` at 10 rank by the
positive class's score, on the executors. Baseline: item popularity (training interactions per item) on
the same candidates, scored by the same validation methods.

Run: ``python examples/ncf_movielens.py`` (or ``spark-submit --jars <ember.jar> examples/ncf_movielens.py``).
"""
import time

import numpy as np

from ember.models import NeuralCF
from ember.nn.criterion import ClassNLLCriterion
from ember.nn.layer import Identity
from ember.optim.optimizer import NDCG, Adam, EveryEpoch, HitRatio, MaxEpoch, Optimizer
from ember.data.rdd import to_sample_rdd
from ember.util.application import application_parser, check_floor, package_data, start_spark
from ember.util.common import init_engine

EVAL_NEGATIVES = 99
GROUP = EVAL_NEGATIVES + 1


def interactions(spark):
    """A DataFrame (user, item, ts) of 0-based user and item indices, and the user and item counts."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    raw = spark.read.csv(package_data("recbole", "dataset_example", "ml-100k", "ml-100k.inter"), sep="\t",
                         header=True)
    df = raw.select(F.col("`user_id:token`").cast("int").alias("user_id"),
                    F.col("`item_id:token`").cast("int").alias("item_id"),
                    F.col("`timestamp:float`").cast("double").alias("ts"))
    df = (df.withColumn("user", F.dense_rank().over(Window.orderBy("user_id")) - 1)
          .withColumn("item", F.dense_rank().over(Window.orderBy("item_id")) - 1)
          .select("user", "item", "ts").cache())
    counts = df.agg(F.countDistinct("user").alias("u"), F.countDistinct("item").alias("i")).first()
    return df, counts.u, counts.i


def leave_one_out(df):
    """(training pairs, held-out pairs): each user's latest interaction (ties: the higher item) held out."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    latest = Window.partitionBy("user").orderBy(F.desc("ts"), F.desc("item"))
    ranked = df.withColumn("r", F.row_number().over(latest))
    train = ranked.where("r > 1").select("user", "item")
    test = ranked.where("r = 1").select("user", "item")
    return train, test


def unseen_items(df, n_items):
    """A small DataFrame (user, unseen): per user, the array of items it never interacted with."""
    from pyspark.sql import functions as F

    every = F.sequence(F.lit(0), F.lit(n_items - 1))
    return df.groupBy("user").agg(F.array_except(every, F.collect_set("item")).alias("unseen"))


def training_frame(train, unseen, negatives, seed):
    """(features, label) rows: every training pair [user, item] with class 1, and ``negatives`` items drawn
    uniformly from the user's unseen items per pair with class 0 (Spark's seeded ``rand``, so each epoch's
    seed gives other negatives)."""
    from pyspark.sql import functions as F

    pair = lambda item: F.array(F.col("user"), item).cast("array<float>")  # noqa: E731
    positive = train.select(pair(F.col("item")).alias("features"), F.lit(1.0).alias("label"))
    draw = (F.floor(F.rand(seed) * F.size("unseen")) + 1).cast("int")
    negative = (train.join(F.broadcast(unseen), "user")
                .select("user", "unseen", F.explode(F.sequence(F.lit(1), F.lit(negatives))).alias("k"))
                .select(pair(F.element_at("unseen", draw)).alias("features"), F.lit(0.0).alias("label")))
    return positive.unionByName(negative)


def evaluation_frame(test, unseen, seed):
    """Groups of 100 consecutive (features, label) rows, one group per user: the held-out item (label 1)
    at a random position among 99 distinct unseen items (label 0), the layout HitRatio and NDCG expect."""
    from pyspark.sql import functions as F

    groups = test.join(F.broadcast(unseen), "user").select(
        "user", "item", F.slice(F.shuffle("unseen", seed), 1, EVAL_NEGATIVES).alias("negatives"),
        F.floor(F.rand(seed) * GROUP).cast("int").alias("at"))
    candidates = F.concat(F.slice("negatives", F.lit(1), F.col("at")), F.array("item"),
                          F.slice("negatives", F.col("at") + 1, F.lit(EVAL_NEGATIVES) - F.col("at")))
    return (groups.select("user", "at", F.posexplode(candidates).alias("position", "candidate"))
            .select(F.array("user", "candidate").cast("array<float>").alias("features"),
                    (F.col("position") == F.col("at")).cast("double").alias("label"), "candidate"))


def popularity_baseline(train, evaluation, batch, metrics):
    """HR@10 and NDCG@10 of ranking each group's items by their number of training interactions."""
    from pyspark.sql import functions as F

    counts = train.groupBy(F.col("item").alias("candidate")).agg(F.count("*").cast("float").alias("score"))
    # a broadcast join streams the evaluation rows in order, so the groups stay together
    scored = evaluation.join(F.broadcast(counts), "candidate", "left").select(
        F.array(F.coalesce("score", F.lit(0.0))).alias("features"), "label")
    return [r.result for r in Identity().evaluate(scored, batch, metrics)]


def run(args, sc=None):
    """Prepares the data, trains, evaluates and returns the figures as a dict."""
    from pyspark.sql import SparkSession

    sc = sc or start_spark(args.master)
    init_engine(seed=args.seed)
    spark = SparkSession.builder.getOrCreate()
    parts = sc.defaultParallelism
    start = time.time()
    df, n_users, n_items = interactions(spark)
    train, test = leave_one_out(df)
    train = train.repartition(parts).cache()
    unseen = unseen_items(df, n_items).cache()
    evaluation = evaluation_frame(test, unseen, args.seed).cache()
    eval_samples = to_sample_rdd(evaluation).cache()
    print(f"MovieLens-100k from recbole: {n_users} users, {n_items} items, {train.count()} training "
          f"interactions, {eval_samples.count() // GROUP} held out; prepared with Spark in {time.time() - start:.1f} s")
    eval_batch = GROUP * 10
    metrics = [HitRatio(10, EVAL_NEGATIVES), NDCG(10, EVAL_NEGATIVES)]

    model = NeuralCF(n_users, n_items, 2, user_embed=args.embed, item_embed=args.embed,
                     hidden_layers=args.hidden, mf_embed=args.mf_embed)
    optimizer = None
    start = time.time()
    for epoch in range(1, args.epochs + 1):
        samples = training_frame(train, unseen, args.negatives, args.seed * 7919 + epoch)
        if optimizer is None:
            optimizer = Optimizer(model=model, training_rdd=samples, criterion=ClassNLLCriterion(),
                                  optim_method=Adam(learningrate=args.learning_rate), end_trigger=MaxEpoch(1),
                                  batch_size=args.batch_size)
            optimizer.set_validation(batch_size=eval_batch, val_rdd=eval_samples, trigger=EveryEpoch(),
                                     val_method=metrics)
        else:
            optimizer.set_traindata(samples).set_end_when(MaxEpoch(epoch))
        optimizer.optimize(progress=args.progress)
    seconds = time.time() - start
    hr, ndcg = (r.result for r in model.evaluate(eval_samples, eval_batch, metrics))
    base_hr, base_ndcg = popularity_baseline(train, evaluation, eval_batch, metrics)
    print(f"trained {args.epochs} epochs ({args.negatives} fresh negatives per positive each) in {seconds:.1f} s")
    print(f"held-out items of {n_users} users among {EVAL_NEGATIVES} unseen ones: NeuMF HR@10 {hr:.4f} "
          f"NDCG@10 {ndcg:.4f}; baseline item popularity HR@10 {base_hr:.4f} NDCG@10 {base_ndcg:.4f}")
    return {"hr": hr, "ndcg": ndcg, "baseline_hr": base_hr, "baseline_ndcg": base_ndcg, "seconds": seconds}


def parser():
    p = application_parser(__doc__, epochs=20, batch_size=256, learning_rate=1e-3)
    p.add_argument("--negatives", type=int, default=4, help="unseen items drawn per training positive, each epoch")
    p.add_argument("--embed", type=int, default=20, help="MLP user and item embedding size")
    p.add_argument("--mf-embed", type=int, default=20, help="GMF embedding size")
    p.add_argument("--hidden", type=int, nargs="+", default=[40, 20, 10], help="MLP layer sizes")
    p.add_argument("--min-hr", type=float, default=0.60, help="exit with an error below this HR@10")
    p.add_argument("--min-ndcg", type=float, default=0.33, help="exit with an error below this NDCG@10")
    return p


def main():
    args = parser().parse_args()
    result = run(args)
    check_floor("HR@10", result["hr"], args.min_hr, result["baseline_hr"])
    check_floor("NDCG@10", result["ndcg"], args.min_ndcg, result["baseline_ndcg"])


if __name__ == "__main__":
    main()
