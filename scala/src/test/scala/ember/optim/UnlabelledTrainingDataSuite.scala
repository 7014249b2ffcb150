package ember.optim

import ember.data.{LocalDataSet, Sample}
import ember.nn.ClassNLLCriterion
import ember.optim.LocalOptimizerSuite.{mlp, weights}
import ember.tensor.Tensor
import org.apache.spark.{SparkConf, SparkContext, SparkException}
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

/**
 * Training data without labels (samples built for prediction: label shape [0]) is refused before the
 * first step, by both optimizers, with a message saying the labels are missing; the weights stay as they were.
 */
class UnlabelledTrainingDataSuite extends AnyFunSuite with BeforeAndAfterAll {
  private var sc: SparkContext = _

  override def beforeAll(): Unit =
    sc = new SparkContext(new SparkConf().setMaster("local[2]").setAppName("UnlabelledTrainingDataSuite")
      .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"))

  override def afterAll(): Unit = if (sc != null) sc.stop()

  private def unlabelled(n: Int): Seq[Sample] =
    (0 until n).map(i => Sample.fromArrays(Array(Array.fill(4)(i.toFloat)), Array(Array(4)), Array.emptyFloatArray, Array(0)))
  private def labelled(n: Int): Seq[Sample] = (0 until n).map(i => Sample(Tensor(4).fill(i.toFloat), (i % 3).toFloat))

  test("a LocalOptimizer refuses a LocalDataSet without labels, at construction and in setTrainData") {
    val data = LocalDataSet(unlabelled(8))
    assert(!data.hasLabels && LocalDataSet(labelled(8)).hasLabels)
    val e = intercept[IllegalArgumentException](new LocalOptimizer(mlp(1), data, new ClassNLLCriterion(), 4))
    assert(e.getMessage.contains("LocalOptimizer: training data: the labels are missing: the 8 samples have no label"))
    val opt = new LocalOptimizer(mlp(1), LocalDataSet(labelled(8)), new ClassNLLCriterion(), 4)
    assert(intercept[IllegalArgumentException](opt.setTrainData(data)).getMessage.contains("setTrainData: training data: the labels are missing"))
  }

  test("a DistriOptimizer refuses a prebuilt Sample RDD without labels in its first job, before any step") {
    val model = mlp(2)
    val before = weights(model)
    def failure(data: Seq[Sample]): String = {
      val opt = new DistriOptimizer(model, sc.parallelize(data, 2), new ClassNLLCriterion(), 4).setEndWhen(MaxEpoch(1))
      val e = intercept[SparkException](opt.optimize())
      Iterator.iterate[Throwable](e)(_.getCause).takeWhile(_ != null).collectFirst { case i: IllegalArgumentException => i }
        .fold(e.getMessage)(_.getMessage)
    }
    assert(failure(unlabelled(12)).contains("DistriOptimizer: training RDD partition 0: the labels are missing: the 12 samples have no label"))
    // labelled and unlabelled samples mixed in one partition: named as missing labels too
    assert(failure(labelled(6) ++ unlabelled(6)).contains("the labels are missing: sample 6 has no label"))
    assert(weights(model).toArray.sameElements(before.toArray))
    // the partitions cached by the failed first job are released
    assert(sc.getPersistentRDDs.values.forall(!_.name.contains("training partitions")))
  }
}
