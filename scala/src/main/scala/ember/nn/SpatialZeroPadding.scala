package ember.nn

import ember.tensor.{OutputSize, Tensor}

/**
 * Zero-pads the last two dimensions of [N, C, H, W] (or [C, H, W]) input (BigDL's
 * `SpatialZeroPadding(padLeft, padRight, padTop, padBottom)`); a negative amount crops instead.
 */
class SpatialZeroPadding(val padLeft: Int, val padRight: Int, val padTop: Int, val padBottom: Int) extends TensorModule {
  private val name = "SpatialZeroPadding"

  /** The part of `t` (an input-shaped or output-shaped [N, C, H, W] tensor) that input and output share. */
  private def shared(t: Tensor, x: Tensor, isOutput: Boolean): Tensor = {
    val (h, w) = (x.size(2), x.size(3))
    val keepH = h + math.min(padTop, 0) + math.min(padBottom, 0)
    val keepW = w + math.min(padLeft, 0) + math.min(padRight, 0)
    require(keepH > 0 && keepW > 0, s"$name: cropping ($padLeft, $padRight, $padTop, $padBottom) leaves nothing of input ${x.shapeString}")
    val (top, left) = if (isOutput) (math.max(padTop, 0), math.max(padLeft, 0)) else (math.max(-padTop, 0), math.max(-padLeft, 0))
    t.narrow(2, top, keepH).narrow(3, left, keepW)
  }

  override def updateOutput(input: Tensor): Tensor = {
    val x = LayerSupport.batch4d(name, input, -1)
    val shape = x.shape
    shape(2) = OutputSize.padded(name, "height", shape(2), padTop, padBottom)
    shape(3) = OutputSize.padded(name, "width", shape(3), padLeft, padRight)
    val out = outTensor.resize(shape).zero()
    shared(out, x, isOutput = true).copy(shared(x, x, isOutput = false))
    if (input.dim == 3) output = out.view(shape.drop(1))
    outTensor
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val x = LayerSupport.batch4d(name, input, -1)
    val out = outTensor.view(outTensor.shape.reverse.padTo(4, 1).reverse)
    val g = LayerSupport.gradLike(name, gradOutput, outTensor).view(out.shape)
    val gi = gradInTensor.resize(x.shape).zero()
    shared(gi, x, isOutput = false).copy(shared(g, x, isOutput = true))
    if (input.dim == 3) gradInput = gi.view(input.shape)
    gradInTensor
  }

  override def config: Seq[(String, Any)] =
    Seq("padLeft" -> padLeft, "padRight" -> padRight, "padTop" -> padTop, "padBottom" -> padBottom)
}
