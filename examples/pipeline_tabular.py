"""Tabular data in a Spark ML pipeline: VectorAssembler -> StandardScaler -> NNClassifier, tuned by CrossValidator.

The iris measurements (scikit-learn ships them) become a DataFrame of four numeric columns; the pipeline
assembles and standardises them and trains a small MLP with Ember's distributed optimizer. CrossValidator
picks the learning rate from a ParamGridBuilder grid; the best PipelineModel is saved (the network as Ember's
model file inside the pipeline directory) and loaded back, and both score the held-out rows identically.

Run: ``python examples/pipeline_tabular.py`` (or ``make install`` first in a fresh clone).
"""
import os
import tempfile

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.evaluation import MulticlassClassificationEvaluator
from pyspark.ml.feature import StandardScaler, VectorAssembler
from pyspark.ml.tuning import CrossValidator, ParamGridBuilder
from pyspark.sql import SparkSession

from ember.nn.criterion import ClassNLLCriterion
from ember.nn.layer import Linear, LogSoftMax, ReLU, Sequential
from ember.nnframes import NNClassifier

COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def iris_frame(spark):
    from sklearn.datasets import load_iris

    data = load_iris()
    rows = [tuple(float(v) for v in x) + (float(y),) for x, y in zip(data.data, data.target)]
    return spark.createDataFrame(rows, COLUMNS + ["label"])


def run(spark, folds=2, max_epoch=20, save_dir=None):
    """Trains, tunes, saves and reloads; returns the test accuracies and the chosen learning rate."""
    train, test = iris_frame(spark).randomSplit([0.7, 0.3], seed=11)
    net = Sequential().add(Linear(4, 16)).add(ReLU()).add(Linear(16, 3)).add(LogSoftMax())
    clf = NNClassifier(net, ClassNLLCriterion(), [4], batchSize=16, maxEpoch=max_epoch)
    pipeline = Pipeline(stages=[
        VectorAssembler(inputCols=COLUMNS, outputCol="raw"),
        StandardScaler(inputCol="raw", outputCol="features", withMean=True, withStd=True),
        clf,
    ])
    grid = ParamGridBuilder().addGrid(clf.learningRate, [0.005, 0.2]).build()
    evaluator = MulticlassClassificationEvaluator(metricName="accuracy")
    cv = CrossValidator(estimator=pipeline, estimatorParamMaps=grid, evaluator=evaluator, numFolds=folds, seed=7)
    cv_model = cv.fit(train)
    best = cv_model.bestModel
    chosen = max(zip(cv_model.avgMetrics, cv_model.getEstimatorParamMaps()), key=lambda m: m[0])[1]
    accuracy = evaluator.evaluate(best.transform(test))
    path = os.path.join(save_dir or tempfile.mkdtemp(prefix="ember-pipeline-"), "iris_pipeline")
    best.write().overwrite().save(path)
    reloaded = PipelineModel.load(path)
    return {
        "accuracy": accuracy,
        "reloaded_accuracy": evaluator.evaluate(reloaded.transform(test)),
        "learning_rate": chosen[clf.learningRate],
        "path": path,
    }


if __name__ == "__main__":
    from ember.util.common import init_engine

    init_engine()
    result = run(SparkSession.builder.getOrCreate())
    print(f"test accuracy {result['accuracy']:.3f} (reloaded {result['reloaded_accuracy']:.3f}), "
          f"learning rate chosen {result['learning_rate']}, saved in {result['path']}")
