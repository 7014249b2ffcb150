package ember.nn

import ember.tensor.{OutputSize, Tensor}

/**
 * Pads dimension `dim` (0-based, within a sample) with |pad| slices filled with `value`: before the data
 * when `pad` < 0, after it when `pad` > 0 (BigDL's `Padding(dim, pad, nInputDim, value)`; BigDL's dims are
 * 1-based and its `nIndex` position argument is not supported: padding goes at either end). `nInputDim` is
 * the number of dimensions of one sample: an input with more has a leading batch dimension, skipped when
 * counting `dim`. A negative `dim` counts from the end.
 */
class Padding(val dim: Int, val pad: Int, val nInputDim: Int, val value: Double) extends TensorModule {
  require(nInputDim > 0, s"Padding: nInputDim must be positive, got $nInputDim")

  def this(dim: Int, pad: Int, nInputDim: Int) = this(dim, pad, nInputDim, 0.0)

  private def region(x: Tensor, d: Int, t: Tensor): Tensor = t.narrow(d, if (pad < 0) -pad else 0, x.size(d))

  override def updateOutput(input: Tensor): Tensor = {
    val d = ShapeSupport.resolve("Padding", input, dim, nInputDim)
    val shape = input.shape
    shape(d) = OutputSize.padded("Padding", s"size of dimension $d", shape(d), 0, math.abs(pad.toLong))
    val out = outTensor.resize(shape).fill(value.toFloat)
    region(input, d, out).copy(input)
    out
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val d = ShapeSupport.resolve("Padding", input, dim, nInputDim)
    val g = LayerSupport.gradLike("Padding", gradOutput, outTensor).view(outTensor.shape)
    gradInTensor.resize(input.shape).copy(region(input, d, g))
  }

  override def config: Seq[(String, Any)] = Seq("dim" -> dim, "pad" -> pad, "nInputDim" -> nInputDim, "value" -> value)
  override def configDefaults: Seq[(String, Any)] = Seq("value" -> 0.0)
}
