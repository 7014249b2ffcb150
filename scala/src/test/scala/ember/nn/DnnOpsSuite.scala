package ember.nn

import java.util.Random

import ember.tensor.Tensor
import ember.tensor.dnn.{Dnn, DnnOps}
import org.scalatest.funsuite.AnyFunSuite

/**
 * Pooling, elementwise activations and softmax on oneDNN (every kernel of [[DnnOps]] on) against the JVM kernels:
 * the same layer runs forward and backward once per kernel set; outputs and input gradients must agree within
 * each case's tolerance (max pooling exactly; oneDNN evaluates exp and tanh with its own polynomials, and sums
 * in another order). Shapes include odd sizes, padding, ceil mode, count_include_pad, unbatched and empty input.
 */
class DnnOpsSuite extends AnyFunSuite {
  private def randn(rng: Random, scale: Float, shape: Int*): Tensor = {
    val t = Tensor(shape: _*); t.apply1(_ => rng.nextGaussian().toFloat * scale); t
  }

  private def run(k: Dnn.Kernels, m: Module, x: Tensor, g: Tensor): (Tensor, Tensor) = Dnn.withKernels(k)(DnnOps.withOps(DnnOps.all) {
    val y = m.forward(x.clone()).toTensor.clone()
    (y, m.backward(x.clone(), g.clone()).toTensor.clone())
  })

  private def compare(name: String, m: => Module, shape: Seq[Int], atol: Double, rtol: Double, scale: Float = 1f,
      exactOutput: Boolean = false): Unit =
    test(s"$name on ${shape.mkString("x")}: oneDNN = JVM kernel (atol $atol, rtol $rtol)") {
      assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
      val rng = new Random(shape.product + name.length)
      val x = randn(rng, scale, shape: _*)
      val layer = m
      val outShape = Dnn.withKernels(Dnn.JvmKernels)(layer.forward(x.clone()).toTensor.shape.toIndexedSeq)
      val g = randn(rng, 1f, outShape: _*)
      val (y1, gi1) = run(Dnn.JvmKernels, layer, x, g)
      val (y2, gi2) = run(Dnn.DnnlKernels, layer, x, g)
      assert(y2.shape.toSeq == y1.shape.toSeq && gi2.shape.toSeq == gi1.shape.toSeq, s"$name: shapes differ")
      def worst(a: Tensor, b: Tensor) = a.toArray.zip(b.toArray).map { case (p, q) => (math.abs(p - q), p, q) }.maxByOption(_._1)
      assert(if (exactOutput) y2.almostEqual(y1, 0.0, 0.0) else y2.almostEqual(y1, atol, rtol), s"$name: outputs differ, worst (|diff|, oneDNN, JVM) ${worst(y2, y1)}")
      assert(gi2.almostEqual(gi1, atol, rtol), s"$name: input gradients differ, worst ${worst(gi2, gi1)}")
    }

  // pooling: max outputs exactly (the same element wins; gaussian inputs have no ties), the rest to rounding (overlapping
  // windows add gradients in another order)
  private val pool = Seq(
    ("SpatialMaxPooling 2x2 stride 2 (LeNet-5)", () => new SpatialMaxPooling(2, 2, 2, 2), Seq(4, 6, 24, 24)),
    ("SpatialMaxPooling 2x2 stride 2, odd size", () => new SpatialMaxPooling(2, 2, 2, 2), Seq(3, 5, 7, 9)),
    ("SpatialMaxPooling 3x3 stride 2 pad 1 ceil", () => new SpatialMaxPooling(3, 3, 2, 2, 1, 1, true), Seq(2, 3, 8, 7)),
    ("SpatialMaxPooling 3x2 stride 2x1 ceil, unbatched", () => new SpatialMaxPooling(3, 2, 2, 1).ceil(), Seq(3, 5, 6)),
    ("SpatialMaxPooling 3x3 stride 3 ceil, window past the input", () => new SpatialMaxPooling(3, 3, 3, 3).ceil(), Seq(2, 2, 8, 10)),
    ("SpatialMaxPooling 3x3 stride 1 pad 1", () => new SpatialMaxPooling(3, 3, 1, 1, 1, 1), Seq(2, 4, 5, 5)),
    ("SpatialMaxPooling, empty batch", () => new SpatialMaxPooling(2, 2, 2, 2), Seq(0, 3, 8, 8)),
    ("SpatialAveragePooling 2x2 stride 2", () => new SpatialAveragePooling(2, 2, 2, 2), Seq(4, 6, 12, 12)),
    ("SpatialAveragePooling 3x3 stride 2 pad 1, count_include_pad", () => new SpatialAveragePooling(3, 3, 2, 2, 1, 1), Seq(2, 3, 9, 9)),
    ("SpatialAveragePooling 3x3 stride 2 pad 1, exclude pad",
      () => new SpatialAveragePooling(3, 3, 2, 2, 1, 1, false, false, false, true), Seq(2, 3, 9, 8)),
    ("SpatialAveragePooling 3x3 stride 2 pad 1 ceil, exclude pad",
      () => new SpatialAveragePooling(3, 3, 2, 2, 1, 1, false, true, false, true), Seq(2, 2, 6, 7)),
    ("SpatialAveragePooling 3x3 stride 2 pad 1 ceil, count_include_pad (window past the padding: JVM kernel)",
      () => new SpatialAveragePooling(3, 3, 2, 2, 1, 1, false, true, true, true), Seq(2, 2, 6, 7)),
    ("SpatialAveragePooling 3x3 stride 2 ceil, count_include_pad without padding",
      () => new SpatialAveragePooling(3, 3, 2, 2, 0, 0, false, true, true, true), Seq(2, 2, 8, 6)),
    ("SpatialAveragePooling global (ResNet-20)", () => new SpatialAveragePooling(8, 8, 1, 1, 0, 0, true, false, true, true), Seq(4, 64, 8, 8)),
    ("SpatialAveragePooling sum (JVM kernel), unbatched",
      () => new SpatialAveragePooling(2, 3, 2, 1, 1, 1, false, false, true, false), Seq(2, 5, 4)),
    ("SpatialAveragePooling, empty batch", () => new SpatialAveragePooling(2, 2, 2, 2), Seq(0, 3, 8, 8)))
  for ((name, m, shape) <- pool)
    compare(name, m(), shape, 1e-6, 1e-5, exactOutput = name.startsWith("SpatialMax"))

  private val eltwise = Seq[(String, () => Module, Double, Double)](
    ("ReLU", () => new ReLU(), 0.0, 0.0),
    ("ReLU in place", () => new ReLU(true), 0.0, 0.0),
    ("ReLU6", () => new ReLU6(), 0.0, 0.0),
    ("ReLU6 in place", () => new ReLU6(true), 0.0, 0.0),
    ("LeakyReLU(0.1)", () => new LeakyReLU(0.1), 1e-7, 1e-6),
    ("LeakyReLU(0.2) in place", () => new LeakyReLU(0.2, true), 1e-7, 1e-6),
    ("Tanh", () => new Tanh(), 1e-6, 1e-5),
    ("Sigmoid", () => new Sigmoid(), 1e-6, 1e-5),
    ("ELU", () => new ELU(), 1e-6, 1e-5),
    ("ELU(0.5) in place", () => new ELU(0.5, true), 1e-6, 1e-5),
    ("SoftPlus", () => new SoftPlus(), 1e-6, 1e-5),
    ("SoftPlus(2)", () => new SoftPlus(2.0), 1e-6, 1e-5))
  for ((name, m, atol, rtol) <- eltwise; shape <- Seq(Seq(3, 5, 7, 2), Seq(11), Seq(0, 4)))
    compare(name, m(), shape, atol, rtol, scale = 4f)

  for ((name, m) <- Seq[(String, () => Module)](("SoftMax", () => new SoftMax()), ("LogSoftMax", () => new LogSoftMax()));
       shape <- Seq(Seq(128, 10), Seq(7, 13), Seq(10), Seq(0, 10), Seq(2, 4, 3, 5), Seq(4, 3, 5))) // images: on the JVM (DnnSoftmax)
    compare(name, m(), shape, 1e-5, 1e-5, scale = 3f) // log-softmax: x - max - log(sum) in float on oneDNN, double on the JVM

  test("two max-pooling layers of the same shape keep their own workspace on oneDNN") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    val rng = new Random(3)
    val (a, b) = (new SpatialMaxPooling(2, 2, 2, 2), new SpatialMaxPooling(2, 2, 2, 2))
    val (xa, xb, g) = (randn(rng, 1f, 2, 3, 6, 6), randn(rng, 1f, 2, 3, 6, 6), randn(rng, 1f, 2, 3, 3, 3))
    def both(k: Dnn.Kernels) = Dnn.withKernels(k)(DnnOps.withOps(DnnOps.all) {
      a.forward(xa.clone()); b.forward(xb.clone()) // b's forward must not disturb a's argmax
      (a.backward(xa, g.clone()).toTensor.clone(), b.backward(xb, g.clone()).toTensor.clone())
    })
    val (jvmA, jvmB) = both(Dnn.JvmKernels)
    val (dnnA, dnnB) = both(Dnn.DnnlKernels)
    assert(dnnA.almostEqual(jvmA, 0.0, 0.0) && dnnB.almostEqual(jvmB, 0.0, 0.0))
  }

  test("on oneDNN a NaN still wins its max-pooling window and passes through the activations and softmax, as in PyTorch") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    Dnn.withKernels(Dnn.DnnlKernels)(DnnOps.withOps(DnnOps.all) {
      val x = Tensor.fromArray(Array(1f, Float.NaN, 2f, 0f, 3f, 4f, 9f, 8f, 7f, 6f, -1f, -2f, 0f, 0f, 1f, Float.NaN), 1, 1, 4, 4)
      val pool = new SpatialMaxPooling(2, 2, 2, 2)
      val y = pool.forward(x).toTensor.toArray
      assert(y.count(_.isNaN) == 2, s"one NaN output per window holding a NaN: ${y.toSeq}")
      val gi = pool.backward(x, Tensor.ones(1, 1, 2, 2)).toTensor
      assert(gi(0, 0, 0, 1) == 1f && gi(0, 0, 3, 3) == 1f, s"the gradient goes to the NaNs: ${gi.toArray.toSeq}")
      val v = Tensor.fromArray(Array(Float.NaN, Float.PositiveInfinity, Float.NegativeInfinity, -1f, 0.5f, 7f), 1, 6)
      val bad = Seq(new ReLU(), new ReLU(true), new ReLU6(), new LeakyReLU(), new Tanh(), new Sigmoid(), new ELU(), new SoftPlus())
        .map(m => (m, m.forward(v.clone()).toTensor.toArray)).filterNot { case (_, out) => out(0).isNaN && !out.drop(1).exists(_.isNaN) }
      assert(bad.isEmpty, bad.map { case (m, out) => s"$m: ${out.toSeq}" }.mkString("; "))
      for (m <- Seq(new SoftMax(), new LogSoftMax()))
        assert(m.forward(Tensor.fromArray(Array(1f, Float.NaN, 2f), 1, 3)).toTensor.toArray.forall(_.isNaN), s"$m: a NaN row")
    })
  }

  test("EMBER_DNN_OPS values: all, none, default and a list; an unknown name is an error that lists the names") {
    assert(DnnOps.parse("all") == DnnOps.all && DnnOps.parse("none").isEmpty && DnnOps.parse("") == DnnOps.defaults)
    assert(DnnOps.parse(" MaxPool, tanh ") == Set(DnnOps.MaxPool, DnnOps.Tanh))
    val e = intercept[IllegalArgumentException](DnnOps.parse("maxpool,gelu"))
    assert(e.getMessage.contains("'gelu'") && e.getMessage.contains("softmax"))
  }

  test("with the JVM kernel set no oneDNN kernel is used, whatever DnnOps selects") {
    Dnn.withKernels(Dnn.JvmKernels)(DnnOps.withOps(DnnOps.all)(assert(!DnnOps.all.exists(DnnOps.use))))
  }
}
