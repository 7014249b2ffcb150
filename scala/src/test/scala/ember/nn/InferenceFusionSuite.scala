package ember.nn

import java.util.Random

import ember.models.ResNet
import ember.tensor.{RandomGenerator, Tensor}
import ember.tensor.dnn.Dnn
import org.scalatest.funsuite.AnyFunSuite

/**
 * Evaluation mode on oneDNN with convolution + batch norm (+ residual addition) (+ ReLU) fused into one primitive
 * ([[InferenceFusion]]): the same outputs as unfused and as the JVM kernels, gradients after a fused forward as
 * after an unfused one, and training afterwards unaffected. Also [[Graph.setPropagateBack]].
 */
class InferenceFusionSuite extends AnyFunSuite {
  private val (rtol, atol) = (1e-4, 1e-4)

  private def randn(rng: Random, shape: Int*): Tensor = { val t = Tensor(shape: _*); t.apply1(_ => rng.nextGaussian().toFloat); t }

  /** Batch norms with non-trivial running statistics and affine parameters, so that folding has work to do. */
  private def randomStatistics(m: Module, rng: Random): Unit = m match {
    case bn: SpatialBatchNormalization =>
      bn.runningMean.apply1(_ => rng.nextGaussian().toFloat * 0.3f)
      bn.runningVar.apply1(_ => 0.5f + rng.nextFloat())
      bn.weight.apply1(_ => 0.5f + rng.nextFloat())
      bn.bias.apply1(_ => rng.nextGaussian().toFloat * 0.2f)
    case other => other.children.foreach(randomStatistics(_, rng))
  }

  private def output(m: Module, x: Tensor, kernels: Dnn.Kernels, fuse: Boolean): Tensor =
    Dnn.withKernels(kernels)(InferenceFusion.withEnabled(fuse)(m.forward(x.clone()).toTensor.clone()))

  private def resnet(rng: Random): Module = {
    RandomGenerator.setSeed(5)
    val m = ResNet(10, 8)
    randomStatistics(m, rng)
    m.evaluate()
  }

  test("ResNet in evaluation mode: fused = unfused = JVM kernels") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    val rng = new Random(3)
    val m = resnet(rng)
    val x = randn(rng, 4, 3, 32, 32)
    val jvm = output(m, x, Dnn.JvmKernels, fuse = true)
    val unfused = output(m, x, Dnn.DnnlKernels, fuse = false)
    val fused = output(m, x, Dnn.DnnlKernels, fuse = true)
    assert(unfused.almostEqual(jvm, atol, rtol), "oneDNN unfused differs from the JVM kernels")
    assert(fused.almostEqual(unfused, atol, rtol), "fused differs from unfused")
    assert(output(m, x, Dnn.DnnlKernels, fuse = true).almostEqual(fused, 0, 0), "a second fused pass gives the same")
  }

  test("Sequential conv-BN-ReLU fuses (the ReLU's output is the convolution's buffer) and matches unfused") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    val rng = new Random(4)
    RandomGenerator.setSeed(4)
    val conv = new SpatialConvolution(3, 8, 3, 3, 1, 1, 1, 1)
    val relu = new ReLU()
    val m = new Sequential().add(conv).add(new SpatialBatchNormalization(8)).add(relu).add(new SpatialConvolution(8, 4, 1, 1))
    randomStatistics(m, rng)
    m.evaluate()
    val x = randn(rng, 2, 3, 6, 6)
    val unfused = output(m, x, Dnn.DnnlKernels, fuse = false)
    assert(!(relu.output eq conv.output))
    val fused = output(m, x, Dnn.DnnlKernels, fuse = true)
    assert(relu.output eq conv.output, "the group ran fused")
    assert(fused.almostEqual(unfused, atol, rtol))
    assert(fused.almostEqual(output(m, x, Dnn.JvmKernels, fuse = true), atol, rtol))
  }

  test("chained groups: a result only the next group reads stays in oneDNN's memory; the same outputs as unchained") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    val rng = new Random(8)
    RandomGenerator.setSeed(8)
    val (conv1, relu1, conv2, relu2) = (new SpatialConvolution(3, 16, 3, 3, 1, 1, 1, 1), new ReLU(), new SpatialConvolution(16, 16, 3, 3, 2, 2, 1, 1, false), new ReLU())
    val m = new Sequential().add(conv1).add(new SpatialBatchNormalization(16)).add(relu1)
      .add(conv2).add(new SpatialBatchNormalization(16)).add(relu2)
    randomStatistics(m, rng)
    m.evaluate()
    val x = randn(rng, 3, 3, 10, 10)
    val unfused = output(m, x, Dnn.DnnlKernels, fuse = false)
    val chained = output(m, x, Dnn.DnnlKernels, fuse = true)
    assert(!(relu1.output eq conv1.output), "the first group's result did not go to the JVM")
    assert(relu2.output eq conv2.output, "the last group's result did")
    assert(chained.almostEqual(unfused, atol, rtol))
    assert(chained.almostEqual(output(m, x, Dnn.JvmKernels, fuse = true), atol, rtol))
    val x2 = randn(rng, 5, 3, 10, 10) // another batch size: new buffers
    assert(output(m, x2, Dnn.DnnlKernels, fuse = true).almostEqual(output(m, x2, Dnn.DnnlKernels, fuse = false), atol, rtol))
  }

  test("two conv-BN branches into one addition (a projection shortcut): one group takes the addition, the same outputs") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    val rng = new Random(9)
    RandomGenerator.setSeed(9)
    val x = Input()
    val a = new SpatialBatchNormalization(6).inputs(new SpatialConvolution(3, 6, 1, 1, 2, 2, 0, 0).inputs(x))
    val b = new SpatialBatchNormalization(6).inputs(new SpatialConvolution(3, 6, 3, 3, 2, 2, 1, 1).inputs(x))
    val m = Graph(x, new ReLU().inputs(new CAddTable().inputs(a, b)))
    randomStatistics(m, rng)
    m.evaluate()
    val in = randn(rng, 2, 3, 8, 8)
    val fused = output(m, in, Dnn.DnnlKernels, fuse = true)
    assert(fused.almostEqual(output(m, in, Dnn.DnnlKernels, fuse = false), atol, rtol))
    assert(fused.almostEqual(output(m, in, Dnn.JvmKernels, fuse = true), atol, rtol))
  }

  test("gradients after a fused forward equal those after an unfused one; training afterwards is unaffected") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    val rng = new Random(5)
    val a = resnet(rng)
    val b = a.cloneModule().evaluate() // a copy starts in training mode
    val x = randn(rng, 3, 3, 32, 32)
    val g = randn(rng, 3, 10)
    def step(m: Module, fuse: Boolean): (Tensor, Tensor, Seq[Tensor]) =
      Dnn.withKernels(Dnn.DnnlKernels)(InferenceFusion.withEnabled(fuse) {
        m.zeroGradParameters()
        val y = m.forward(x.clone()).toTensor.clone()
        val gi = m.backward(x.clone(), g.clone()).toTensor.clone()
        (y, gi, m.namedParameters.map(_._2.grad.clone()))
      })
    val (ya, gia, pa) = step(a, fuse = true)
    val (yb, gib, pb) = step(b, fuse = false)
    assert(ya.almostEqual(yb, atol, rtol) && gia.almostEqual(gib, atol, rtol))
    pa.zip(pb).foreach { case (p, q) => assert(p.almostEqual(q, atol, rtol)) }
    // training after evaluation: both models give the same training step (the members have their buffers back)
    a.training(); b.training()
    val (ta, tga, tpa) = step(a, fuse = true)
    val (tb, tgb, tpb) = step(b, fuse = true)
    assert(ta.almostEqual(tb, 0, 0) && tga.almostEqual(tgb, 0, 0))
    tpa.zip(tpb).foreach { case (p, q) => assert(p.almostEqual(q, 0, 0)) }
  }
}
