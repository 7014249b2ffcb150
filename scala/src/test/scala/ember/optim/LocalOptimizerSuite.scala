package ember.optim

import java.nio.file.Files

import ember.data.LocalDataSet
import ember.nn._
import ember.parallel.Engine
import ember.summary.{TrainSummary, ValidationSummary}
import ember.tensor.{RandomGenerator, Tensor}
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

/** Passes its input through, but outputs NaN from its `nanAt`-th forward on (to test the NaN guard). */
class NaNAfter(val nanAt: Int) extends TensorModule {
  // counts its calls: one per replica and iteration only with the static batch split
  override def samplesIndependent: Boolean = false
  private var calls = 0
  override def updateOutput(input: Tensor): Tensor = {
    calls += 1
    output = input.clone()
    if (calls >= nanAt) outTensor.fill(Float.NaN)
    outTensor
  }
  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = { gradInput = gradOutput.clone(); gradInTensor }
  override def config: Seq[(String, Any)] = Seq("nanAt" -> nanAt)
}

object LocalOptimizerSuite {
  /** Three Gaussian clusters in 4-d, linearly separable, labels 0..2. */
  def clusters(n: Int, seed: Long): LocalDataSet = {
    val rng = new java.util.Random(seed)
    val centers = Array(Array(2f, 0f, 0f, 1f), Array(-2f, 2f, 0f, 0f), Array(0f, -2f, 2f, -1f))
    val labels = Array.tabulate(n)(i => (i % 3).toFloat)
    val x = Array.tabulate(n * 4)(k => centers(k / 4 % 3)(k % 4) + 0.5f * rng.nextGaussian().toFloat)
    LocalDataSet.fromArrays(x, Array(4), labels)
  }

  def mlp(seed: Long): Module = {
    RandomGenerator.setSeed(seed)
    new Sequential().add(new Linear(4, 16)).add(new Tanh()).add(new Linear(16, 3)).add(new LogSoftMax())
  }

  def weights(m: Module): Tensor = m.getParameters()._1.clone()
}

class LocalOptimizerSuite extends AnyFunSuite with BeforeAndAfterAll {
  import LocalOptimizerSuite._
  private val train = clusters(303, 1)
  private val test = clusters(150, 2)

  override def beforeAll(): Unit = Engine.init(2, 2)
  private val dirs = scala.collection.mutable.ArrayBuffer.empty[java.io.File]
  private def tempDir(): String = { val d = Files.createTempDirectory("ember-opt").toFile; dirs += d; d.getPath }

  override def afterAll(): Unit = {
    Engine.init(Runtime.getRuntime.availableProcessors())
    dirs.foreach(d => org.apache.commons.io.FileUtils.deleteDirectory(d))
  }

  test("an MLP on separable clusters reaches high accuracy, with validation, summaries and progress") {
    val dir = tempDir()
    val model = mlp(5)
    val opt = Optimizer(model, train, new ClassNLLCriterion(), 32)
      .setOptimMethod(new SGD(0.1, 0.0, 0.0, 0.9, 0.0, false))
      .setEndWhen(MaxEpoch(5))
      .setValidation(EveryEpoch(), test, Array(new Top1Accuracy(), new Loss(new ClassNLLCriterion())), 64)
      .setTrainSummary(new TrainSummary(dir, "mlp"))
      .setValidationSummary(new ValidationSummary(dir, "mlp"))
    var polled = Seq.empty[Long]
    val poller = new Thread(() => while (!opt.progress.done) { polled :+= opt.progress.iteration; Thread.sleep(1) })
    poller.start()
    val trained = opt.optimize()
    poller.join(10000)
    assert(trained eq model)
    val acc = Evaluator.evaluate(model, test, Array[ValidationMethod](new Top1Accuracy()), 50).head
    assert(acc.count == 150 && acc.score >= 0.97f, s"accuracy $acc")
    val p = opt.progress
    assert(p.done && p.error == null && p.epoch == 6 && p.iteration == 50 && p.itersPerEpoch == 10)
    assert(p.validationNames.toSeq == Seq("Top1Accuracy", "Loss") && p.validationScores(0) == acc.score)
    assert(polled == polled.sorted)
    assert(new TrainSummary(dir, "mlp").readScalar("Loss").map(_._1).toSeq == (1L to 50L))
    assert(new TrainSummary(dir, "mlp").readScalar("LearningRate").forall(_._2 == 0.1f))
    val top1 = new ValidationSummary(dir, "mlp").readScalar("Top1Accuracy")
    assert(top1.map(_._1).toSeq == Seq(10L, 20L, 30L, 40L, 50L) && top1.last._2 == acc.score)
  }

  test("1 and 2 replicas give the same weights to float tolerance (uneven sub-batches included)") {
    def run(replicas: Int, method: OptimMethod): Tensor = {
      val m = mlp(9)
      Optimizer(m, train, new ClassNLLCriterion(), 20).setModelReplicas(replicas).setOptimMethod(method)
        .setEndWhen(MaxEpoch(2)).optimize()
      weights(m)
    }
    val (a, b) = (run(1, new SGD(0.1, 0.0, 0.0, 0.9, 0.0, false)), run(2, new SGD(0.1, 0.0, 0.0, 0.9, 0.0, false)))
    assert(!a.almostEqual(weights(mlp(9)), 1e-3, 0), "training changed nothing")
    assert(a.almostEqual(b, 1e-5, 1e-4))
    assert(run(1, new Adam(0.01)).almostEqual(run(2, new Adam(0.01)), 1e-5, 1e-4))
  }

  test("1 and 2 replicas agree on a small convolutional model (sub-batches are views at an offset)") {
    val rng = new java.util.Random(5)
    val images = LocalDataSet.fromArrays(Array.fill(45 * 64)(rng.nextFloat()), Array(1, 8, 8), Array.fill(45)(rng.nextInt(3).toFloat))
    def run(replicas: Int): Tensor = {
      RandomGenerator.setSeed(8)
      val m = new Sequential().add(new SpatialConvolution(1, 4, 3, 3)).add(new Tanh()).add(new SpatialMaxPooling(2, 2, 2, 2))
        .add(new Reshape(Array(4 * 3 * 3))).add(new Linear(36, 3)).add(new LogSoftMax())
      Optimizer(m, images, new ClassNLLCriterion(), 15).setModelReplicas(replicas).setOptimMethod(new SGD(0.5, 0.0, 0.0, 0.5))
        .setEndWhen(MaxEpoch(2)).optimize()
      weights(m)
    }
    assert(run(1).almostEqual(run(2), 1e-5, 1e-4))
  }

  test("replicas claiming chunks of each batch (the default) match fixed shares; setDeterministic repeats bitwise") {
    def run(replicas: Int, deterministic: Boolean): Tensor = {
      val m = mlp(9)
      Optimizer(m, train, new ClassNLLCriterion(), 37).setModelReplicas(replicas).setDeterministic(deterministic)
        .setOptimMethod(new SGD(0.1, 0.0, 0.0, 0.9)).setEndWhen(MaxEpoch(2)).optimize()
      weights(m)
    }
    val fixed = run(3, deterministic = true)
    assert(fixed.almostEqual(run(3, deterministic = true), 0, 0), "fixed shares must repeat bitwise")
    assert(fixed.almostEqual(run(3, deterministic = false), 1e-5, 1e-4))
    assert(fixed.almostEqual(run(1, deterministic = false), 1e-5, 1e-4))
  }

  test("overWriteCheckpoint keeps only the latest checkpoint") {
    val dir = tempDir()
    Optimizer(mlp(1), train, new ClassNLLCriterion(), 100).setEndWhen(MaxIteration(5)).setCheckpoint(dir, SeveralIteration(2))
      .overWriteCheckpoint().optimize()
    assert(Checkpoint.iterations(dir) == Seq(4L) && new java.io.File(dir).list().length == 2)
  }

  test("resuming from a checkpoint (mid-epoch, Adam) gives the weights of an unbroken run") {
    val unbroken = mlp(3)
    Optimizer(unbroken, train, new ClassNLLCriterion(), 32).setOptimMethod(new Adam(0.01)).setEndWhen(MaxEpoch(2)).optimize()
    val dir = tempDir()
    val first = Optimizer(mlp(3), train, new ClassNLLCriterion(), 32).setOptimMethod(new Adam(0.01))
      .setEndWhen(MaxIteration(7)).setCheckpoint(dir, SeveralIteration(3))
    first.optimize()
    assert(Checkpoint.iterations(dir) == Seq(3L, 6L))
    val resumed = mlp(77) // other initial weights: the checkpoint's must replace them
    val opt = Optimizer(resumed, train, new ClassNLLCriterion(), 32).setOptimMethod(new SGD()).resumeFrom(dir)
    assert(opt.getOptimMethod.isInstanceOf[Adam] && opt.getOptimMethod.state.nonEmpty)
    opt.setEndWhen(MaxEpoch(2)).optimize()
    assert(opt.progress.iteration == 20)
    assert(weights(resumed).almostEqual(weights(unbroken), 1e-6, 1e-5))
    val ck = Checkpoint.load(dir, 3)
    assert(ck.position.iteration == 3 && ck.position.epoch == 1 && ck.position.epochIteration == 3)
  }

  test("optim-method state and position carry over between optimize() calls") {
    val straight = mlp(4)
    Optimizer(straight, train, new ClassNLLCriterion(), 50).setOptimMethod(new Adam(0.01)).setEndWhen(MaxEpoch(2)).optimize()
    val twice = mlp(4)
    val opt = Optimizer(twice, train, new ClassNLLCriterion(), 50).setOptimMethod(new Adam(0.01)).setEndWhen(MaxEpoch(1))
    opt.optimize()
    opt.setEndWhen(MaxEpoch(2)).optimize()
    assert(weights(twice).almostEqual(weights(straight), 1e-6, 1e-5))
  }

  test("a NaN loss stops training naming the iteration, keeping the last good weights") {
    def model() = { val m = mlp(6); m.asInstanceOf[Sequential].add(new NaNAfter(4)); m }
    val good = model()
    Optimizer(good, train, new ClassNLLCriterion(), 100).setModelReplicas(1).setEndWhen(MaxIteration(3)).optimize()
    val bad = model()
    val opt = Optimizer(bad, train, new ClassNLLCriterion(), 100).setModelReplicas(1).setEndWhen(MaxEpoch(3))
    val e = intercept[TrainingDivergedException](opt.optimize())
    assert(e.getMessage.contains("loss is NaN at iteration 4 (epoch 1)"), e.getMessage)
    assert(weights(bad).almostEqual(weights(good), 0, 0))
    assert(opt.progress.done && opt.progress.error.contains("iteration 4"))
  }

  test("a diverging loss stops training; gradient clipping bounds the update") {
    val rng = new java.util.Random(1)
    val reg = LocalDataSet.fromArrays(Array.fill(400)(rng.nextGaussian().toFloat), Array(4), Array.fill(100)(rng.nextGaussian().toFloat), Array(1))
    RandomGenerator.setSeed(1)
    val lin = new Linear(4, 1)
    val e = intercept[TrainingDivergedException](
      Optimizer(lin, reg, new MSECriterion(), 10).setOptimMethod(new SGD(1e3)).setEndWhen(MaxEpoch(1)).optimize())
    assert(e.getMessage.contains("loss diverged at iteration"))
    assert(!lin.getParameters()._1.hasNaNOrInf)

    def oneStep(clip: Optimizer => Optimizer): Tensor = {
      RandomGenerator.setSeed(2)
      val m = new Linear(4, 1)
      val before = weights(m)
      clip(Optimizer(m, reg, new MSECriterion(), 100).setOptimMethod(new SGD(1.0)).setEndWhen(MaxIteration(1))).optimize()
      weights(m).sub(before)
    }
    val free = oneStep(o => o)
    assert(free.clone().abs().max() > 0.01f)
    assert(oneStep(_.setConstantGradientClipping(-0.001, 0.001)).abs().max() <= 0.001f + 1e-7f)
    val l2 = oneStep(_.setGradientClippingByL2Norm(0.01))
    assert(math.abs(l2.norm2() - 0.01f) < 1e-5 && l2.clone().mul(free.norm2() / 0.01f).almostEqual(free, 1e-5, 1e-3))
  }

  test("bad optimizer arguments are rejected with clear messages") {
    assert(intercept[IllegalArgumentException](Optimizer(mlp(1), train, new ClassNLLCriterion(), 0)).getMessage.contains("batchSize must be > 0, got 0"))
    assert(intercept[IllegalArgumentException](Optimizer(mlp(1), train, new ClassNLLCriterion(), 8).setGradientClippingByL2Norm(-1))
      .getMessage.contains("maxNorm"))
    assert(intercept[java.io.FileNotFoundException](Optimizer(mlp(1), train, new ClassNLLCriterion(), 8)
      .resumeFrom(tempDir())).getMessage.contains("no checkpoint"))
  }
}
