package ember.nn

import ember.tensor.Tensor

/**
 * Masks padded time steps (BigDL's / Keras' `Masking(maskValue)`): on input [batch, time, features], a step
 * whose features all equal `maskValue` gives zeros and passes no gradient; other steps pass unchanged.
 */
class Masking(val maskValue: Double) extends TensorModule {
  require(!maskValue.isNaN, "Masking: maskValue must not be NaN")
  def this() = this(0.0)

  private val mv = maskValue.toFloat
  private var keep: Array[Boolean] = Array.emptyBooleanArray

  override def updateOutput(input: Tensor): Tensor = {
    require(input.dim >= 2, s"Masking: expected input of shape [batch, time, features] or [time, features], got ${input.shapeString}")
    val x = input.contiguous()
    val features = x.size(x.dim - 1)
    val steps = if (features == 0) 0 else x.nElement / features
    val (xs, xo) = (x.storage, x.offset)
    keep = Array.tabulate(steps)(s => (0 until features).exists(f => xs(xo + s * features + f) != mv))
    val out = outTensor.resize(x.shape).copy(x)
    for (s <- 0 until steps if !keep(s)) java.util.Arrays.fill(out.storage, out.offset + s * features, out.offset + (s + 1) * features, 0f)
    out
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val g = LayerSupport.gradLike("Masking", gradOutput, outTensor)
    val features = input.size(input.dim - 1)
    val gi = gradInTensor.resize(input.shape).copy(g)
    for (s <- keep.indices if !keep(s)) java.util.Arrays.fill(gi.storage, gi.offset + s * features, gi.offset + (s + 1) * features, 0f)
    gi
  }

  override def config: Seq[(String, Any)] = Seq("maskValue" -> maskValue)
  override def configDefaults: Seq[(String, Any)] = Seq("maskValue" -> 0.0)
}
