"""Imbalanced detection: who buys caravan insurance (6 % positives), class-weighted MLP against LogisticRegression.

Data: the 5,822 customers x 85 attributes of the Caravan insurance data (CoIL 2000) that ship inside the
ISLP package, read with Spark. Per seed: a stratified split done with Spark SQL (within each class, rows
ordered by a seeded ``rand`` and the first 80 % kept for training, so both splits have the same share of
buyers; the splits of all seeds in one pass, cached, their class counts in one job); features assembled
and standardised with Spark ML (``VectorAssembler``, ``StandardScaler`` fitted on the training rows); class
weights inversely proportional to the training class counts given to ``ClassNLLCriterion``. Model: a
small MLP (85 -> hidden -> 2, dropout) trained by the DistriOptimizer from the DataFrame. Metrics on the
held-out rows: area under the precision-recall curve (the metric that matters with 6 % positives) and
under the ROC curve, with Ember's ``PrecisionRecallAUC`` and ``ROCAUC`` on the executors. Baseline, on the
same split and features: MLlib's LogisticRegression with the same class weights (``weightCol``), scored by
Spark's ``BinaryClassificationEvaluator`` (the same definitions). Every figure is reported as mean and
standard deviation over the seeds.

Run: ``python examples/fraud_caravan.py`` (or ``spark-submit --jars <ember.jar> examples/fraud_caravan.py``).
"""
import time

import numpy as np

from ember.nn.criterion import ClassNLLCriterion
from ember.nn.layer import Dropout, Linear, LogSoftMax, ReLU, Sequential
from ember.optim.optimizer import ROCAUC, Adam, MaxEpoch, Optimizer, PrecisionRecallAUC
from ember.util.application import application_parser, check_floor, package_data, start_spark
from ember.util.common import init_engine


def customers(spark):
    """A DataFrame of the 85 numeric attributes and ``label`` (1.0 for a caravan policy buyer), cached."""
    from pyspark.sql import functions as F

    # every column but Purchase holds whole numbers: cast below instead of a schema-inference pass over the file
    df = spark.read.csv(package_data("ISLP", "data", "Caravan.csv"), header=True)
    attributes = [c for c in df.columns if c != "Purchase"]
    return df.select(*[F.col(c).cast("double") for c in attributes],
                     (F.col("Purchase") == "Yes").cast("double").alias("label")).cache(), attributes


def stratified_splits(df, share, seeds, partitions):
    """One cached DataFrame: ``df`` with a boolean column ``train_<seed>`` per seed, true for a seeded random
    ``share`` of the rows within each class (ranked by ``rand(seed)``), computed in one pass for all seeds and
    spread over ``partitions`` (the class window leaves it in Spark's 200 SQL shuffle partitions, which every
    later job - the scaler, each L-BFGS step - would visit); and the class counts of every split as
    {seed: {label: (training rows, held-out rows)}}, from one job."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    by_class = Window.partitionBy("label")
    flags = [(F.percent_rank().over(by_class.orderBy(F.rand(seed))) < share).alias(f"train_{seed}") for seed in seeds]
    splits = df.select("*", *flags).repartition(partitions).cache()
    count = lambda condition: F.sum(condition.cast("int"))  # noqa: E731
    labels = (0.0, 1.0)
    sums = splits.agg(*[count(F.col("label") == c).alias(f"n{c:.0f}") for c in labels],
                      *[count((F.col("label") == c) & F.col(f"train_{s}")).alias(f"t{c:.0f}_{s}")
                        for c in labels for s in seeds]).first()
    return splits, {s: {c: (sums[f"t{c:.0f}_{s}"], sums[f"n{c:.0f}"] - sums[f"t{c:.0f}_{s}"]) for c in labels}
                    for s in seeds}


def with_features(train, test, attributes, counts):
    """Both splits with a standardised ``features`` vector (the scaler fitted on ``train``) and a ``weight``
    column: n / (2 n_c) for a row of class c, n_c the training rows of class c (``counts``: {label: n_c})."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import StandardScaler, VectorAssembler
    from pyspark.sql import functions as F

    prep = Pipeline(stages=[VectorAssembler(inputCols=attributes, outputCol="raw"),
                            StandardScaler(inputCol="raw", outputCol="features", withMean=True, withStd=True)])
    model = prep.fit(train)
    n = sum(counts.values())
    weights = {c: n / (2.0 * k) for c, k in counts.items()}
    weight = F.when(F.col("label") == 1.0, weights[1.0]).otherwise(weights[0.0])
    out = [model.transform(d).select("features", "label", weight.alias("weight")).cache() for d in (train, test)]
    return out[0], out[1], [weights[0.0], weights[1.0]]


def mlp(inputs, hidden, dropout):
    return (Sequential().add(Linear(inputs, hidden)).add(ReLU()).add(Dropout(dropout))
            .add(Linear(hidden, 2)).add(LogSoftMax()))


def train_mlp(train, test, class_weights, inputs, args):
    """Trains the MLP with the class-weighted loss; returns (PR-AUC, ROC-AUC) on ``test`` and the seconds."""
    model = mlp(inputs, args.hidden, args.dropout)
    optimizer = Optimizer(model=model, training_rdd=train, criterion=ClassNLLCriterion(weights=class_weights),
                          optim_method=Adam(learningrate=args.learning_rate),
                          end_trigger=MaxEpoch(args.epochs), batch_size=args.batch_size)
    start = time.time()
    optimizer.optimize(progress=args.progress)
    seconds = time.time() - start
    pr, roc = model.evaluate(test, 512, [PrecisionRecallAUC(), ROCAUC()])
    return pr.result, roc.result, seconds


def logistic_baseline(train, test, iterations):
    """(PR-AUC, ROC-AUC) of MLlib's class-weighted LogisticRegression (at most ``iterations`` L-BFGS steps,
    one Spark job each) on the same split and features."""
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.evaluation import BinaryClassificationEvaluator

    predictions = LogisticRegression(weightCol="weight", maxIter=iterations, regParam=1e-2).fit(train).transform(test)
    evaluator = BinaryClassificationEvaluator(rawPredictionCol="rawPrediction")
    return (evaluator.setMetricName("areaUnderPR").evaluate(predictions),
            evaluator.setMetricName("areaUnderROC").evaluate(predictions))


def summary(values):
    return float(np.mean(values)), float(np.std(values))


def run(args, sc=None):
    """Runs every seed and returns the per-seed figures and their mean and spread as a dict."""
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    sc = sc or start_spark(args.master)
    spark = SparkSession.builder.getOrCreate()
    df, attributes = customers(spark)
    seeds = list(range(args.seed, args.seed + args.seeds))
    splits, counts = stratified_splits(df, args.train_share, seeds, sc.defaultParallelism)
    rows = {label: sum(c) for label, c in counts[seeds[0]].items()}
    print(f"Caravan from ISLP: {sum(rows.values())} customers, {int(rows[1.0])} buyers "
          f"({rows[1.0] / sum(rows.values()):.1%}), {len(attributes)} attributes")
    runs = []
    for seed in seeds:
        init_engine(seed=seed)
        flag = F.col(f"train_{seed}")
        train, test, class_weights = with_features(splits.where(flag), splits.where(~flag), attributes,
                                                   {label: c[0] for label, c in counts[seed].items()})
        pr, roc, seconds = train_mlp(train, test, class_weights, len(attributes), args)
        base_pr, base_roc = logistic_baseline(train, test, args.baseline_iterations)
        held_out = {label: c[1] for label, c in counts[seed].items()}
        runs.append({"pr": pr, "roc": roc, "baseline_pr": base_pr, "baseline_roc": base_roc, "seconds": seconds,
                     "held_out": held_out})
        print(f"seed {seed}: {held_out[1.0]} buyers among {sum(held_out.values())} held-out customers; "
              f"MLP PR-AUC {pr:.4f} ROC-AUC {roc:.4f} ({seconds:.1f} s); "
              f"LogisticRegression PR-AUC {base_pr:.4f} ROC-AUC {base_roc:.4f}")
        train.unpersist()
        test.unpersist()
    splits.unpersist()
    result = {k: summary([r[k] for r in runs]) for k in ("pr", "roc", "baseline_pr", "baseline_roc", "seconds")}
    result["runs"] = runs
    print(f"over {len(runs)} seeds (mean +- std): MLP PR-AUC {result['pr'][0]:.4f} +- {result['pr'][1]:.4f}, "
          f"ROC-AUC {result['roc'][0]:.4f} +- {result['roc'][1]:.4f}; baseline LogisticRegression PR-AUC "
          f"{result['baseline_pr'][0]:.4f} +- {result['baseline_pr'][1]:.4f}, ROC-AUC "
          f"{result['baseline_roc'][0]:.4f} +- {result['baseline_roc'][1]:.4f}")
    return result


def parser():
    p = application_parser(__doc__, epochs=10, batch_size=256, learning_rate=5e-3)
    p.add_argument("--seeds", type=int, default=5, help="splits and initialisations, from --seed on")
    p.add_argument("--train-share", type=float, default=0.8)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--dropout", type=float, default=0.5)
    p.add_argument("--baseline-iterations", type=int, default=100, help="LogisticRegression's maxIter")
    p.add_argument("--min-roc-auc", type=float, default=0.70, help="exit with an error below this mean ROC-AUC")
    return p


def main():
    args = parser().parse_args()
    result = run(args)
    check_floor("mean ROC-AUC", result["roc"][0], args.min_roc_auc)


if __name__ == "__main__":
    main()
