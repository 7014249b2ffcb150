package ember.nn

/**
 * x clipped to [minValue, maxValue], elementwise (BigDL's `HardTanh(minValue, maxValue, inplace)`); the
 * gradient is 1 strictly inside the interval and 0 outside.
 */
class HardTanh(val minValue: Double, val maxValue: Double, val inplace: Boolean) extends Pointwise("HardTanh") {
  require(maxValue > minValue, s"${getClass.getSimpleName}: maxValue must be greater than minValue, got min=$minValue max=$maxValue")

  def this(minValue: Double, maxValue: Double) = this(minValue, maxValue, false)
  def this() = this(-1.0, 1.0, false)

  private val (lo, hi) = (minValue.toFloat, maxValue.toFloat)

  override protected def inPlace: Boolean = inplace
  override protected def f(x: Float): Float = if (x < lo) lo else if (x > hi) hi else x
  override protected def df(x: Float, y: Float): Float = if (y > lo && y < hi) 1f else 0f

  override def config: Seq[(String, Any)] = Seq("minValue" -> minValue, "maxValue" -> maxValue, "inplace" -> inplace)
  override def configDefaults: Seq[(String, Any)] = Seq("minValue" -> -1.0, "maxValue" -> 1.0, "inplace" -> false)
}
