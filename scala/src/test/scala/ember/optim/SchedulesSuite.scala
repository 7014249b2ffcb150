package ember.optim

import java.nio.file.Files

import ember.nn.{ClassNLLCriterion, Linear, LogSoftMax, Sequential}
import ember.parallel.Engine
import ember.summary.TrainSummary
import ember.tensor.RandomGenerator
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

/** Learning-rate schedules against their closed forms, per iteration and per epoch; Plateau on histories and in training. */
class SchedulesSuite extends AnyFunSuite with BeforeAndAfterAll {
  override def beforeAll(): Unit = Engine.init(2, 1)
  override def afterAll(): Unit = Engine.init(Runtime.getRuntime.availableProcessors())

  private val base = 0.1
  private def near(a: Double, b: Double, what: => String): Unit = assert(math.abs(a - b) <= 1e-12 + 1e-9 * math.abs(b), s"$what: $a vs $b")
  private def at(s: LearningRateSchedule, it: Long, epoch: Int = 1): Double = s.rate(base, TrainingPosition.at(it, epoch))

  test("iteration schedules match their closed forms at every iteration") {
    for (it <- 0L to 60L) {
      near(at(new Poly(0.5, 40), it), if (it > 40) 0.0 else base * math.pow(1 - it / 40.0, 0.5), s"Poly at $it")
      near(at(new Poly(2, 40), it), if (it > 40) 0.0 else base * math.pow(1 - it / 40.0, 2), s"Poly(2) at $it")
      near(at(new Step(7, 0.5), it), base * math.pow(0.5, (it / 7).toDouble), s"Step at $it")
      val passed = Seq(5, 20, 33).count(_ <= it)
      near(at(new MultiStep(Array(5, 20, 33), 0.3), it), base * math.pow(0.3, passed), s"MultiStep at $it")
      near(at(new Exponential(10, 0.9), it), base * math.pow(0.9, it / 10.0), s"Exponential at $it")
      near(at(new Exponential(10, 0.9, true), it), base * math.pow(0.9, (it / 10).toDouble), s"Exponential stairs at $it")
      near(at(new NaturalExp(8, 0.2), it), base * math.exp(-0.2 * (it / 8)), s"NaturalExp at $it")
      near(at(new Warmup(0.01), it), base + 0.01 * it, s"Warmup at $it")
      near(at(new DefaultSchedule(0.05), it), base / (1 + 0.05 * it), s"Default at $it")
    }
    assert(at(new MultiStep(Array(5, 20), 0.1), 4) == base && at(new MultiStep(Array(5, 20), 0.1), 5) == base * 0.1)
  }

  test("EpochStep decays every stepSize epochs, the first stepSize epochs at the base rate") {
    for (epoch <- 1 to 12) near(at(new EpochStep(3, 0.5), 100, epoch), base * math.pow(0.5, ((epoch - 1) / 3).toDouble), s"epoch $epoch")
    assert(at(new EpochStep(3, 0.5), 0, 3) == base && at(new EpochStep(3, 0.5), 0, 4) == base / 2)
  }

  test("SequentialSchedule: warm-up, then Poly from the warmed-up rate; phases count their own iterations") {
    val (warm, decay, delta) = (10, 30, 0.02)
    val s = new SequentialSchedule(5).add(new Warmup(delta), warm).add(new Poly(1.0, decay), decay)
    val peak = base + delta * (warm - 1)
    for (it <- 0L to 50L) {
      val expected = if (it < warm) base + delta * it else if (it - warm > decay) 0.0 else peak * (1 - (it - warm).toDouble / decay)
      near(at(s, it), expected, s"iteration $it")
    }
    val epochs = new SequentialSchedule(4).add(new Step(100, 1.0), 8).add(new EpochStep(1, 0.5), 100)
    near(epochs.rate(base, TrainingPosition.at(12, 4)), base * 0.5, "epoch 4 is the phase's second epoch")
    val back = OptimMethodSpec.buildSchedule(OptimMethodSpec.describe(s))
    assert(back.toString == s.toString && (0L to 50L).forall(it => at(back, it) == at(s, it)))
  }

  private def plateau(monitor: String, values: Seq[Float], s: Plateau): Double = {
    val h = EpochHistory(values.toVector, values.toVector)
    s.rate(1.0, TrainingPosition.at(0, values.length + 1, history = h))
  }

  test("Plateau replays Keras' ReduceLROnPlateau over the epoch history (patience, cooldown, epsilon, minLr, NaN)") {
    val scores = Seq(1.0f, 0.9f, 0.95f, 0.92f, 0.91f, 0.93f, 0.85f, 0.86f)
    val p = new Plateau("score", 0.5, 2, "min", 0.0, 1, 0.0)
    val expected = Seq(1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.25)
    for (k <- 0 to scores.length) near(plateau("score", scores.take(k), p), expected(k), s"after $k epochs")
    // max mode: an accuracy that stalls for `patience` epochs
    val acc = new Plateau("score", 0.1, 1, "max", 1e-3, 0, 0.0)
    near(plateau("score", Seq(0.5f, 0.6f, 0.6005f), acc), 0.1, "gain below epsilon is no improvement")
    near(plateau("score", Seq(0.5f, 0.6f, 0.7f), acc), 1.0, "improving")
    near(plateau("score", Seq(Float.NaN, 0.5f, Float.NaN, 0.6f), acc), 1.0, "NaN epochs are skipped")
    val floor = new Plateau("loss", 0.1, 0, "min", 0.0, 0, 0.05)
    near(plateau("loss", Seq(1f, 1f, 1f, 1f), floor), 0.05, "minLr bounds the decay")
    assert(intercept[IllegalArgumentException](new Plateau("accuracy")).getMessage.contains("monitor must be \"score\" or \"loss\""))
  }

  test("Plateau in training: a stalled validation loss halves the rate each epoch after the first; resumable") {
    val data = LocalOptimizerSuite.clusters(60, 3)
    val dir = Files.createTempDirectory("ember-sched").toFile
    try {
      RandomGenerator.setSeed(2)
      val model = new Sequential().add(new Linear(4, 3)).add(new LogSoftMax())
      val schedule = new Plateau("score", 0.5, 1, "min", 1e-2, 0, 0.0)
      val opt = new LocalOptimizer(model, data, new ClassNLLCriterion(), 20)
      // a tiny rate leaves the validation loss unchanged (within epsilon): every epoch after the best is a stall
      opt.setOptimMethod(new SGD(1e-7, 0, 0, 0, 0, false, schedule)).setEndWhen(MaxEpoch(4))
        .setValidation(EveryEpoch(), data, Array(new Loss(new ClassNLLCriterion())), 30)
        .setTrainSummary(new TrainSummary(dir.getPath, "plateau")).setCheckpoint(dir.getPath, EveryEpoch())
      opt.optimize()
      val rates = new TrainSummary(dir.getPath, "plateau").readScalar("LearningRate").map(_._2.toDouble)
      val expected = Seq(1e-7, 1e-7, 5e-8, 2.5e-8).flatMap(Seq.fill(3)(_))
      assert(rates.length == 12)
      rates.zip(expected).foreach { case (a, b) => near(a, b.toFloat.toDouble, "rate") }
      val ck = Checkpoint.load(dir.getPath)
      assert(ck.position.history.length == 4 && ck.position.history.scores.forall(!_.isNaN))
      val resumed = new LocalOptimizer(model, data, new ClassNLLCriterion(), 20).resumeFrom(dir.getPath)
      near(resumed.getOptimMethod.learningRate(TrainingPosition.at(12, 5, history = ck.position.history)), 1.25e-8, "resumed rate")
    } finally org.apache.commons.io.FileUtils.deleteDirectory(dir)
  }

  test("bad schedule arguments are rejected with clear messages") {
    def msg(f: => Any): String = intercept[IllegalArgumentException](f).getMessage
    assert(msg(new Poly(1, 0)).contains("Poly: maxIteration must be > 0, got 0"))
    assert(msg(new MultiStep(Array(5, 3), 0.1)).contains("MultiStep: stepSizes must be positive and strictly ascending, got [5, 3]"))
    assert(msg(new Step(0, 0.1)).contains("Step: stepSize must be > 0"))
    assert(msg(new Plateau("score", 1.5, 1, "min")).contains("factor must be in (0, 1)"))
    assert(msg(new SequentialSchedule(10).rate(0.1, TrainingPosition.at(0, 1))).contains("no schedule added"))
    assert(msg(new SequentialSchedule(10).add(new Warmup(0.1), 0)).contains("maxIteration must be > 0"))
  }
}
