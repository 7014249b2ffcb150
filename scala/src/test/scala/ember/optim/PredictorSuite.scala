package ember.optim

import ember.data.{LocalDataSet, Sample}
import ember.nn.{ClassNLLCriterion, Linear, LogSoftMax, ReLU, Reshape, Sequential}
import ember.optim.{AccuracyResult, Evaluator, Loss, LossResult, Top1Accuracy, ValidationMethod}
import ember.tensor.{RandomGenerator, Tensor}
import org.apache.spark.{SparkConf, SparkContext, SparkException}
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

class PredictorSuite extends AnyFunSuite with BeforeAndAfterAll {
  private var sc: SparkContext = _

  override def beforeAll(): Unit =
    sc = new SparkContext(new SparkConf().setMaster("local[2]").setAppName("PredictorSuite").set("spark.ui.enabled", "false"))

  override def afterAll(): Unit = if (sc != null) sc.stop()

  private val n = 53
  private val rng = new java.util.Random(3)
  private val xs = Array.fill(n * 6)(rng.nextGaussian().toFloat)
  private val ys = Array.tabulate(n)(i => (i % 3).toFloat)
  private def samples: Seq[Sample] = (0 until n).map(i =>
    Sample(Tensor.fromArray(java.util.Arrays.copyOfRange(xs, i * 6, i * 6 + 6), 2, 3), ys(i)))

  private def model = {
    RandomGenerator.setSeed(5)
    new Sequential().add(new Reshape(Array(6))).add(new Linear(6, 8)).add(new ReLU()).add(new Linear(8, 3)).add(new LogSoftMax())
  }

  test("predict gives each sample's output, in order, equal to a local forward pass") {
    val m = model
    val expected = m.predict(Tensor.fromArray(xs.clone(), n, 2, 3))
    val got = Predictor(m, batchSize = 4).predict(sc.parallelize(samples, 3)).map(t => (t.shape, t.toArray)).collect()
    assert(got.length == n && got.forall(_._1.sameElements(Array(3))))
    got.zipWithIndex.foreach { case ((_, v), i) =>
      v.zip(expected.select(0, i).toArray).foreach { case (a, b) => assert(math.abs(a - b) < 1e-6f, s"sample $i") }
    }
    val classes = Predictor(m, 7).predictClass(sc.parallelize(samples, 4)).collect()
    assert(classes.sameElements(expected.argmaxRows()))
    assert(m.isTraining) // the tasks run their own copies: the driver's model keeps its mode
  }

  test("evaluate merges results across partitions and equals the local Evaluator") {
    val m = model
    val methods: Array[ValidationMethod] = Array(new Top1Accuracy(), new Loss(new ClassNLLCriterion()))
    val dist = Predictor(m, 5).evaluate(sc.parallelize(samples, 4), methods)
    val local = Evaluator.evaluate(m, LocalDataSet.fromArrays(xs, Array(2, 3), ys), methods, 5)
    assert(dist(0).isInstanceOf[AccuracyResult] && dist(0) == local(0) && dist(0).count == n)
    val (dl, ll) = (dist(1).asInstanceOf[LossResult], local(1).asInstanceOf[LossResult])
    assert(dl.count == n && math.abs(dl.sum - ll.sum) < 1e-4 * math.abs(ll.sum))
  }

  test("errors: empty data, labels out of range, wrong input shape") {
    val m = model
    assert(intercept[IllegalArgumentException](Predictor(m).evaluate(sc.parallelize(Seq.empty[Sample], 2), Array(new Top1Accuracy())))
      .getMessage.contains("empty"))
    val badLabels = samples.map(s => Sample(s.feature(), 7f))
    val e = intercept[SparkException](Predictor(m).evaluate(sc.parallelize(badLabels, 2), Array(new Top1Accuracy())))
    assert(rootMessage(e).contains("label 7.0"))
    val wide = samples.map(s => Sample(Tensor(3, 3), 0f))
    assert(rootMessage(intercept[SparkException](Predictor(m).predict(sc.parallelize(wide, 2)).count())).contains("Reshape: cannot reshape"))
    intercept[IllegalArgumentException](Predictor(m, 0))
  }

  private def rootMessage(e: Throwable): String =
    Iterator.iterate(e)(_.getCause).takeWhile(_ != null).toSeq.last.getMessage
}
