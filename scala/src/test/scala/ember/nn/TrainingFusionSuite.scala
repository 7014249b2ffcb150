package ember.nn

import java.util.Random

import ember.models.ResNet
import ember.tensor.{RandomGenerator, Tensor}
import ember.tensor.dnn.Dnn
import org.scalatest.funsuite.AnyFunSuite

/**
 * Training mode on oneDNN with convolution + batch norm (+ ReLU) chained in oneDNN's memory ([[TrainingFusion]]):
 * outputs, input gradients, parameter gradients and running statistics as unchained and as the JVM kernels,
 * in a Graph (ResNet) and a Sequential, through backward and through updateGradInput + accGradParameters,
 * with frozen members and without propagateBack.
 */
class TrainingFusionSuite extends AnyFunSuite {
  private val (rtol, atol) = (1e-3, 1e-4)

  private def randn(rng: Random, shape: Int*): Tensor = { val t = Tensor(shape: _*); t.apply1(_ => rng.nextGaussian().toFloat); t }

  /** Affine parameters away from 1 and 0, so that the chain's use of them is checked. */
  private def randomAffine(m: Module, rng: Random): Unit = m match {
    case bn: SpatialBatchNormalization if bn.affine =>
      bn.weight.apply1(_ => 0.5f + rng.nextFloat())
      bn.bias.apply1(_ => rng.nextGaussian().toFloat * 0.2f)
    case other => other.children.foreach(randomAffine(_, rng))
  }

  private final case class Step(y: Tensor, gi: Tensor, grads: Seq[Tensor], buffers: Seq[Tensor])

  /** Two training steps' worth: forward + backward (or updateGradInput + accGradParameters) on a copy of `m`. */
  private def step(m0: Module, x: Tensor, g: Tensor, kernels: Dnn.Kernels, chain: Boolean, split: Boolean = false,
      prepare: Module => Unit = _ => ()): Step = {
    val m = m0.cloneModule()
    prepare(m)
    Dnn.withKernels(kernels)(TrainingFusion.withEnabled(chain) {
      m.zeroGradParameters()
      val y = m.forward(x.clone()).toTensor.clone()
      val gi =
        if (split) { val r = m.updateGradInput(x.clone(), g.clone()).toTensor.clone(); m.accGradParameters(x.clone(), g.clone()); r }
        else m.backward(x.clone(), g.clone()).toTensor.clone()
      Step(y, gi, m.namedParameters.map(_._2.grad.clone()), m.namedBuffers.map(_._2.clone()))
    })
  }

  private def assertClose(a: Step, b: Step, what: String): Unit = {
    assert(a.y.almostEqual(b.y, atol, rtol), s"$what: outputs differ")
    assert(a.gi.almostEqual(b.gi, atol, rtol), s"$what: input gradients differ")
    assert(a.grads.length == b.grads.length && a.buffers.length == b.buffers.length)
    a.grads.zip(b.grads).zipWithIndex.foreach { case ((p, q), i) =>
      assert(p.almostEqual(q, atol * 10, rtol * 10), s"$what: parameter gradient $i differs (max ${p.clone().sub(q).abs().max()})")
    }
    a.buffers.zip(b.buffers).zipWithIndex.foreach { case ((p, q), i) => assert(p.almostEqual(q, atol, rtol), s"$what: buffer $i differs") }
  }

  /** The chained oneDNN step of `m` against the unchained one, the JVM kernels' and the split backward. */
  private def assertChainAgrees(m: Module, x: Tensor, g: Tensor): Unit = {
    val chained = step(m, x, g, Dnn.DnnlKernels, chain = true)
    assertClose(chained, step(m, x, g, Dnn.DnnlKernels, chain = false), "oneDNN chained vs unchained")
    assertClose(chained, step(m, x, g, Dnn.JvmKernels, chain = true), "oneDNN chained vs JVM kernels")
    assertClose(chained, step(m, x, g, Dnn.DnnlKernels, chain = true, split = true), "backward vs updateGradInput + accGradParameters")
  }

  test("ResNet training step: chained = unchained = JVM kernels (outputs, gradients, running statistics)") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    val rng = new Random(11)
    RandomGenerator.setSeed(11)
    val m = ResNet(10, 8)
    randomAffine(m, rng)
    val x = randn(rng, 4, 3, 32, 32)
    val g = randn(rng, 4, 10)
    assertChainAgrees(m, x, g)
  }

  test("the chain runs in a ResNet: no convolution writes its own output, nor a block's first ReLU") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    RandomGenerator.setSeed(12)
    val m = ResNet(10, 8)
    val convs = Module.descendants(m).collect { case c: SpatialConvolution => c }
    Dnn.withKernels(Dnn.DnnlKernels)(TrainingFusion.withEnabled(true)(m.forward(Tensor(2, 3, 32, 32).fill(0.5f))))
    assert(convs.length == 7 && convs.forall(_.output.toTensor.dim != 4), "no convolution ran on its own")
    // the first ReLU of each block feeds the block's second convolution in oneDNN's memory: never written
    val relus = Module.descendants(m).collect { case r: ReLU => r }
    assert(relus.length == 7 && relus.count(_.output.toTensor.dim != 4) == 3, "three blocks linked their two convolutions")
    Dnn.withKernels(Dnn.DnnlKernels)(TrainingFusion.withEnabled(false)(m.forward(Tensor(2, 3, 32, 32).fill(0.5f))))
    assert(convs.forall(_.output.toTensor.dim == 4), "unchained, every convolution did")
  }

  test("Sequential conv-BN-ReLU (in place and not, with conv bias, not affine, strided) chained = unchained = JVM") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    val rng = new Random(13)
    RandomGenerator.setSeed(13)
    val m = new Sequential()
      .add(new SpatialConvolution(3, 8, 3, 3, 1, 1, 1, 1)).add(new SpatialBatchNormalization(8)).add(new ReLU(true))
      .add(new SpatialConvolution(8, 16, 3, 3, 2, 2, 1, 1, false)).add(new SpatialBatchNormalization(16, 1e-3, 0.3, false))
      .add(new ReLU(false))
      .add(new SpatialConvolution(16, 4, 1, 1)).add(new SpatialBatchNormalization(4))
    randomAffine(m, rng)
    val x = randn(rng, 3, 3, 9, 9)
    val g = randn(rng, 3, 4, 5, 5)
    assertChainAgrees(m, x, g)
  }

  test("frozen members and propagateBack off: no gradients where none are wanted, the others as unchained") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    val rng = new Random(14)
    RandomGenerator.setSeed(14)
    val conv = new SpatialConvolution(3, 8, 3, 3, 1, 1, 1, 1)
    val bn = new SpatialBatchNormalization(8)
    val m = new Sequential().add(conv).add(bn).add(new ReLU(true)).add(new SpatialConvolution(8, 2, 1, 1))
      .add(new SpatialBatchNormalization(2))
    randomAffine(m, rng)
    m.freeze(bn.getName)
    val x = randn(rng, 2, 3, 6, 6)
    val g = randn(rng, 2, 2, 6, 6)
    def run(chain: Boolean): (Seq[Tensor], Int) = Dnn.withKernels(Dnn.DnnlKernels)(TrainingFusion.withEnabled(chain) {
      val c = m.cloneModule().setPropagateBack(false)
      c.zeroGradParameters()
      c.forward(x.clone())
      c.backward(x.clone(), g.clone())
      val first = c.children.head
      (c.namedParameters.map(_._2.grad.clone()), first.gradInput.toTensor.dim)
    })
    val (chained, firstGi) = run(chain = true)
    val (plain, _) = run(chain = false)
    assert(firstGi != 4, "the first convolution computed no input gradient")
    chained.zip(plain).foreach { case (p, q) => assert(p.almostEqual(q, atol * 10, rtol * 10)) }
    val names = m.namedParameters.map(_._1)
    names.zip(chained).filter(_._1.contains(bn.getName)).foreach { case (n, t) => assert(t.abs().max() == 0f, s"$n of a frozen batch norm") }
  }

  test("what the chain cannot take (3-d input, a batch norm in evaluation mode) runs unchained") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    val rng = new Random(15)
    RandomGenerator.setSeed(15)
    val m = new Sequential().add(new SpatialConvolution(2, 4, 3, 3, 1, 1, 1, 1)).add(new SpatialBatchNormalization(4)).add(new ReLU())
    val x = randn(rng, 2, 5, 5) // one image [C, H, W]
    val g = randn(rng, 4, 5, 5)
    assertClose(step(m, x, g, Dnn.DnnlKernels, chain = true), step(m, x, g, Dnn.JvmKernels, chain = false), "one image")
    // a linked second group whose batch norm is in evaluation mode: the first stores its result for it
    val two = new Sequential().add(new SpatialConvolution(2, 4, 3, 3, 1, 1, 1, 1)).add(new SpatialBatchNormalization(4))
      .add(new ReLU(true)).add(new SpatialConvolution(4, 3, 1, 1)).add(new SpatialBatchNormalization(3))
    val x2 = randn(rng, 2, 2, 5, 5)
    val g2 = randn(rng, 2, 3, 5, 5)
    val bn2Eval = (m: Module) => { m.children.last.evaluate(); () }
    assertClose(step(two, x2, g2, Dnn.DnnlKernels, chain = true, prepare = bn2Eval),
      step(two, x2, g2, Dnn.JvmKernels, chain = false, prepare = bn2Eval), "evaluation-mode second group")
  }
}
