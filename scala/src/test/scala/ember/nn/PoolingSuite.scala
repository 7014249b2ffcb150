package ember.nn

import java.util.Random

import ember.tensor.{Pool2dShape, Tensor}
import org.scalatest.funsuite.AnyFunSuite

/** Max and average pooling against naive reference loops, and output sizes against PyTorch's values. */
class PoolingSuite extends AnyFunSuite {
  private val rng = new Random(7)

  /** PyTorch's output size, written independently of Pool2dShape: the ceil-mode window must start inside. */
  private def refOut(in: Int, k: Int, s: Int, p: Int, ceil: Boolean): Int = {
    val q = (in + 2 * p - k).toDouble / s
    val o = (if (ceil) math.ceil(q) else math.floor(q)).toInt + 1
    if (ceil && (o - 1) * s >= in + p) o - 1 else o
  }

  /** Naive pooling of one [H, W] plane; the average's divisor follows PyTorch's avg_pool2d. */
  private def naive(x: Tensor, n: Int, c: Int, k: (Int, Int), st: (Int, Int), pad: (Int, Int), ceil: Boolean,
      max: Boolean, countPad: Boolean, divide: Boolean): Array[Double] = {
    val (h, w) = (x.size(2), x.size(3))
    val (oh, ow) = (refOut(h, k._1, st._1, pad._1, ceil), refOut(w, k._2, st._2, pad._2, ceil))
    val out = Array.newBuilder[Double]
    for (i <- 0 until oh; j <- 0 until ow) {
      val (hs, ws) = (i * st._1 - pad._1, j * st._2 - pad._2)
      val cells = for (a <- hs until hs + k._1; b <- ws until ws + k._2 if a >= 0 && a < h && b >= 0 && b < w) yield x(n, c, a, b).toDouble
      if (max) out += cells.max
      else {
        val (he, we) = (math.min(hs + k._1, h + pad._1), math.min(ws + k._2, w + pad._2))
        val div = if (!divide) 1.0 else if (countPad) (he - hs) * (we - ws) else cells.size
        out += cells.sum / div
      }
    }
    out.result()
  }

  private def check(layer: Module, x: Tensor, ref: (Int, Int) => Array[Double]): Unit = {
    val y = layer.forward(x).toTensor
    val expected = (for (n <- 0 until x.size(0); c <- 0 until x.size(1)) yield ref(n, c)).flatten
    val a = y.toArray
    assert(a.length == expected.length, s"$layer: ${y.shapeString} has ${a.length} values, expected ${expected.length}")
    for (i <- a.indices) assert(math.abs(a(i) - expected(i)) <= 1e-5 * (1 + math.abs(expected(i))), s"$layer [$i]: ${a(i)} vs ${expected(i)}")
  }

  // (kH, kW, sH, sW, pH, pW, H, W)
  private val configs = Seq((2, 2, 2, 2, 0, 0, 6, 6), (3, 3, 2, 2, 1, 1, 7, 6), (2, 2, 2, 2, 0, 0, 5, 5), (3, 2, 2, 1, 1, 0, 6, 5),
    (3, 3, 3, 3, 1, 1, 8, 10), (2, 3, 1, 2, 1, 1, 4, 7))

  test("max pooling matches the naive reference with padding, stride and ceil mode") {
    for ((kH, kW, sH, sW, pH, pW, h, w) <- configs; ceil <- Seq(false, true)) {
      val x = Tensor.normal(rng, 0f, 1f, 2, 3, h, w)
      check(new SpatialMaxPooling(kW, kH, sW, sH, pW, pH, ceil), x,
        (n, c) => naive(x, n, c, (kH, kW), (sH, sW), (pH, pW), ceil, max = true, countPad = true, divide = true))
    }
  }

  test("average pooling matches the naive reference with padding, stride, ceil mode and count/divide options") {
    for ((kH, kW, sH, sW, pH, pW, h, w) <- configs; ceil <- Seq(false, true); countPad <- Seq(true, false); divide <- Seq(true, false)) {
      val x = Tensor.normal(rng, 0f, 1f, 2, 2, h, w)
      check(new SpatialAveragePooling(kW, kH, sW, sH, pW, pH, false, ceil, countPad, divide), x,
        (n, c) => naive(x, n, c, (kH, kW), (sH, sW), (pH, pW), ceil, max = false, countPad, divide))
    }
  }

  test("output sizes and values follow PyTorch's rules on hand-worked cases") {
    // kernel 2, stride 2 on 5: ceil mode keeps the partial last window (3), floor mode drops it (2)
    assert(Pool2dShape(5, 5, 2, 2, 2, 2, 0, 0, ceilMode = true).outH == 3)
    assert(Pool2dShape(5, 5, 2, 2, 2, 2, 0, 0, ceilMode = false).outH == 2)
    // kernel 3, stride 2, pad 1 on 6: ceil(5 / 2) + 1 = 4; the last window starts at 6 - 1 = 5, inside: kept
    assert(Pool2dShape(6, 6, 3, 3, 2, 2, 1, 1, ceilMode = true).outH == 4)
    // kernel 2, stride 2, pad 1 on 4: ceil(4 / 2) + 1 = 3, last window starts at 4 - 1 = 3, inside: kept
    assert(Pool2dShape(4, 4, 2, 2, 2, 2, 1, 1, ceilMode = true).outH == 3)
    // kernel 2, stride 2, pad 1 on 5: ceil(5 / 2) + 1 = 4, but that window would start at 6 - 1 = 5, past the
    // input (only right padding left): dropped, 3
    assert(Pool2dShape(5, 5, 2, 2, 2, 2, 1, 1, ceilMode = true).outH == 3)
    // kernel 3, stride 2, pad 1, ceil mode, count_include_pad on ones(1, 1, 4, 4), PyTorch's avg_pool2d divisor
    // worked by hand: the window clipped to the padded input [-1, 5), e.g. the corner (2, 2) covers rows [3, 5)
    // of which only row 3 is inside: 1 / (2 * 2)
    val y = new SpatialAveragePooling(3, 3, 2, 2, 1, 1, false, true, true, true).forward(Tensor.ones(1, 1, 4, 4))
    val expected = Array(4 / 9.0, 6 / 9.0, 2 / 6.0, 6 / 9.0, 1.0, 3 / 6.0, 2 / 6.0, 3 / 6.0, 1 / 4.0)
    assert(y.shape.toSeq == Seq(1, 1, 3, 3))
    y.toArray.zip(expected).foreach { case (a, e) => assert(math.abs(a - e) < 1e-6, s"$a vs $e") }
  }

  test("max pooling routes each gradient to its maximum") {
    val x = Tensor.fromArray(Array(1f, 5f, 2f, 0f, 3f, 4f, 9f, 8f, 7f, 6f, -1f, -2f, 0f, 0f, 1f, 1f), 1, 1, 4, 4)
    val pool = new SpatialMaxPooling(2, 2, 2, 2)
    assert(pool.forward(x).toArray.toSeq == Seq(5f, 9f, 7f, 1f))
    val gi = pool.backward(x, Tensor.fromArray(Array(1f, 2f, 3f, 4f), 1, 1, 2, 2))
    assert(gi.toArray.toSeq == Seq(0f, 1f, 0f, 0f, 0f, 0f, 2f, 0f, 3f, 0f, 0f, 0f, 0f, 0f, 4f, 0f))
  }

  test("the branch-free 2x2 fast path picks the same maximum and routes the gradient like the general loop") {
    // values from a small set (ties in most windows), both signs, infinities; the general loop takes the first
    // strict maximum; the same planes bordered by -inf to 9 x 9 in ceil mode go through the general loop
    val values = Array(-2f, -1f, -0.5f, 0f, 0.5f, 1f, Float.PositiveInfinity, Float.NegativeInfinity)
    val x = Tensor(2, 3, 8, 8).apply1(_ => values(rng.nextInt(values.length)))
    val fast = new SpatialMaxPooling(2, 2, 2, 2)
    val general = new SpatialMaxPooling(2, 2, 2, 2).ceil() // on 9 x 9 in ceil mode: the general loop
    val xg = Tensor(2, 3, 9, 9)
    for (n <- 0 until 2; c <- 0 until 3; h <- 0 until 9; w <- 0 until 9)
      xg.setValue(if (h < 8 && w < 8) x(n, c, h, w) else Float.NegativeInfinity, n, c, h, w)
    val yf = fast.forward(x).toTensor
    val yg = general.forward(xg).toTensor
    val g = Tensor(2, 3, 4, 4).apply1(_ => rng.nextFloat())
    val gg = Tensor(2, 3, 5, 5)
    for (n <- 0 until 2; c <- 0 until 3; h <- 0 until 4; w <- 0 until 4) {
      assert(yf(n, c, h, w) == yg(n, c, h, w), s"output ($n, $c, $h, $w)")
      gg.setValue(g(n, c, h, w), n, c, h, w)
    }
    val gif = fast.backward(x, g)
    val gig = general.backward(xg, gg)
    for (n <- 0 until 2; c <- 0 until 3; h <- 0 until 8; w <- 0 until 8)
      assert(gif(n, c, h, w) == gig(n, c, h, w), s"gradient ($n, $c, $h, $w): ${gif(n, c, h, w)} vs ${gig(n, c, h, w)}")
  }

  test("max pooling: a NaN wins its window (as in Torch), in the 2x2 fast path and in the general loop") {
    val x = Tensor.fromArray(Array(1f, Float.NaN, 2f, 0f, 3f, 4f, 9f, 8f, 7f, 6f, -1f, -2f, 0f, 0f, 1f, Float.NaN), 1, 1, 4, 4)
    for (pool <- Seq(new SpatialMaxPooling(2, 2, 2, 2), new SpatialMaxPooling(2, 2, 2, 2, 1, 1))) {
      val y = pool.forward(x).toTensor
      val gi = pool.backward(x, y.clone().fill(1f))
      assert(y.toArray.count(_.isNaN) == 2, s"$pool: one NaN output per window holding a NaN: ${y.toArray.toSeq}")
      assert(gi(0, 0, 0, 1) == 1f && gi(0, 0, 3, 3) == 1f, s"$pool routes the gradient to the NaNs: ${gi.toArray.toSeq}")
    }
  }

  test("global average pooling gives one mean per plane whatever the kernel arguments") {
    val x = Tensor.normal(rng, 0f, 1f, 2, 3, 5, 4)
    val y = new SpatialAveragePooling(2, 2, 1, 1, 0, 0, true, false, true, true).forward(x)
    assert(y.shape.toSeq == Seq(2, 3, 1, 1))
    for (n <- 0 until 2; c <- 0 until 3) assert(math.abs(y(n, c, 0, 0) - x.select(0, n).select(0, c).mean()) < 1e-6)
  }

  test("unbatched input and ceil()/floor() switches") {
    val x = Tensor.normal(rng, 0f, 1f, 3, 5, 5)
    val pool = new SpatialMaxPooling(2, 2, 2, 2)
    assert(pool.forward(x).shape.toSeq == Seq(3, 2, 2))
    assert(pool.ceil().forward(x).shape.toSeq == Seq(3, 3, 3))
    assert(pool.config.last == ("ceilMode" -> true))
    assert(pool.floor().forward(x).shape.toSeq == Seq(3, 2, 2))
    assert(pool.backward(x, Tensor.ones(3, 2, 2)).shape.toSeq == Seq(3, 5, 5))
  }

  test("bad arguments and shapes give clear errors") {
    assert(intercept[IllegalArgumentException](new SpatialMaxPooling(2, 2, 2, 2, 2, 0)).getMessage.stripPrefix("requirement failed: ") ==
      "SpatialMaxPooling: padding must be between 0 and half the kernel size, got padW=2 padH=0 for a 2x2 kernel")
    assert(intercept[IllegalArgumentException](new SpatialMaxPooling(2, 2).forward(Tensor(4, 4))).getMessage.stripPrefix("requirement failed: ") ==
      "SpatialMaxPooling: expected input of shape [batch, C, height, width] or [C, height, width], got [4, 4]")
    assert(intercept[IllegalArgumentException](new SpatialAveragePooling(3, 3).forward(Tensor(1, 1, 2, 5))).getMessage ==
      "SpatialAveragePooling: output height (in + 2*pad - k)/stride + 1 = 0 for input 2, kernel 3, stride 1, padding 0: " +
        "the input is smaller than the window (needs at least 3 with this padding)")
    assert(intercept[IllegalArgumentException](new SpatialAveragePooling(2, 2, 0, 1)).getMessage.contains("dW=0"))
  }
}
