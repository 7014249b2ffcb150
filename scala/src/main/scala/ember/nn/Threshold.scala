package ember.nn

/**
 * y = x where x > th, else v (BigDL's `Threshold(th, v, ip)`); the gradient is 1 where x > th, else 0.
 * In place (`ip`), `v` must not exceed `th`, so that the output still tells which branch each element took.
 */
class Threshold(val th: Double, val v: Double, val ip: Boolean) extends Pointwise("Threshold") {
  require(!ip || v <= th, s"Threshold: in place, v must be <= th, got th=$th v=$v")

  def this(th: Double, v: Double) = this(th, v, false)
  def this() = this(1e-6, 0.0, false)

  private val (t, value) = (th.toFloat, v.toFloat)

  override protected def inPlace: Boolean = ip
  // NaN is not <= t, so it passes through (PyTorch propagates NaN too)
  override protected def f(x: Float): Float = if (x <= t) value else x
  override protected def df(x: Float, y: Float): Float = if ((if (ip) y else x) <= t) 0f else 1f

  override def config: Seq[(String, Any)] = Seq("th" -> th, "v" -> v, "ip" -> ip)
  override def configDefaults: Seq[(String, Any)] = Seq("ip" -> false)
}
