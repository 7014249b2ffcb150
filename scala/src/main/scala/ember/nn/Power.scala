package ember.nn

/**
 * (shift + scale * x) ^ power, elementwise (BigDL's `Power(power, scale, shift)`), computed in Double and
 * rounded to Float32. A non-integer power of a negative base gives NaN, as in Torch.
 */
class Power(val power: Double, val scale: Double, val shift: Double) extends Pointwise("Power") {
  def this(power: Double) = this(power, 1.0, 0.0)

  override protected def f(x: Float): Float = math.pow(shift + scale * x, power).toFloat
  override protected def df(x: Float, y: Float): Float =
    if (power == 0) 0f else (power * scale * math.pow(shift + scale * x, power - 1)).toFloat

  override def config: Seq[(String, Any)] = Seq("power" -> power, "scale" -> scale, "shift" -> shift)
  override def configDefaults: Seq[(String, Any)] = Seq("scale" -> 1.0, "shift" -> 0.0)
}
