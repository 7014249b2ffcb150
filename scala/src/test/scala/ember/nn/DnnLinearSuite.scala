package ember.nn

import java.util.Random

import ember.tensor.{RandomGenerator, Tensor}
import ember.tensor.dnn.{Dnn, DnnLinear, LinearSpec, MixedPrecision}
import org.scalatest.funsuite.AnyFunSuite

/**
 * Linear on oneDNN's inner product against Linear on BLAS (the JVM path): output, input gradient and accumulated
 * parameter gradients within 1e-5 / 1e-4, forced either way whatever `DnnLinear.preferred` would choose; and the
 * rule itself (batches under 32 rows on BLAS, narrow float32 layers and bf16 on oneDNN).
 */
class DnnLinearSuite extends AnyFunSuite {
  private def run(forceBlas: Boolean, m: Linear, x: Tensor, g: Tensor): Seq[Tensor] = {
    DnnLinear.forceBlas = Some(forceBlas)
    try {
      m.zeroGradParameters()
      val y = m.forward(x.clone()).toTensor.clone()
      val gi = m.backward(x.clone(), g.clone()).toTensor.clone()
      m.backward(x.clone(), g.clone()) // accumulates a second time
      Seq(y, gi) ++ m.parameters()._2.map(_.clone())
    } finally DnnLinear.forceBlas = None
  }

  for ((n, in, out, bias) <- Seq((1, 7, 3, true), (5, 20, 11, false), (64, 96, 40, true), (128, 192, 100, true), (33, 64, 10, false)))
    test(s"Linear($in, $out${if (bias) "" else ", no bias"}) on $n rows: oneDNN = BLAS") {
      assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
      Dnn.withKernels(Dnn.DnnlKernels) {
        RandomGenerator.setSeed(n)
        val rng = new Random(n)
        val m = new Linear(in, out, bias)
        val x = Tensor.normal(rng, 0f, 1f, n, in)
        val g = Tensor.normal(rng, 0f, 1f, n, out)
        val viaBlas = run(forceBlas = true, m, x, g)
        val viaDnn = run(forceBlas = false, m, x, g)
        for ((what, a, b) <- Seq("output", "input gradient", "weight gradient", "bias gradient").lazyZip(viaDnn).lazyZip(viaBlas))
          assert(a.almostEqual(b, 1e-5, 1e-4), s"$what differs")
      }
    }

  test("a 1-d input and a non-contiguous batch go through oneDNN too") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    Dnn.withKernels(Dnn.DnnlKernels) {
      val rng = new Random(1)
      val m = new Linear(6, 4)
      val v = Tensor.normal(rng, 0f, 1f, 6)
      val wide = Tensor.normal(rng, 0f, 1f, 6, 40)
      for (x <- Seq(v, wide.t())) {
        val g = Tensor.normal(rng, 0f, 1f, (if (x.dim == 1) Seq(4) else Seq(40, 4)): _*)
        val (a, b) = (run(forceBlas = true, m, x, g), run(forceBlas = false, m, x, g))
        assert(a.zip(b).forall { case (p, q) => p.almostEqual(q, 1e-5, 1e-4) })
      }
    }
  }

  test("the per-shape rule: small batches on BLAS; narrow float32 layers and every bf16 layer of 32 rows on oneDNN") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    Dnn.withKernels(Dnn.DnnlKernels) {
      assert(!DnnLinear.preferred(LinearSpec(16, 100, 10, true)))
      assert(DnnLinear.preferred(LinearSpec(128, 100, 10, true)))
      assert(!DnnLinear.preferred(LinearSpec(128, 784, 512, true)))
      MixedPrecision.set("bf16")
      try assert(DnnLinear.preferred(LinearSpec(128, 784, 512, true)) == MixedPrecision.cpuHasBf16)
      finally MixedPrecision.set("fp32")
    }
    Dnn.withKernels(Dnn.JvmKernels)(assert(!DnnLinear.preferred(LinearSpec(128, 100, 10, true))))
  }
}
