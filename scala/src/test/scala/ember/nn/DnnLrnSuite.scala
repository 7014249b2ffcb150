package ember.nn

import java.util.Random

import ember.tensor.Tensor
import ember.tensor.dnn.Dnn
import org.scalatest.funsuite.AnyFunSuite

/** SpatialCrossMapLRN on oneDNN against the JVM kernel: outputs and input gradients within 1e-5 / 1e-4. */
class DnnLrnSuite extends AnyFunSuite {
  private def randn(rng: Random, shape: Int*): Tensor = { val t = Tensor(shape: _*); t.apply1(_ => rng.nextGaussian().toFloat); t }

  private def run(k: Dnn.Kernels, m: Module, x: Tensor, g: Tensor): (Tensor, Tensor) = Dnn.withKernels(k) {
    val y = m.forward(x.clone()).toTensor.clone()
    (y, m.backward(x.clone(), g.clone()).toTensor.clone())
  }

  for ((size, alpha, beta, kk, shape) <- Seq((5, 1.0, 0.75, 1.0, Seq(2, 8, 5, 5)), (3, 1e-4, 0.75, 2.0, Seq(3, 16, 4, 6)),
    (5, 0.5, 0.5, 1.5, Seq(7, 6, 6)), (1, 2.0, 0.75, 1.0, Seq(2, 3, 4, 4))))
    test(s"SpatialCrossMapLRN($size, $alpha, $beta, $kk) on ${shape.mkString("x")}: oneDNN = JVM kernel") {
      assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
      val rng = new Random(size)
      val x = randn(rng, shape: _*).mul(2f)
      val g = randn(rng, shape: _*)
      val m = new SpatialCrossMapLRN(size, alpha, beta, kk)
      val (y1, gi1) = run(Dnn.JvmKernels, m, x, g)
      val (y2, gi2) = run(Dnn.DnnlKernels, m, x, g)
      assert(y2.almostEqual(y1, 1e-5, 1e-4), "outputs differ")
      assert(gi2.almostEqual(gi1, 1e-5, 1e-4), "input gradients differ")
    }

  test("two LRN layers of the same shape keep their own backward on oneDNN") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    val rng = new Random(9)
    val net = new Sequential().add(new SpatialCrossMapLRN(3, 1.0, 0.75, 1.0)).add(new SpatialCrossMapLRN(3, 1.0, 0.75, 1.0))
    val x = randn(rng, 2, 6, 3, 3)
    val g = randn(rng, 2, 6, 3, 3)
    val (y1, gi1) = run(Dnn.JvmKernels, net, x, g)
    val (y2, gi2) = run(Dnn.DnnlKernels, net, x, g)
    assert(y2.almostEqual(y1, 1e-5, 1e-4) && gi2.almostEqual(gi1, 1e-5, 1e-4))
  }
}
