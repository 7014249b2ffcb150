package ember.nn

import java.util.Random

import ember.tensor.{RandomGenerator, Tensor}
import org.scalatest.funsuite.AnyFunSuite

/** ReLU (and in place), Tanh, Sigmoid against their formulas; Dropout statistics, modes and seeding. */
class ActivationSuite extends AnyFunSuite {
  private val rng = new Random(1)

  test("Tanh, Sigmoid and ReLU match their formulas elementwise, also on non-contiguous input") {
    val x = Tensor.normal(rng, 0f, 2f, 5, 4).t()
    val xs = x.toArray
    def check(m: TensorModule, f: Double => Double): Unit =
      m.forward(x).toArray.zip(xs).foreach { case (y, v) => assert(math.abs(y - f(v.toDouble)) < 1e-6, s"$m($v) = $y") }
    check(new Tanh(), math.tanh)
    check(new Sigmoid(), v => 1 / (1 + math.exp(-v)))
    check(new ReLU(), v => math.max(v, 0))
  }

  test("Tanh is within 4e-7 relative (or 1e-12 absolute) of tanh in Double on a dense grid, tiny values and the limits") {
    val grid = (-2000000 to 2000000 by 7).map(i => i * 5e-6f) ++ Seq(1e-30f, -1e-30f, 3e-4f, -3e-4f, 0f, 20f, -20f,
      Float.MaxValue, Float.MinValue, Float.PositiveInfinity, Float.NegativeInfinity)
    val xs = grid.toArray
    // once on a tensor at offset 0, once on a narrowed view (the copy-then-in-place path)
    for (x <- Seq(Tensor.fromArray(xs, xs.length), Tensor.fromArray(0f +: xs, xs.length + 1).narrow(0, 1, xs.length))) {
      val y = new Tanh().forward(x).toArray
      for (i <- xs.indices) {
        val want = math.tanh(xs(i).toDouble)
        assert(math.abs(y(i) - want) <= math.max(4e-7 * math.abs(want), 1e-12), s"tanh(${xs(i)}) = ${y(i)}, want $want")
      }
    }
    assert(new Tanh().forward(Tensor.fromArray(Array(Float.NaN), 1)).toArray.head.isNaN)
  }

  test("ReLU in place overwrites its input and its gradOutput") {
    val x = Tensor.fromArray(Array(-1f, 2f, -3f, 4f), 2, 2)
    val relu = new ReLU(true)
    val y = relu.forward(x)
    assert(y eq x)
    assert(x.toArray.toSeq == Seq(0f, 2f, 0f, 4f))
    val g = Tensor.fromArray(Array(1f, 1f, 1f, 1f), 2, 2)
    assert(relu.backward(x, g) eq g)
    assert(g.toArray.toSeq == Seq(0f, 1f, 0f, 1f))
  }

  test("Dropout zeroes about p of the elements, scales the rest, and is the identity in evaluate mode") {
    val x = Tensor.ones(100, 100)
    val d = new Dropout(0.3).setSeed(1)
    val y = d.forward(x).toArray
    val zeros = y.count(_ == 0f)
    assert(math.abs(zeros / 10000.0 - 0.3) < 0.02, s"$zeros zeros")
    assert(y.filter(_ != 0f).forall(v => math.abs(v - 1 / 0.7f) < 1e-6))
    val g = d.backward(x, Tensor.ones(100, 100)).toArray
    assert(g.zip(y).forall { case (a, b) => a == b }, "gradient uses the same mask")
    d.evaluate()
    assert(d.forward(x).almostEqual(x, 0, 0))
    assert(new Dropout(0.4, false, false).evaluate().forward(x).almostEqual(Tensor.ones(100, 100).mul(0.6f), 1e-7, 0))
  }

  test("Dropout masks are reproducible from RandomGenerator's seed") {
    def mask(): Array[Float] = { RandomGenerator.setSeed(77); new Dropout(0.5).forward(Tensor.ones(50)).toArray }
    assert(mask().toSeq == mask().toSeq)
    assert(intercept[IllegalArgumentException](new Dropout(1.0)).getMessage.stripPrefix("requirement failed: ") == "Dropout: initP must be in [0, 1), got 1.0")
  }

  test("ReLU's gradient is kept exactly where the output is positive (+inf and denormals too, not at 0, -0 or NaN)") {
    val xs = Array(Float.NaN, -1f, 0f, -0f, Float.MinPositiveValue, 3f, Float.PositiveInfinity, Float.NegativeInfinity,
      java.lang.Float.intBitsToFloat(0xffc00000)) // the last is a NaN with the sign bit set
    for (ip <- Seq(false, true)) {
      val x = Tensor.fromArray(xs.clone(), xs.length)
      val relu = new ReLU(ip)
      val y = relu.forward(x).toArray
      assert(y(0).isNaN && y(8).isNaN && y.slice(1, 8).toSeq == Seq(0f, 0f, 0f, Float.MinPositiveValue, 3f, Float.PositiveInfinity, 0f))
      val gi = relu.backward(x, Tensor.fromArray(Array.tabulate(xs.length)(i => i + 1f), xs.length)).toArray
      assert(gi.toSeq == Seq(0f, 0f, 0f, 0f, 5f, 6f, 7f, 0f, 0f), s"ip=$ip: ${gi.mkString(", ")}")
    }
  }

  test("ReLU's backward without NaN (the vectorised loop): the gradient where y > 0, +0 elsewhere, offset views too") {
    val rng = new Random(3)
    val xs = Array.tabulate(203)(i => if (i % 7 == 0) 0f else if (i % 11 == 0) Float.MinPositiveValue else rng.nextGaussian().toFloat)
    xs(5) = Float.PositiveInfinity
    val gs = Array.tabulate(xs.length)(_ => rng.nextGaussian().toFloat)
    def expected(y: Array[Float]): Seq[Float] = y.indices.map(i => if (y(i) > 0f) gs(i) else 0f)
    for (ip <- Seq(false, true); offset <- Seq(0, 3)) {
      val relu = new ReLU(ip)
      val x = Tensor.fromArray(Array.fill(offset)(1f) ++ xs, offset + xs.length).narrow(0, offset, xs.length)
      val y = relu.forward(x).toTensor.toArray
      val gi = relu.backward(x, Tensor.fromArray(gs.clone(), gs.length)).toTensor.toArray
      assert(gi.toSeq == expected(y), s"ip=$ip offset=$offset")
      assert(gi.forall(v => java.lang.Float.floatToRawIntBits(v) != 0x80000000), s"ip=$ip offset=$offset: a -0 in the gradient")
    }
  }

  test("ReLU's backward: an infinite or NaN gradient at y = 0 gives 0, as the integer mask did") {
    val x = Tensor.fromArray(Array(-1f, 0f, 2f, -3f), 4)
    val relu = new ReLU()
    relu.forward(x)
    val gi = relu.backward(x, Tensor.fromArray(Array(Float.PositiveInfinity, Float.NaN, 5f, Float.NegativeInfinity), 4)).toArray
    assert(gi.toSeq == Seq(0f, 0f, 5f, 0f))
  }

  test("NaN passes through ReLU, ReLU6 and Threshold (in place too), as in PyTorch") {
    def x = Tensor.fromArray(Array(Float.NaN, -1f, 0.5f, 7f), 4)
    for (m <- Seq(new ReLU(), new ReLU(true), new ReLU6(), new ReLU6(true), new Threshold(0.1, 0.0), new Threshold(0.1, -1.0, true))) {
      val y = m.forward(x).toTensor.toArray
      assert(y(0).isNaN && !y.drop(1).exists(_.isNaN), s"$m: ${y.mkString(", ")}")
    }
  }
}
