package ember.ml

import java.nio.file.Files

import ember.nn.{Linear, LogSoftMax, MSECriterion, ReLU, Sequential}
import ember.tensor.RandomGenerator
import org.apache.spark.ml.{Pipeline, PipelineModel}
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator
import org.apache.spark.ml.feature.VectorAssembler
import org.apache.spark.ml.linalg.{Vector, Vectors}
import org.apache.spark.sql.{DataFrame, Row, SparkSession}
import org.apache.spark.sql.types._
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

class NNClassifierSuite extends AnyFunSuite with BeforeAndAfterAll {
  private var spark: SparkSession = _

  override def beforeAll(): Unit =
    spark = SparkSession.builder().master("local[2]").appName("NNClassifierSuite").config("spark.ui.enabled", "false").getOrCreate()

  override def afterAll(): Unit = if (spark != null) spark.stop()

  private def mlp(in: Int, classes: Int) = {
    RandomGenerator.setSeed(42)
    new Sequential().add(new Linear(in, 16)).add(new ReLU()).add(new Linear(16, classes)).add(new LogSoftMax())
  }

  /** Three well separated Gaussian blobs in 4 dimensions, class = blob. */
  private def blobs(n: Int, seed: Long): DataFrame = {
    val rng = new java.util.Random(seed)
    val rows = (0 until n).map { i =>
      val c = i % 3
      val x = Array.tabulate(4)(d => (if (d == c) 3.0 else 0.0) + rng.nextGaussian() * 0.3)
      (i, Vectors.dense(x), c.toDouble)
    }
    spark.createDataFrame(rows).toDF("id", "features", "label").repartition(2)
  }

  private def classifier(classes: Int = 3) = new NNClassifier(mlp(4, classes)).setBatchSize(16).setMaxEpoch(8)
    .setLearningRate(0.1)

  test("NNClassifier trains on vectors; transform keeps every column and row; Spark's evaluator reads its output") {
    val train = blobs(300, 1)
    val test = blobs(90, 2)
    val model = classifier().fit(train)
    val out = model.transform(test)
    assert(out.columns.toSeq == Seq("id", "features", "label", "prediction", "rawPrediction", "probability"))
    assert(out.count() == 90 && out.select("id").collect().map(_.getInt(0)).sorted.sameElements(test.select("id").collect().map(_.getInt(0)).sorted))
    val acc = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(out)
    assert(acc > 0.95, s"accuracy $acc")
    val p = out.select("probability").head().getAs[Vector](0).toArray
    assert(math.abs(p.sum - 1.0) < 1e-5 && p.forall(_ >= 0))
    // rawPrediction is the network's output (log-probabilities): probability = exp(raw)
    val r = out.select("rawPrediction").head().getAs[Vector](0).toArray
    r.zip(p).foreach { case (a, b) => assert(math.abs(math.exp(a) - b) < 1e-5) }
    assert(model.isInstanceOf[NNClassifierModel] && model.getFeatureSize.sameElements(Array(4)))
  }

  test("the fitted network predicts what the network itself computes (transform == forward)") {
    val model = classifier().setMaxEpoch(1).fit(blobs(60, 3))
    val test = blobs(10, 4)
    val out = model.transform(test).select("features", "rawPrediction").collect()
    val net = model.getModel.evaluate()
    out.foreach { row =>
      val x = row.getAs[Vector](0).toArray.map(_.toFloat)
      val y = net.forward(ember.tensor.Tensor.fromArray(x, Array(1, 4))).toTensor.toArray
      y.zip(row.getAs[Vector](1).toArray).foreach { case (a, b) => assert(math.abs(a - b) < 1e-5) }
    }
  }

  test("column types: sparse = dense vectors, MLlib vectors, nested arrays reshaped, integer arrays") {
    val s = spark
    import s.implicits._
    val layoutOf = (df: DataFrame, shape: Array[Int]) =>
      FrameSamples.samples(df, FrameSamples.layout(df, "features", shape, Some("label"), Array.emptyIntArray, Array.emptyIntArray))
        .map(x => (x.featureData(0).toSeq, x.featureShapes(0).toSeq, x.labelData.toSeq)).collect()
    val dense = Seq((Vectors.dense(0, 2, 0, 4), 1.0)).toDF("features", "label")
    val sparse = Seq((Vectors.sparse(4, Array(1, 3), Array(2.0, 4.0)), 1.0)).toDF("features", "label")
    val mllib = Seq((org.apache.spark.mllib.linalg.Vectors.dense(0, 2, 0, 4), 1)).toDF("features", "label")
    val nested = Seq((Seq(Seq(0, 2), Seq(0, 4)), 1L)).toDF("features", "label")
    val expected = (Seq(0f, 2f, 0f, 4f), Seq(2, 2), Seq(1f))
    Seq(dense, sparse, mllib, nested).foreach(df => assert(layoutOf(df, Array(2, 2)).toSeq == Seq(expected)))
    // array labels (a regression target per row)
    val arrLabel = Seq((Seq(1.0f, 2.0f), Seq(0.5, 1.5))).toDF("features", "label")
    val l = FrameSamples.layout(arrLabel, "features", Array(2), Some("label"), Array.emptyIntArray, Array.emptyIntArray)
    assert(l.labelShape.sameElements(Array(2)))
    assert(FrameSamples.samples(arrLabel, l).first().labelData.sameElements(Array(0.5f, 1.5f)))
  }

  test("NNEstimator: MSE regression on array features and array labels") {
    val rng = new java.util.Random(5)
    val rows = (0 until 200).map { _ =>
      val x = Array.fill(3)(rng.nextGaussian())
      (x.toSeq, Seq(x(0) + 2 * x(1), x(2) - x(0)))
    }
    val df = spark.createDataFrame(rows).toDF("features", "label")
    RandomGenerator.setSeed(3)
    val est = new NNEstimator(new Sequential().add(new Linear(3, 2)), new MSECriterion())
      .setBatchSize(20).setMaxEpoch(40).setLearningRate(0.1)
    val model = est.fit(df)
    val out = model.transform(df.limit(20)).collect()
    out.foreach { r =>
      val x = r.getSeq[Double](0); val p = r.getSeq[Double](2)
      assert(math.abs(p(0) - (x(0) + 2 * x(1))) < 0.05 && math.abs(p(1) - (x(2) - x(0))) < 0.05, s"$x -> $p")
    }
  }

  test("a fitted pipeline saves and loads with the network as a model file; same predictions") {
    val train = blobs(150, 6).selectExpr("id", "label", "features")
    val pipe = new Pipeline().setStages(Array(classifier().setMaxEpoch(2)))
    val fitted = pipe.fit(train)
    val dir = Files.createTempDirectory("ember-ml").resolve("pipe").toString
    fitted.write.save(dir)
    assert(new java.io.File(dir, "stages").listFiles().exists(s => new java.io.File(s, NNModel.ModelFileName).isFile))
    val loaded = PipelineModel.load(dir)
    val a = fitted.transform(train).select("rawPrediction").collect().map(_.getAs[Vector](0))
    val b = loaded.transform(train).select("rawPrediction").collect().map(_.getAs[Vector](0))
    assert(a.sameElements(b))
    // the unfitted estimator too (its network stored as a file, not inside the metadata)
    val est = classifier()
    val estDir = Files.createTempDirectory("ember-ml").resolve("est").toString
    est.write.save(estDir)
    val meta = new String(Files.readAllBytes(new java.io.File(estDir, "metadata/part-00000").toPath))
    assert(!meta.contains("\"modelFile\":\"" + est.getModelFileBase64.take(16)) && new java.io.File(estDir, NNModel.ModelFileName).isFile)
    val back = NNClassifier.load(estDir)
    assert(back.getModelFileBase64 == est.getModelFileBase64 && back.getLearningRate == 0.1 && back.getBatchSize == 16)
  }

  test("a failed save leaves nothing at the target") {
    val model = new NNClassifierModel(mlp(4, 3)) // a model with a network...
    model.setFeatureSize(Array(4))
    val broken = new NNClassifierModel(model.uid) // ...and one without: saveFiles fails after the metadata was written
    val dir = Files.createTempDirectory("ember-ml").resolve("broken").toString
    intercept[IllegalArgumentException](broken.write.save(dir))
    assert(!new java.io.File(dir).exists())
    assert(new java.io.File(dir).getParentFile.listFiles().isEmpty, "no temporary directory left behind")
  }

  test("bad input: missing column, wrong type, null, ragged array, shape mismatch, label out of range") {
    val s = spark
    import s.implicits._
    def err(df: DataFrame, est: NNEstimator = classifier()): String =
      intercept[IllegalArgumentException](est.fit(df)).getMessage
    val ok = blobs(20, 7)
    assert(err(ok.withColumnRenamed("features", "x")).contains("no features column 'features'"))
    assert(err(ok.withColumn("label", org.apache.spark.sql.functions.lit("a"))).contains("label column 'label' has type string"))
    assert(err(ok.withColumn("features", org.apache.spark.sql.functions.lit("a"))).contains("features column 'features' has type string"))
    val nulls = Seq((Some(Seq(1.0, 2.0, 3.0, 4.0)), 0.0), (None, 1.0)).toDF("features", "label")
    assert(rootMessage(classifier().fit(nulls)).contains("column 'features': null value"))
    val ragged = Seq((Seq(1.0, 2.0, 3.0, 4.0), 0.0), (Seq(1.0, 2.0), 1.0)).toDF("features", "label")
    assert(rootMessage(classifier().fit(ragged)).contains("column 'features': a row has 2 values"))
    val wide = Seq((Seq(1.0, 2.0, 3.0), 0.0)).toDF("features", "label")
    assert(err(wide).contains("does not accept features of shape [3] from column 'features'"))
    val big = ok.withColumn("label", org.apache.spark.sql.functions.lit(3.0))
    assert(rootMessage(classifier().fit(big)).contains("label column 'label': value 3.0 is not a 0-based class index in [0, 3)"))
    val frac = ok.withColumn("label", org.apache.spark.sql.functions.lit(0.5))
    assert(rootMessage(classifier().fit(frac)).contains("value 0.5"))
    assert(err(ok.withColumn("label", org.apache.spark.sql.functions.array(org.apache.spark.sql.functions.lit(1.0))))
      .contains("NNClassifier needs one 0-based class index"))
    assert(err(ok.withColumn("prediction", org.apache.spark.sql.functions.lit(1))).contains("output column 'prediction' already exists"))
  }

  private def rootMessage(f: => Any): String = {
    val e = intercept[Exception](f)
    Iterator.iterate[Throwable](e)(_.getCause).takeWhile(_ != null).map(x => String.valueOf(x.getMessage)).mkString(" | ")
  }

  test("the stages are registered for Spark Connect (ServiceLoader) and have (uid) constructors") {
    import scala.jdk.CollectionConverters._
    val est = java.util.ServiceLoader.load(classOf[org.apache.spark.ml.Estimator[_]]).stream().iterator().asScala.map(_.`type`().getName).toSet
    val tr = java.util.ServiceLoader.load(classOf[org.apache.spark.ml.Transformer]).stream().iterator().asScala.map(_.`type`().getName).toSet
    assert(Set("ember.ml.NNEstimator", "ember.ml.NNClassifier").subsetOf(est))
    val transformers = Set("ember.ml.NNModel", "ember.ml.NNClassifierModel", "ember.ml.ImageResize", "ember.ml.ImageCenterCrop",
      "ember.ml.ImageRandomCrop", "ember.ml.ImageHFlip", "ember.ml.ImageToTensor", "ember.ml.SequenceShaper")
    assert(transformers.subsetOf(tr))
    (transformers ++ Set("ember.ml.NNEstimator", "ember.ml.NNClassifier")).foreach { c =>
      assert(Class.forName(c).getConstructor(classOf[String]).newInstance("u1").asInstanceOf[org.apache.spark.ml.param.Params].uid == "u1")
    }
  }

  test("VectorAssembler -> NNClassifier in a Pipeline; modelStructure JSON instead of a model file") {
    val df = blobs(150, 8).withColumn("a", org.apache.spark.ml.functions.vector_to_array(org.apache.spark.sql.functions.col("features")))
      .selectExpr("id", "label", "a[0] as x0", "a[1] as x1", "a[2] as x2", "a[3] as x3")
    val structure = ember.nn.ModuleSpec.describe(mlp(4, 3)).toString
    val clf = new NNClassifier().setModelStructure(structure).setBatchSize(16).setMaxEpoch(8).setLearningRate(0.1)
    val pipe = new Pipeline().setStages(Array(new VectorAssembler().setInputCols(Array("x0", "x1", "x2", "x3")).setOutputCol("features"), clf))
    val out = pipe.fit(df).transform(df)
    assert(new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(out) > 0.9)
  }
}
