package ember.nn

/**
 * min(max(0, x), 6), elementwise (BigDL's `ReLU6(inplace)`). The gradient is 1 strictly inside (0, 6), 0
 * elsewhere. With `inplace` the output overwrites the input and gradInput overwrites gradOutput.
 */
class ReLU6(val inplace: Boolean) extends Pointwise("ReLU6") {
  def this() = this(false)

  override protected def inPlace: Boolean = inplace
  override protected def f(x: Float): Float = if (x > 0f) (if (x < 6f) x else 6f) else 0f
  override protected def df(x: Float, y: Float): Float = if (y > 0f && y < 6f) 1f else 0f

  override def config: Seq[(String, Any)] = Seq("inplace" -> inplace)
  override def toString: String = LayerSupport.repr("ReLU6", Nil, ("inplace", inplace, false))
}
