package ember.optim

import ember.data.Sample
import ember.nn.{ClassNLLCriterion, Linear, LogSoftMax, Sequential, Tanh}
import ember.tensor.{RandomGenerator, Tensor}
import org.apache.spark.{SparkConf, SparkContext}
import org.apache.spark.ember.BlockStore
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

/**
 * Everything the DistriOptimizer moves in pieces for models beyond 2 GB, exercised on a small model with tiny
 * pieces (`spark.ember.chunkBytes`): the model file's chunks and the optim methods' in the broadcast, the
 * exchange's messages, and the weight slices and optim methods (Adam's state) going back to the driver in blocks. The run must reach the same
 * weights, bit for bit, as with one piece each, and leave no block behind. (The full-size run, a model of more
 * than 2^29 parameters, is tests/test_large_model.py.)
 */
class ChunkedTransferSuite extends AnyFunSuite with BeforeAndAfterAll {
  private var sc: SparkContext = _

  override def beforeAll(): Unit =
    sc = new SparkContext(new SparkConf().setMaster("local[2]").setAppName("ChunkedTransferSuite")
      .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"))

  override def afterAll(): Unit = if (sc != null) sc.stop()

  private def train(chunkBytes: Option[String]): Array[Float] = {
    RandomGenerator.setSeed(7)
    val model = new Sequential().add(new Linear(40, 30)).add(new Tanh()).add(new Linear(30, 2)).add(new LogSoftMax())
    val rng = new java.util.Random(11)
    val samples = (0 until 96).map(i => Sample(Tensor(40).apply1(_ => rng.nextGaussian().toFloat), (i % 2).toFloat))
    chunkBytes.foreach(sc.setLocalProperty("spark.ember.chunkBytes", _))
    try {
      val opt = new DistriOptimizer(model, sc.parallelize(samples, 2), new ClassNLLCriterion(), 16)
        .setOptimMethod(new Adam(1e-2)).setEndWhen(MaxIteration(8)).setSegmentIterations(3).setDeterministic(true)
      opt.optimize()
      assert(opt.progress.iteration == 8)
    } finally sc.setLocalProperty("spark.ember.chunkBytes", null)
    model.getParameters()._1.toArray
  }

  test("a run with 256-byte pieces reaches the same weights as with whole arrays, and leaves no block") {
    val whole = train(None)
    // 1292 parameters, 646 a slice (2584 bytes: 11 result blocks of 64 values, 11 messages of 60), a model file of ~5 KB
    val pieces = train(Some("256"))
    assert(java.util.Arrays.equals(whole, pieces), "the weights differ")
    assert(BlockStore.localUsage("")._1 == 0, "blocks left in the block manager")
  }

  test("spark.ember.chunkBytes out of range is refused naming the key") {
    sc.setLocalProperty("spark.ember.chunkBytes", "8")
    try {
      val e = intercept[IllegalArgumentException](DistriOptimizer.chunkBytes(sc))
      assert(e.getMessage.contains("spark.ember.chunkBytes"))
    } finally sc.setLocalProperty("spark.ember.chunkBytes", null)
  }
}
