"""A Spark Connect client using Ember's pipeline stages (run by tests/test_ml_connect.py in its own process: a
Python process is either a classic py4j client or a Connect client, not both).

It starts a local Connect server (``SparkSession.builder.remote("local[2]")``) with Ember's jar on the server's
class path, and from the client, which has no JVM of its own to talk to (every ember.ml call below is a
Connect ML command or relation, no py4j), fits NNClassifier on one DataFrame and transforms another:
with the network as a JVM-free ModuleSpec description, and as a model file given by path; then in a
Pipeline after VectorAssembler, a saved and reloaded model, SequenceShaper as a standalone Transformer and a
bad column. Prints one JSON line of results.
"""
import json
import sys

import numpy as np


def blobs(spark, n, seed):
    rng = np.random.RandomState(seed)
    rows = []
    for i in range(n):
        c = i % 3
        x = rng.normal(0, 0.3, 4)
        x[c] += 3.0
        rows.append((i, [float(v) for v in x], float(c)))
    return spark.createDataFrame(rows, ["id", "features", "label"])


def main(jars, class_path, model_path, save_dir):
    from pyspark.ml import Pipeline
    from pyspark.ml.evaluation import MulticlassClassificationEvaluator
    from pyspark.ml.feature import VectorAssembler
    from pyspark.sql import SparkSession, is_remote

    spark = (SparkSession.builder.remote("local[2]").config("spark.jars", jars)
             .config("spark.driver.extraClassPath", class_path).getOrCreate())
    from ember.ml import NNClassifier, NNClassifierModel, SequenceShaper, spec

    out = {"remote": is_remote()}
    train, test = blobs(spark, 240, 1), blobs(spark, 60, 2)
    accuracy = MulticlassClassificationEvaluator(metricName="accuracy")

    net = spec.sequential(spec.layer("Linear", inputSize=4, outputSize=12, withBias=True), spec.layer("ReLU", ip=False),
                          spec.layer("Linear", inputSize=12, outputSize=3, withBias=True), spec.layer("LogSoftMax"))
    clf = NNClassifier(net, featureSize=[4], batchSize=16, maxEpoch=6, learningRate=0.1)
    model = clf.fit(train)
    scored = model.transform(test)
    out["columns"] = scored.columns
    out["rows"] = scored.count()
    out["accuracy_structure"] = accuracy.evaluate(scored)

    from_file = NNClassifier(model_path, featureSize=[4], batchSize=16, maxEpoch=6, learningRate=0.1).fit(train)
    out["accuracy_model_file"] = accuracy.evaluate(from_file.transform(test))

    vec_train = train.selectExpr("id", "label", "features[0] as a", "features[1] as b", "features[2] as c",
                                 "features[3] as d")
    pipe = Pipeline(stages=[VectorAssembler(inputCols=["a", "b", "c", "d"], outputCol="features"),
                            NNClassifier(net, batchSize=16, maxEpoch=6, learningRate=0.1)]).fit(vec_train)
    out["accuracy_pipeline"] = accuracy.evaluate(pipe.transform(vec_train))

    path = save_dir + "/connect_model"
    model.write().save(path)
    reloaded = NNClassifierModel.load(path)
    a = [r.prediction for r in model.transform(test).orderBy("id").collect()]
    b = [r.prediction for r in reloaded.transform(test).orderBy("id").collect()]
    out["reloaded_same"] = a == b

    tokens = spark.createDataFrame([(["a", "b", "zz"],)], ["tokens"])
    shaped = SequenceShaper(4, inputCol="tokens", outputCol="ids").setVocabulary(["a", "b"]).transform(tokens)
    out["shaped"] = shaped.first().ids

    try:
        NNClassifier(net, featuresCol="pixels", maxEpoch=1).fit(train)
        out["bad_column"] = None
    except Exception as e:  # the server's IllegalArgumentException, as pyspark's Connect error
        out["bad_column"] = f"{type(e).__name__}: {e}"
    print("RESULT " + json.dumps(out))
    spark.stop()


if __name__ == "__main__":
    main(*sys.argv[1:5])
