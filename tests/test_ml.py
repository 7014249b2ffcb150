"""ember.ml / ember.nnframes from Python (classic py4j session): params and BigDL setters, Pipeline and tuning,
persistence across Scala and Python, preprocessing stages against numpy, and bad input as Python errors."""
import numpy as np
import pytest
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.evaluation import MulticlassClassificationEvaluator
from pyspark.ml.linalg import Vectors
from pyspark.ml.tuning import ParamGridBuilder, TrainValidationSplit

from ember.errors import EmberValueError
from ember.nn.criterion import ClassNLLCriterion
from ember.nn.layer import Linear, LogSoftMax, ReLU, Sequential


@pytest.fixture(scope="module")
def spark(sc):
    from pyspark.sql import SparkSession

    return SparkSession.builder.getOrCreate()


def _net(classes=3):
    return Sequential().add(Linear(4, 12)).add(ReLU()).add(Linear(12, classes)).add(LogSoftMax())


@pytest.fixture(scope="module")
def blobs(spark):
    rng = np.random.RandomState(0)
    rows = []
    for i in range(240):
        c = i % 3
        x = rng.normal(0, 0.3, 4)
        x[c] += 3.0
        rows.append((i, Vectors.dense(x.tolist()), float(c)))
    return spark.createDataFrame(rows, ["id", "features", "label"]).repartition(2)


def test_bigdl_names_and_setters():
    from ember.ml import NNClassifier as A
    from ember.nnframes import NNClassifier, NNClassifierModel, NNEstimator, NNImageReader, NNModel  # noqa: F401

    assert NNClassifier is A
    clf = NNClassifier(_net(), ClassNLLCriterion(), [4])
    clf.setBatchSize(16).setMaxEpoch(3).setLearningRate(0.1).setFeaturesCol("f").setLabelCol("y")
    assert (clf.getBatchSize(), clf.getMaxEpoch(), clf.getLearningRate()) == (16, 3, 0.1)
    assert clf.getFeatureSize() == [4] and clf.getFeaturesCol() == "f" and clf.getLabelCol() == "y"
    assert "ClassNLLCriterion" in clf.getOrDefault("criterion")
    with pytest.raises(TypeError, match="unknown parameter 'nope'"):
        NNClassifier(_net(), nope=1)
    with pytest.raises(ValueError, match="featureSize must hold positive sizes"):
        clf.setFeatureSize([0, 3])


def test_fit_transform_keeps_rows_and_columns(spark, blobs):
    from ember.ml import NNClassifier

    model = NNClassifier(_net(), batchSize=16, maxEpoch=6, learningRate=0.1).fit(blobs)
    out = model.transform(blobs)
    assert out.columns == ["id", "features", "label", "prediction", "rawPrediction", "probability"]
    assert sorted(r.id for r in out.select("id").collect()) == list(range(240))
    assert MulticlassClassificationEvaluator(metricName="accuracy").evaluate(out) > 0.95
    # the network itself (getModel) gives the same raw output as the transform
    row = out.orderBy("id").first()
    raw = model.getModel().forward(np.array([row.features.toArray()], np.float32))[0]
    np.testing.assert_allclose(raw, row.rawPrediction.toArray(), rtol=1e-5, atol=1e-5)


def test_train_validation_split_grid_over_batch_size_and_max_epoch(spark, blobs):
    from ember.ml import NNClassifier

    clf = NNClassifier(_net(), learningRate=0.1)
    grid = ParamGridBuilder().addGrid(clf.batchSize, [16, 64]).addGrid(clf.maxEpoch, [1, 4]).build()
    tvs = TrainValidationSplit(estimator=clf, estimatorParamMaps=grid, trainRatio=0.7, seed=3,
                               evaluator=MulticlassClassificationEvaluator(metricName="accuracy"))
    fitted = tvs.fit(blobs)
    assert len(fitted.validationMetrics) == 4
    # more epochs with smaller batches (more updates) is never worse here than 1 epoch of batch 64
    metrics = dict(zip([(m[clf.batchSize], m[clf.maxEpoch]) for m in grid], fitted.validationMetrics))
    assert metrics[(16, 4)] >= metrics[(64, 1)]
    assert metrics[(16, 4)] > 0.9


def test_python_saved_pipeline_loads_in_scala_and_back(spark, blobs, tmp_path):
    from ember.ml import NNClassifier, NNClassifierModel

    fitted = Pipeline(stages=[NNClassifier(_net(), batchSize=16, maxEpoch=2, learningRate=0.1)]).fit(blobs)
    path = str(tmp_path / "py_pipeline")
    fitted.write().save(path)
    expected = [r.rawPrediction for r in fitted.transform(blobs).orderBy("id").select("rawPrediction").collect()]
    # Scala reads what Python wrote
    jvm = spark.sparkContext._jvm
    jmodel = jvm.org.apache.spark.ml.PipelineModel.load(path)
    from pyspark.sql import DataFrame

    scala_out = DataFrame(jmodel.transform(blobs._jdf), spark).orderBy("id").select("rawPrediction").collect()
    assert [r.rawPrediction for r in scala_out] == expected
    # Python reads what Scala writes
    scala_path = str(tmp_path / "scala_pipeline")
    jmodel.write().save(scala_path)
    loaded = PipelineModel.load(scala_path)
    assert isinstance(loaded.stages[0], NNClassifierModel)
    assert [r.rawPrediction for r in loaded.transform(blobs).orderBy("id").select("rawPrediction").collect()] == expected


def test_scala_built_and_saved_estimator_loads_in_python(spark, tmp_path):
    from ember.ml import NNClassifier

    jvm = spark.sparkContext._jvm
    jest = jvm.ember.ml.NNClassifier(_net().value).setBatchSize(8).setMaxEpoch(3)
    path = str(tmp_path / "scala_estimator")
    jest.write().save(path)
    est = NNClassifier.load(path)
    assert (est.getBatchSize(), est.getMaxEpoch()) == (8, 3)
    assert est.getOrDefault("modelFile")  # the network came back from model.ember


def test_bad_input_is_a_python_value_error_naming_the_column(spark, blobs):
    from ember.ml import NNClassifier

    clf = NNClassifier(_net(), batchSize=16, maxEpoch=1)
    with pytest.raises(EmberValueError, match="no features column 'pixels'"):
        clf.copy().setFeaturesCol("pixels").fit(blobs)
    with pytest.raises(EmberValueError, match="label column 'label': value 7.0 is not a 0-based class index"):
        clf.fit(blobs.selectExpr("id", "features", "7.0 as label"))
    ragged = spark.createDataFrame([([1.0, 2.0, 3.0, 4.0], 0.0), ([1.0], 1.0)], ["features", "label"])
    with pytest.raises(EmberValueError, match="column 'features': a row has 1 values"):
        clf.fit(ragged)
    wide = spark.createDataFrame([([1.0, 2.0, 3.0], 0.0)], ["features", "label"])
    with pytest.raises(EmberValueError, match=r"does not accept features of shape \[3\] from column 'features'"):
        clf.fit(wide)
    with pytest.raises(TypeError, match="model must be an ember.nn model"):
        NNClassifier(42)


def _with_label(schema):
    """``schema`` plus a double "label" column (a new StructType: ``StructType.add`` would change pyspark's own)."""
    from pyspark.sql.types import DoubleType, StructField, StructType

    return StructType(list(schema.fields) + [StructField("label", DoubleType())])


def _image_frame(spark, pixels):
    """One image (H x W x C uint8, stored as BGR like Spark's reader) in Spark's image schema."""
    from pyspark.ml.image import ImageSchema

    h, w, c = pixels.shape
    row = ("mem://x", h, w, c, {1: 0, 3: 16}[c], bytearray(pixels.tobytes()))
    return spark.createDataFrame([(row,)], ImageSchema.imageSchema)


def test_image_stages_against_numpy(spark):
    from ember.ml import ImageCenterCrop, ImageHFlip, ImageResize, ImageToTensor

    rng = np.random.RandomState(3)
    img = rng.randint(0, 256, (6, 8, 3)).astype(np.uint8)
    df = _image_frame(spark, img)

    def pixels(frame, col="image"):
        r = frame.select(col).first()[0]
        return np.frombuffer(bytes(r.data), np.uint8).reshape(r.height, r.width, r.nChannels)

    np.testing.assert_array_equal(pixels(ImageCenterCrop(4, 4).transform(df)), img[1:5, 2:6])
    np.testing.assert_array_equal(pixels(ImageHFlip().transform(df)), img[:, ::-1])
    # resizing to half size with aligned centres averages each 2x2 block (rounded)
    half = pixels(ImageResize(3, 4).transform(df)).astype(np.float64)
    blocks = img.astype(np.float64).reshape(3, 2, 4, 2, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(half, blocks, atol=0.51)
    mean, std = [0.1, 0.2, 0.3], [0.5, 0.25, 2.0]
    out = ImageToTensor(mean=mean, std=std, outputCol="t").transform(df).select("t").first()[0]
    rgb = img[:, :, ::-1].astype(np.float64) / 255.0
    expected = ((rgb - mean) / std).transpose(2, 0, 1).reshape(-1)
    np.testing.assert_allclose(np.array(out), expected, rtol=1e-5, atol=1e-6)


def test_sequence_shaper(spark):
    from ember.ml import SequenceShaper

    df = spark.createDataFrame([(["a", "b", "zz"],), (["b", "a", "b", "a", "c"],)], ["tokens"])
    out = SequenceShaper(4, inputCol="tokens", outputCol="ids").setVocabulary(["a", "b", "c"]).transform(df)
    assert [r.ids for r in out.collect()] == [[1, 2, 4, 0], [2, 1, 2, 1]]
    pre = SequenceShaper(3, inputCol="ids", padding="pre", truncating="pre").transform(
        spark.createDataFrame([([5, 6],), ([1, 2, 3, 4],)], ["ids"]))
    assert [r.ids for r in pre.collect()] == [[0, 5, 6], [2, 3, 4]]


def test_feature_preprocessing_in_the_estimator_and_model(spark, tmp_path):
    from ember.ml import ImageToTensor, NNClassifier, NNClassifierModel

    rng = np.random.RandomState(5)
    rows = []
    from pyspark.ml.image import ImageSchema

    for i in range(60):
        label = i % 2
        img = rng.randint(0, 60, (4, 4, 1)).astype(np.uint8)
        if label:
            img[:, :2] += 150  # bright left half
        rows.append(((f"mem://{i}", 4, 4, 1, 0, bytearray(img.tobytes())), float(label)))
    df = spark.createDataFrame([(r[0], r[1]) for r in rows], _with_label(ImageSchema.imageSchema))
    net = Sequential().add(Linear(16, 2)).add(LogSoftMax())
    clf = NNClassifier(net, feature_size=[16], featuresCol="image", batchSize=10, maxEpoch=15, learningRate=0.5)
    clf.setFeaturePreprocessing([ImageToTensor()])
    model = clf.fit(df)
    out = model.transform(df)
    assert "__ember_features" not in out.columns and out.count() == 60
    assert MulticlassClassificationEvaluator(metricName="accuracy").evaluate(out) == 1.0
    path = str(tmp_path / "with_preprocessing")
    model.write().save(path)
    again = NNClassifierModel.load(path).transform(df)
    assert [r.prediction for r in again.collect()] == [r.prediction for r in out.collect()]


def test_nnmodel_from_a_network_scores_like_forward(spark, blobs):
    from ember.ml import NNModel

    net = Sequential().add(Linear(4, 2))
    out = NNModel(net, feature_size=[4]).transform(blobs).orderBy("id").limit(5).collect()
    x = np.array([r.features.toArray() for r in out], np.float32)
    np.testing.assert_allclose(np.array([r.prediction for r in out]), net.forward(x), rtol=1e-5, atol=1e-5)


def test_image_struct_as_features(spark):
    """Spark's image schema read directly as CHW features (no preprocessing stage)."""
    from pyspark.ml.image import ImageSchema

    from ember.ml import NNClassifier

    rng = np.random.RandomState(9)
    rows = []
    for i in range(40):
        img = rng.randint(0, 40, (2, 3, 1)).astype(np.uint8)
        if i % 2:
            img[0] += 200
        rows.append(((f"mem://{i}", 2, 3, 1, 0, bytearray(img.tobytes())), float(i % 2)))
    df = spark.createDataFrame(rows, _with_label(ImageSchema.imageSchema))
    net = Sequential().add(Linear(6, 2)).add(LogSoftMax())
    with pytest.raises(EmberValueError, match=r"does not accept features of shape \[1, 2, 3\] from column 'image'"):
        NNClassifier(net, featuresCol="image", maxEpoch=1).fit(df)  # the image's own shape is CHW
    clf = NNClassifier(net, feature_size=[6], featuresCol="image", batchSize=8, maxEpoch=10, learningRate=0.001)
    model = clf.fit(df)
    assert model.getFeatureSize() == [6]
    assert MulticlassClassificationEvaluator(metricName="accuracy").evaluate(model.transform(df)) >= 0.9
