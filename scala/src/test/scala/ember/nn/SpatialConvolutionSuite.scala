package ember.nn

import java.util.Random

import ember.tensor.{Conv2d, Conv2dGrads, Conv2dShape, Conv2dWorkspace, RandomGenerator, Tensor}
import ember.tensor.dnn.Dnn
import org.scalatest.funsuite.AnyFunSuite

/** SpatialConvolution and the Conv2d kernels against a naive nested-loop convolution computed in Double. */
class SpatialConvolutionSuite extends AnyFunSuite {

  /** Naive forward: out[n, o, i, j] = b[o] + sum w[o, c, ki, kj] x[n, c, i*sH - pH + ki, j*sW - pW + kj]. */
  private def naiveForward(s: Conv2dShape, x: Tensor, w: Tensor, b: Tensor): Array[Double] = {
    val n = x.size(0)
    val out = new Array[Double](n * s.nOut * s.outArea)
    for (b0 <- 0 until n; o <- 0 until s.nOut; i <- 0 until s.outH; j <- 0 until s.outW) {
      var acc = if (b == null) 0.0 else b(o).toDouble
      for (c <- 0 until s.nIn; ki <- 0 until s.kH; kj <- 0 until s.kW) {
        val (h, v) = (i * s.strideH - s.padH + ki, j * s.strideW - s.padW + kj)
        if (h >= 0 && h < s.inH && v >= 0 && v < s.inW) acc += w(o, c, ki, kj).toDouble * x(b0, c, h, v)
      }
      out(((b0 * s.nOut + o) * s.outH + i) * s.outW + j) = acc
    }
    out
  }

  /** Naive backward: (gradInput, gradWeight, gradBias) by scattering each output gradient. */
  private def naiveBackward(s: Conv2dShape, x: Tensor, w: Tensor, g: Tensor): (Array[Double], Array[Double], Array[Double]) = {
    val n = x.size(0)
    val gi = new Array[Double](x.nElement); val gw = new Array[Double](w.nElement); val gb = new Array[Double](s.nOut)
    for (b0 <- 0 until n; o <- 0 until s.nOut; i <- 0 until s.outH; j <- 0 until s.outW) {
      val go = g(b0, o, i, j).toDouble
      gb(o) += go
      for (c <- 0 until s.nIn; ki <- 0 until s.kH; kj <- 0 until s.kW) {
        val (h, v) = (i * s.strideH - s.padH + ki, j * s.strideW - s.padW + kj)
        if (h >= 0 && h < s.inH && v >= 0 && v < s.inW) {
          gi(((b0 * s.nIn + c) * s.inH + h) * s.inW + v) += go * w(o, c, ki, kj)
          gw(((o * s.nIn + c) * s.kH + ki) * s.kW + kj) += go * x(b0, c, h, v)
        }
      }
    }
    (gi, gw, gb)
  }

  private def assertClose(actual: Tensor, expected: Array[Double], what: String): Unit = {
    val a = actual.toArray
    assert(a.length == expected.length, s"$what: ${a.length} values, expected ${expected.length}")
    for (i <- a.indices) assert(math.abs(a(i) - expected(i)) <= 1e-4 + 1e-4 * math.abs(expected(i)),
      s"$what[$i] = ${a(i)}, expected ${expected(i)}")
  }

  private val rng = new Random(42)
  private def normal(shape: Int*) = Tensor.normal(rng, 0f, 1f, shape: _*)

  // (nIn, nOut, kW, kH, sW, sH, pW, pH, batch, H, W)
  private val configs = Seq(
    (1, 6, 5, 5, 1, 1, 0, 0, 3, 12, 12), (3, 4, 3, 3, 1, 1, 1, 1, 2, 7, 8), (2, 3, 3, 2, 2, 1, 1, 0, 2, 7, 6),
    (2, 2, 1, 1, 1, 1, 0, 0, 2, 4, 5), (3, 2, 5, 3, 3, 2, 2, 1, 2, 9, 11), (2, 3, 2, 2, 2, 2, 0, 0, 1, 5, 5))

  test("forward and backward match the naive convolution for strides, paddings and rectangular kernels") {
    for ((nIn, nOut, kW, kH, sW, sH, pW, pH, n, h, w) <- configs) {
      RandomGenerator.setSeed(1)
      val conv = new SpatialConvolution(nIn, nOut, kW, kH, sW, sH, pW, pH)
      val s = Conv2dShape(nIn, h, w, nOut, kH, kW, sH, sW, pH, pW,
        Conv2dShape.outSize(h, kH, sH, pH), Conv2dShape.outSize(w, kW, sW, pW))
      val x = normal(n, nIn, h, w)
      val y = conv.forward(x)
      assert(y.shape.toSeq == Seq(n, nOut, s.outH, s.outW))
      assertClose(y, naiveForward(s, x, conv.weight, conv.bias), s"forward $s")
      val g = normal(n, nOut, s.outH, s.outW)
      conv.zeroGradParameters()
      val gi = conv.backward(x, g)
      val (egi, egw, egb) = naiveBackward(s, x, conv.weight, g)
      assertClose(gi, egi, s"gradInput $s")
      assertClose(conv.gradWeight, egw, s"gradWeight $s")
      assertClose(conv.gradBias, egb, s"gradBias $s")
    }
  }

  test("the kernel gives the same results for every grouping and with or without the column cache") {
    val s = Conv2dShape(3, 6, 7, 4, 3, 3, 1, 2, 1, 1, Conv2dShape.outSize(6, 3, 1, 1), Conv2dShape.outSize(7, 3, 2, 1))
    val n = 5
    val (x, w, b) = (normal(n, 3, 6, 7), normal(4, 27), normal(4))
    val g = normal(n, 4, s.outH, s.outW)
    val expected = naiveForward(s, x, w.view(4, 3, 3, 3), b)
    val (egi, egw, egb) = naiveBackward(s, x, w.view(4, 3, 3, 3), g)
    val perSample = s.colRows * s.outArea
    // groups of 1 (direct GEMM), 2 (with a remainder of 1), all 5; cache on or off
    for (group <- Seq(1, 2 * perSample, 5 * perSample); cache <- Seq(0L, Long.MaxValue)) {
      val ws = new Conv2dWorkspace(group, cache, minColumns = Int.MaxValue) // group as told, not by plane size
      val out = Tensor(n, 4, s.outH, s.outW)
      Conv2d.forward(s, x, w, b, out, ws)
      assertClose(out, expected, s"forward group=$group cache=$cache")
      val (gi, gw, gb) = (Tensor(n, 3, 6, 7).fill(9f), Tensor(4, 27), Tensor(4))
      Conv2d.backward(s, x, g, w, Conv2dGrads(gi, gw, gb), ws)
      assertClose(gi, egi, s"gradInput group=$group cache=$cache")
      assertClose(gw, egw, s"gradWeight group=$group cache=$cache")
      assertClose(gb, egb, s"gradBias group=$group cache=$cache")
    }
  }

  /** A grouped convolution is, per group, the naive convolution of its input block with its weight slice. */
  private def naiveGrouped(s: Conv2dShape, groups: Int, x: Tensor, w: Tensor, b: Tensor, g: Tensor) = {
    val parts = (0 until groups).map { k =>
      val xk = x.narrow(1, k * s.nIn, s.nIn).contiguous()
      val wk = w.narrow(0, k * s.nOut, s.nOut)
      val gk = g.narrow(1, k * s.nOut, s.nOut).contiguous()
      (naiveForward(s, xk, wk, b.narrow(0, k * s.nOut, s.nOut)), naiveBackward(s, xk, wk, gk))
    }
    def interleave(blocks: Seq[Array[Double]], rows: Int): Array[Double] = { // [N, block, ...] blocks -> [N, all, ...]
      val per = blocks.head.length / rows
      Array.tabulate(rows * per * groups)(i => blocks((i / per) % groups)((i / (per * groups)) * per + i % per))
    }
    val n = x.size(0)
    (interleave(parts.map(_._1), n), interleave(parts.map(_._2._1), n), parts.flatMap(_._2._2).toArray,
      parts.flatMap(_._2._3).toArray)
  }

  // (nIn, nOut, groups, kernel, stride, pad): two groups, depthwise, depthwise with a channel multiplier of 2
  for ((nIn, nOut, groups, k, st, p) <- Seq((4, 6, 2, 3, 1, 1), (3, 3, 3, 3, 2, 1), (2, 4, 2, 2, 1, 0));
       kernels <- Seq(Dnn.JvmKernels, Dnn.DnnlKernels))
    test(s"nGroup=$groups ($nIn -> $nOut, ${k}x$k stride $st pad $p) matches the per-group naive convolution on ${kernels.name}") {
      assume(kernels == Dnn.JvmKernels || Dnn.runtime.isRight, "oneDNN does not load on this platform")
      Dnn.withKernels(kernels) {
        RandomGenerator.setSeed(4)
        val conv = new SpatialConvolution(nIn, nOut, k, k, st, st, p, p, groups)
        assert(conv.weight.shape.toSeq == Seq(nOut, nIn / groups, k, k))
        val (h, w) = (7, 6)
        val s = Conv2dShape(nIn / groups, h, w, nOut / groups, k, k, st, st, p, p,
          Conv2dShape.outSize(h, k, st, p), Conv2dShape.outSize(w, k, st, p))
        val x = normal(3, nIn, h, w)
        val g = normal(3, nOut, s.outH, s.outW)
        val (ey, egi, egw, egb) = naiveGrouped(s, groups, x, conv.weight, conv.bias, g)
        assertClose(conv.forward(x), ey, "forward")
        conv.zeroGradParameters()
        assertClose(conv.backward(x, g), egi, "gradInput")
        assertClose(conv.gradWeight, egw, "gradWeight")
        assertClose(conv.gradBias, egb, "gradBias")
      }
    }

  test("nGroup must divide both plane counts; toString and the model file carry it") {
    val e = intercept[IllegalArgumentException](new SpatialConvolution(4, 6, 3, 3, 1, 1, 0, 0, 4))
    assert(e.getMessage.contains("nGroup=4 must divide nInputPlane=4 and nOutputPlane=6"))
    assert(intercept[IllegalArgumentException](new SpatialConvolution(4, 6, 3, 3, 1, 1, 0, 0, 0)).getMessage
      .contains("nGroup must be positive, got 0"))
    assert(new SpatialConvolution(4, 6, 3, 3, 1, 1, 1, 1, 2).toString == "SpatialConvolution(4, 6, 3, 3, padW=1, padH=1, nGroup=2)")
  }

  test("a model file written before nGroup existed (nine arguments) still loads, with one group") {
    val w = normal(3, 2, 3, 3)
    // the structure as the previous release wrote it: withBias right after padH
    val oldModel = """{"class":"ember.nn.SpatialConvolution","args":{"nInputPlane":2,"nOutputPlane":3,"kernelW":3,""" +
      """"kernelH":3,"strideW":1,"strideH":1,"padW":1,"padH":1,"withBias":false}}"""
    val bytes = ember.io.ModelFile.writeTensors(Seq("weight" -> w),
      Map("format" -> "ember", "format_version" -> ember.io.ModelFile.FormatVersion, "model" -> oldModel))
    val back = ember.io.ModelFile.fromBytes(bytes).asInstanceOf[SpatialConvolution]
    assert(back.nGroup == 1 && !back.withBias && back.padW == 1 && back.weight.almostEqual(w, 0, 0))
    val again = ember.io.ModelFile.fromBytes(ember.io.ModelFile.toBytes(new SpatialConvolution(4, 6, 3, 3, 1, 1, 0, 0, 2)))
    assert(again.asInstanceOf[SpatialConvolution].nGroup == 2)
  }

  test("backward after a forward on another input recomputes the columns instead of using stale ones") {
    val s = Conv2dShape(2, 5, 5, 3, 3, 3, 1, 1, 0, 0, 3, 3)
    val (x1, x2, w) = (normal(2, 2, 5, 5), normal(2, 2, 5, 5), normal(3, 18))
    val g = normal(2, 3, 3, 3)
    val ws = new Conv2dWorkspace()
    Conv2d.forward(s, x1, w, null, Tensor(2, 3, 3, 3), ws)
    val gw = Tensor(3, 18)
    Conv2d.backward(s, x2, g, w, Conv2dGrads(null, gw, null), ws)
    assertClose(gw, naiveBackward(s, x2, w.view(3, 2, 3, 3), g)._2, "gradWeight for x2")
  }

  test("'same' padding (-1) keeps ceil(size / stride) outputs, with the extra padding at the bottom/right") {
    RandomGenerator.setSeed(2)
    val conv = new SpatialConvolution(1, 1, 4, 4, 2, 2, -1, -1, false)
    val x = normal(1, 1, 7, 6)
    val y = conv.forward(x)
    assert(y.shape.toSeq == Seq(1, 1, 4, 3))
    // total padding rows: (4 - 1) * 2 + 4 - 7 = 3 -> 1 on top, 2 at the bottom; columns: 2 * 2 + 4 - 6 = 2 -> 1 + 1
    val s = Conv2dShape(1, 7, 6, 1, 4, 4, 2, 2, 1, 1, 4, 3)
    assertClose(y, naiveForward(s, x, conv.weight, null), "same padding")
  }

  test("an unbatched [C, H, W] input gives an unbatched output and gradient") {
    RandomGenerator.setSeed(3)
    val conv = new SpatialConvolution(2, 3, 3, 3, 1, 1, 1, 1)
    val x = normal(2, 5, 4)
    val y = conv.forward(x).clone()
    assert(y.shape.toSeq == Seq(3, 5, 4))
    val yb = conv.forward(x.view(1, 2, 5, 4))
    assert(yb.shape.toSeq == Seq(1, 3, 5, 4) && yb.view(3, 5, 4).almostEqual(y, 0, 0))
    conv.forward(x)
    assert(conv.backward(x, normal(3, 5, 4)).shape.toSeq == Seq(2, 5, 4))
  }

  test("a wrong input shape names the layer, the expected and the actual shape") {
    val conv = new SpatialConvolution(3, 4, 3, 3)
    val e = intercept[IllegalArgumentException](conv.forward(Tensor(2, 1, 8, 8)))
    assert(e.getMessage.stripPrefix("requirement failed: ") == "SpatialConvolution: expected input of shape [batch, 3, height, width] or [3, height, width], got [2, 1, 8, 8]")
    assert(intercept[IllegalArgumentException](conv.forward(Tensor(2, 3, 2, 8))).getMessage.contains(
      "SpatialConvolution: output height (in + 2*pad - k)/stride + 1 = 0 for input 2, kernel 3, stride 1, padding 0: the input is smaller"))
    assert(intercept[IllegalArgumentException](conv.forward(Tensor(8, 8))).getMessage.contains("got [8, 8]"))
    assert(intercept[IllegalArgumentException](new SpatialConvolution(0, 4, 3, 3)).getMessage.contains("nInputPlane must be positive, got 0"))
    assert(intercept[IllegalArgumentException](new SpatialConvolution(1, 4, 3, 3, 1, 1, -1, 0)).getMessage.contains("padW=-1 padH=0"))
  }
}
