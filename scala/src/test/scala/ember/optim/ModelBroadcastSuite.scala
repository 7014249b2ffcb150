package ember.optim

import scala.collection.mutable.ArrayBuffer

import ember.data.Sample
import ember.nn.{Linear, LogSoftMax, Sequential, ClassNLLCriterion}
import ember.tensor.{RandomGenerator, Tensor}
import org.apache.logging.log4j.LogManager
import org.apache.logging.log4j.core.{LogEvent, Logger => CoreLogger}
import org.apache.logging.log4j.core.appender.AbstractAppender
import org.apache.logging.log4j.core.config.Property
import org.apache.spark.{SparkConf, SparkContext}
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

/**
 * The DistriOptimizer's model (and optim state) reach the executors by broadcast, not inside the task binary:
 * with a model of several MB, Spark's DAGScheduler never warns "Broadcasting large task binary" (it does for a
 * task binary over 1000 KiB), and the task binary stays small.
 */
class ModelBroadcastSuite extends AnyFunSuite with BeforeAndAfterAll {
  private var sc: SparkContext = _

  override def beforeAll(): Unit =
    sc = new SparkContext(new SparkConf().setMaster("local[2]").setAppName("ModelBroadcastSuite")
      .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"))

  override def afterAll(): Unit = if (sc != null) sc.stop()

  /** The DAGScheduler's log messages while `body` runs. */
  private def schedulerLog(body: => Unit): Seq[String] = {
    val messages = ArrayBuffer.empty[String]
    val appender = new AbstractAppender("capture", null, null, true, Property.EMPTY_ARRAY) {
      override def append(e: LogEvent): Unit = messages.synchronized { messages += e.getMessage.getFormattedMessage }
    }
    appender.start()
    val logger = LogManager.getLogger("org.apache.spark.scheduler.DAGScheduler").asInstanceOf[CoreLogger]
    logger.addAppender(appender)
    try body finally { logger.removeAppender(appender); appender.stop() }
    messages.synchronized(messages.toList)
  }

  test("a 4.8 MB model trains over several segments without a large task binary") {
    RandomGenerator.setSeed(5)
    val model = new Sequential().add(new Linear(2000, 600)).add(new Linear(600, 2)).add(new LogSoftMax())
    val rng = new java.util.Random(3)
    val samples = (0 until 64).map(i => Sample(Tensor(2000).apply1(_ => rng.nextGaussian().toFloat), (i % 2).toFloat))
    val opt = new DistriOptimizer(model, sc.parallelize(samples, 2), new ClassNLLCriterion(), 16)
      .setOptimMethod(new Adam(1e-3)).setEndWhen(MaxEpoch(2)).setSegmentIterations(2) // 4 segments, Adam state too
    val log = schedulerLog(opt.optimize())
    assert(opt.progress.iteration == 8 && !opt.progress.loss.isNaN)
    assert(!log.exists(_.contains("Broadcasting large task binary")), log.filter(_.contains("task binary")).mkString("\n"))
    // the control: a closure holding 2 MB is a large task binary, and its warning is captured
    val big = new Array[Byte](2 << 20)
    assert(schedulerLog(sc.parallelize(1 to 2, 2).map(_ + big.length).count()).exists(_.contains("Broadcasting large task binary")))
  }
}
