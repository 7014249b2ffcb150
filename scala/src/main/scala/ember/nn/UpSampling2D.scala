package ember.nn

import ember.tensor.{OutputSize, Tensor}

/**
 * Nearest-neighbour upsampling of [batch, C, H, W] (or [C, H, W]) images by whole factors (BigDL's / Keras'
 * `UpSampling2D(size)`, NCHW): output pixel (y, x) copies input pixel (y / size(0), x / size(1)); the
 * gradient of an input pixel sums its size(0) x size(1) copies.
 */
class UpSampling2D(val size: Array[Int]) extends TensorModule {
  require(size != null && size.length == 2 && size.forall(_ > 0),
    s"UpSampling2D: size must be two positive factors (height, width), got ${if (size == null) "null" else size.mkString("[", ", ", "]")}")
  private val (sh, sw) = (size(0), size(1))

  private def planes(x: Tensor): Tensor = {
    require(x.dim == 3 || x.dim == 4, s"UpSampling2D: expected input of shape [batch, C, H, W] or [C, H, W], got ${x.shapeString}")
    val c = x.contiguous()
    c.view(-1 +: c.shape.takeRight(2): _*)
  }

  override def updateOutput(input: Tensor): Tensor = {
    val x = planes(input)
    val (n, h, w) = (x.size(0), x.size(1), x.size(2))
    val out = outTensor.resize(input.shape.dropRight(2) ++
      Array(OutputSize.scaled("UpSampling2D", "height", h, sh), OutputSize.scaled("UpSampling2D", "width", w, sw)))
    val (xs, xo, ys, yo) = (x.storage, x.offset, out.storage, out.offset)
    for (p <- 0 until n; oy <- 0 until h * sh; ox <- 0 until w * sw)
      ys(yo + (p * h * sh + oy) * w * sw + ox) = xs(xo + (p * h + oy / sh) * w + ox / sw)
    out
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val x = planes(input)
    val (n, h, w) = (x.size(0), x.size(1), x.size(2))
    val g = LayerSupport.gradLike("UpSampling2D", gradOutput, outTensor)
    val gi = gradInTensor.resize(input.shape).zero()
    val (gs, go, out, oo) = (g.storage, g.offset, gi.storage, gi.offset)
    for (p <- 0 until n; oy <- 0 until h * sh; ox <- 0 until w * sw)
      out(oo + (p * h + oy / sh) * w + ox / sw) += gs(go + (p * h * sh + oy) * w * sw + ox)
    gi
  }

  override def config: Seq[(String, Any)] = Seq("size" -> size)
}
