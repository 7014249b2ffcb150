package ember.nn

import ember.tensor.dnn.{DnnEltwise, DnnOps}

/**
 * min(max(0, x), 6), elementwise (BigDL's `ReLU6(inplace)`). The gradient is 1 strictly inside (0, 6), 0
 * elsewhere. With `inplace` the output overwrites the input and gradInput overwrites gradOutput.
 */
class ReLU6(val inplace: Boolean) extends Pointwise("ReLU6") {
  def this() = this(false)

  override protected def inPlace: Boolean = inplace
  override protected val dnn = (DnnOps.Relu6, DnnEltwise.clip(0f, 6f))
  // comparisons with NaN are false, so NaN falls through to `x` (PyTorch propagates NaN too)
  override protected def f(x: Float): Float = if (x <= 0f) 0f else if (x >= 6f) 6f else x
  override protected def df(x: Float, y: Float): Float = if (y <= 0f || y >= 6f) 0f else 1f

  override def config: Seq[(String, Any)] = Seq("inplace" -> inplace)
  override def configDefaults: Seq[(String, Any)] = Seq("inplace" -> false)
}
