"""Images in a Spark ML pipeline: an image DataFrame -> ImageResize -> ImageToTensor -> NNClassifier (a small CNN).

scikit-learn's 8x8 handwritten digits are written as PNG files into a temporary directory (the label in the
file name), read back with ``spark.read.format("image")`` (Ember's ``NNImageReader.readImages``), resized to
16x16 and turned into normalised CHW float tensors by Ember's JVM preprocessing stages, and classified by a
convolutional network trained with NNClassifier.

Run: ``python examples/pipeline_images.py``.
"""
import os
import struct
import tempfile
import zlib

from pyspark.ml import Pipeline
from pyspark.ml.evaluation import MulticlassClassificationEvaluator
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from ember.ml import ImageResize, ImageToTensor, NNClassifier, NNImageReader
from ember.nn.layer import Linear, LogSoftMax, ReLU, Reshape, Sequential, SpatialConvolution, SpatialMaxPooling


def write_png(path, pixels):
    """Writes a 2-D uint8 numpy array as an 8-bit grayscale PNG (no imaging library needed)."""
    h, w = pixels.shape
    raw = b"".join(b"\x00" + bytes(pixels[y].tolist()) for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def digits_as_png(directory, count):
    """The first ``count`` scikit-learn digits as ``digit_<label>_<i>.png`` files (0..16 scaled to 0..255)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    for i in range(min(count, len(digits.target))):
        pixels = (digits.images[i] * (255.0 / 16.0)).round().astype("uint8")
        write_png(os.path.join(directory, f"digit_{digits.target[i]}_{i}.png"), pixels)
    return directory


def run(spark, count=800, max_epoch=8, directory=None):
    directory = digits_as_png(directory or tempfile.mkdtemp(prefix="ember-digits-"), count)
    images = NNImageReader.readImages(directory, spark) \
        .withColumn("label", F.regexp_extract("image.origin", r"digit_(\d)_", 1).cast("double")).cache()
    train, test = images.randomSplit([0.8, 0.2], seed=3)
    net = (Sequential()
           .add(SpatialConvolution(1, 8, 3, 3, pad_w=1, pad_h=1)).add(ReLU())
           .add(SpatialMaxPooling(2, 2, 2, 2))
           .add(Reshape([8 * 8 * 8])).add(Linear(8 * 8 * 8, 10)).add(LogSoftMax()))
    pipeline = Pipeline(stages=[
        ImageResize(16, 16, inputCol="image", outputCol="resized"),
        ImageToTensor(inputCol="resized", outputCol="features", mean=[0.5], std=[0.5]),
        NNClassifier(net, feature_size=[1, 16, 16], batchSize=32, maxEpoch=max_epoch, learningRate=0.05),
    ])
    model = pipeline.fit(train)
    evaluator = MulticlassClassificationEvaluator(metricName="accuracy")
    return {"accuracy": evaluator.evaluate(model.transform(test)), "images": images.count()}


if __name__ == "__main__":
    from ember.util.common import init_engine

    init_engine()
    result = run(SparkSession.builder.getOrCreate())
    print(f"{result['images']} digit images: test accuracy {result['accuracy']:.3f}")
