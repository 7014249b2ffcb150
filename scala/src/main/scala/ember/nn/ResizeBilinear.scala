package ember.nn

import ember.tensor.Tensor

/**
 * Bilinear resizing of [batch, C, H, W] (or [C, H, W]) images to outputHeight x outputWidth (BigDL's
 * `ResizeBilinear(outputHeight, outputWidth, alignCorners)`, TensorFlow's `resize_bilinear`, NCHW).
 *
 * Output pixel y reads the input at src = y * scale, scale = in / out, or (in - 1) / (out - 1) with
 * `alignCorners` (the corner pixels of input and output then coincide); the value mixes rows floor(src) and
 * floor(src) + 1 (clamped to the last row) by the fraction of src, likewise for columns. The gradient
 * sends each output gradient back to its four source pixels with the same weights.
 */
class ResizeBilinear(val outputHeight: Int, val outputWidth: Int, val alignCorners: Boolean) extends TensorModule {
  require(outputHeight > 0 && outputWidth > 0,
    s"ResizeBilinear: output size must be positive, got ${outputHeight}x$outputWidth")
  def this(outputHeight: Int, outputWidth: Int) = this(outputHeight, outputWidth, false)

  /** For each output index: (lower source index, upper source index, weight of the upper one). */
  private def taps(in: Int, out: Int): Array[(Int, Int, Float)] = {
    val scale = if (alignCorners && out > 1) (in - 1).toDouble / (out - 1) else in.toDouble / out
    Array.tabulate(out) { o =>
      val src = o * scale
      val lo = math.min(src.toInt, in - 1)
      (lo, math.min(lo + 1, in - 1), (src - lo).toFloat)
    }
  }

  private def planes(x: Tensor): Tensor = {
    require((x.dim == 3 || x.dim == 4) && x.size(x.dim - 1) > 0 && x.size(x.dim - 2) > 0,
      s"ResizeBilinear: expected input of shape [batch, C, H, W] or [C, H, W] with H, W > 0, got ${x.shapeString}")
    val c = x.contiguous()
    c.view(-1 +: c.shape.takeRight(2): _*)
  }

  override def updateOutput(input: Tensor): Tensor = {
    val x = planes(input)
    val (n, h, w) = (x.size(0), x.size(1), x.size(2))
    val (ty, tx) = (taps(h, outputHeight), taps(w, outputWidth))
    val out = outTensor.resize(input.shape.dropRight(2) ++ Array(outputHeight, outputWidth))
    val (xs, xo, ys, yo) = (x.storage, x.offset, out.storage, out.offset)
    for (p <- 0 until n; oy <- 0 until outputHeight; ox <- 0 until outputWidth) {
      val ((y0, y1, fy), (x0, x1, fx)) = (ty(oy), tx(ox))
      def at(y: Int, xx: Int) = xs(xo + (p * h + y) * w + xx)
      val top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * fx
      val bottom = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * fx
      ys(yo + (p * outputHeight + oy) * outputWidth + ox) = top + (bottom - top) * fy
    }
    out
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val x = planes(input)
    val (n, h, w) = (x.size(0), x.size(1), x.size(2))
    val (ty, tx) = (taps(h, outputHeight), taps(w, outputWidth))
    val g = LayerSupport.gradLike("ResizeBilinear", gradOutput, outTensor)
    val gi = gradInTensor.resize(input.shape).zero()
    val (gs, go, out, oo) = (g.storage, g.offset, gi.storage, gi.offset)
    for (p <- 0 until n; oy <- 0 until outputHeight; ox <- 0 until outputWidth) {
      val ((y0, y1, fy), (x0, x1, fx)) = (ty(oy), tx(ox))
      val v = gs(go + (p * outputHeight + oy) * outputWidth + ox)
      def add(y: Int, xx: Int, wgt: Float): Unit = out(oo + (p * h + y) * w + xx) += v * wgt
      add(y0, x0, (1 - fy) * (1 - fx)); add(y0, x1, (1 - fy) * fx)
      add(y1, x0, fy * (1 - fx)); add(y1, x1, fy * fx)
    }
    gi
  }

  override def config: Seq[(String, Any)] =
    Seq("outputHeight" -> outputHeight, "outputWidth" -> outputWidth, "alignCorners" -> alignCorners)
  override def configDefaults: Seq[(String, Any)] = Seq("alignCorners" -> false)
}
