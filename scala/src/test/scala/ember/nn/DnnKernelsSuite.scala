package ember.nn

import java.util.Random

import ember.tensor.{RandomGenerator, Tensor}
import ember.tensor.dnn.{Dnn, DnnBatchNorm}
import org.scalatest.funsuite.AnyFunSuite

/**
 * Every layer with a oneDNN kernel against its JVM kernel: the same module (same weights) runs forward and
 * backward once per kernel set, and outputs, input gradients and parameter gradients must agree within
 * rtol 1e-4 / atol 1e-4 (oneDNN sums in other orders, e.g. Winograd-free direct or GEMM convolutions).
 */
class DnnKernelsSuite extends AnyFunSuite {
  private val (rtol, atol) = (1e-4, 1e-4)

  private def randn(rng: Random, shape: Int*): Tensor = { val t = Tensor(shape: _*); t.apply1(_ => rng.nextGaussian().toFloat); t }

  /** (output, gradInput, parameter gradients) of one forward + backward with the given kernels. */
  // batch norm's oneDNN kernel is off in the layers by default (DnnBatchNorm.inLayers); here it is on
  private def run(k: Dnn.Kernels, m: Module, x: Tensor, g: Tensor): (Tensor, Tensor, Seq[Tensor]) =
    Dnn.withKernels(k)(DnnBatchNorm.withInLayers(true) {
      m.zeroGradParameters()
      val y = m.forward(x.clone()).toTensor.clone()
      val gi = m.backward(x.clone(), g.clone()).toTensor.clone()
      (y, gi, m.namedParameters.map(_._2.grad.clone()))
    })

  private def compare(name: String, m: => Module, inShape: Seq[Int], train: Boolean = true): Unit = test(s"$name: oneDNN = JVM kernels") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    RandomGenerator.setSeed(7)
    val layer = m
    if (!train) layer.evaluate()
    val rng = new Random(7)
    val x = randn(rng, inShape: _*)
    val outShape = Dnn.withKernels(Dnn.JvmKernels)(layer.forward(x.clone()).toTensor.shape)
    val g = randn(rng, outShape.toIndexedSeq: _*)
    val (y1, gi1, p1) = run(Dnn.JvmKernels, layer, x, g)
    val (y2, gi2, p2) = run(Dnn.DnnlKernels, layer, x, g)
    assert(y2.almostEqual(y1, atol, rtol), s"$name: outputs differ")
    assert(gi2.almostEqual(gi1, atol, rtol), s"$name: input gradients differ")
    for (((a, b), i) <- p2.zip(p1).zipWithIndex) assert(a.almostEqual(b, atol * 10, rtol * 10), s"$name: parameter gradient $i differs")
  }

  compare("SpatialConvolution 3x3 pad 1", new SpatialConvolution(3, 8, 3, 3, 1, 1, 1, 1), Seq(4, 3, 9, 9))
  compare("SpatialConvolution 5x5 stride 2, no bias", new SpatialConvolution(4, 6, 5, 5, 2, 2, 0, 0, false), Seq(3, 4, 13, 11))
  compare("SpatialConvolution 'same' stride 2", new SpatialConvolution(2, 5, 3, 3, 2, 2, -1, -1), Seq(2, 2, 8, 7))
  compare("SpatialConvolution 2 groups", new SpatialConvolution(4, 6, 3, 3, 1, 1, 1, 1, 2), Seq(3, 4, 8, 7))
  compare("SpatialConvolution depthwise stride 2, no bias", new SpatialConvolution(4, 8, 3, 3, 2, 2, 1, 1, 4, false), Seq(2, 4, 9, 9))
  compare("SpatialConvolution 1x1 on one image", new SpatialConvolution(6, 4, 1, 1), Seq(6, 5, 5))
  compare("SpatialDilatedConvolution dilation 2", new SpatialDilatedConvolution(3, 4, 3, 3, 1, 1, 2, 2, 2, 2), Seq(2, 3, 10, 10))
  compare("SpatialDilatedConvolution stride 2 dilation 3x1", new SpatialDilatedConvolution(2, 3, 3, 2, 2, 1, 1, 0, 3, 1), Seq(2, 2, 11, 9))
  compare("SpatialFullConvolution stride 2 adj 1", new SpatialFullConvolution(4, 3, 3, 3, 2, 2, 1, 1, 1, 1), Seq(2, 4, 5, 6))
  compare("SpatialFullConvolution no bias", new SpatialFullConvolution(3, 2, 4, 4, 2, 2, 1, 1, 0, 0, false), Seq(2, 3, 4, 4))

  compare("SpatialBatchNormalization, training", new SpatialBatchNormalization(5), Seq(6, 5, 7, 7))
  compare("SpatialBatchNormalization, evaluation", {
    val bn = new SpatialBatchNormalization(3); bn.runningMean.fill(0.2f); bn.runningVar.fill(1.7f); bn.weight.fill(1.3f); bn
  }, Seq(4, 3, 5, 5), train = false)
  compare("SpatialBatchNormalization without affine", new SpatialBatchNormalization(4, 1e-3, 0.2, false), Seq(3, 4, 6, 6))
  compare("BatchNormalization [N, C]", new BatchNormalization(7), Seq(9, 7))

  test("batch norm on oneDNN moves the running statistics as the JVM kernel does") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    val x = randn(new Random(9), 8, 3, 4, 4)
    val stats = Seq(Dnn.JvmKernels, Dnn.DnnlKernels).map { k =>
      val bn = new SpatialBatchNormalization(3)
      Dnn.withKernels(k)(DnnBatchNorm.withInLayers(true) { bn.forward(x.clone()); bn.forward(x.clone()) })
      (bn.runningMean.clone(), bn.runningVar.clone())
    }
    assert(stats(1)._1.almostEqual(stats(0)._1, 1e-6, 1e-5))
    assert(stats(1)._2.almostEqual(stats(0)._2, 1e-6, 1e-5))
  }

  test("convolutions of several sizes interleaved on one thread (shared, growing native buffers) match the JVM kernels") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    RandomGenerator.setSeed(4)
    val rng = new Random(4)
    // small first, then larger ones that grow the thread's buffers, then the small one again
    val cases = Seq((new SpatialConvolution(2, 3, 3, 3, 1, 1, 1, 1), randn(rng, 2, 2, 5, 5)),
      (new SpatialConvolution(4, 8, 3, 3, 2, 2, 1, 1), randn(rng, 4, 4, 20, 20)),
      (new SpatialConvolution(8, 8, 3, 3, 1, 1, 1, 1, false), randn(rng, 3, 8, 24, 24)))
    def step(k: Dnn.Kernels, i: Int): (Tensor, Tensor, Tensor) = Dnn.withKernels(k) {
      val (m, x) = cases(i)
      m.zeroGradParameters()
      val y = m.forward(x).clone()
      (y, m.backward(x, y.clone().fill(0.5f)).clone(), m.gradWeight.clone())
    }
    for (i <- Seq(0, 1, 2, 0, 2, 1, 0)) {
      val ((y1, g1, w1), (y2, g2, w2)) = (step(Dnn.JvmKernels, i), step(Dnn.DnnlKernels, i))
      assert(y2.almostEqual(y1, atol, rtol) && g2.almostEqual(g1, atol, rtol) && w2.almostEqual(w1, atol * 10, rtol * 10), s"case $i")
    }
  }

  test("two threads running oneDNN convolutions at once get the single-threaded results") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    Dnn.withKernels(Dnn.DnnlKernels) {
      RandomGenerator.setSeed(3)
      val layers = Seq.fill(2)(new SpatialConvolution(8, 16, 3, 3, 1, 1, 1, 1))
      val x = randn(new Random(3), 16, 8, 16, 16)
      val alone = layers.map(l => l.forward(x.clone()).clone())
      val results = new Array[Tensor](2)
      val threads = layers.indices.map(i => new Thread(() => {
        var y: Tensor = null
        for (_ <- 0 until 20) y = layers(i).forward(x.clone())
        results(i) = y.clone()
      }))
      threads.foreach(_.start()); threads.foreach(_.join())
      for (i <- layers.indices) assert(results(i).almostEqual(alone(i), 0, 0), s"thread $i got a different result")
    }
  }
}
