package ember.nn

import ember.tensor.dnn.{DnnEltwise, DnnOps}

/**
 * x for x > 0, alpha * (exp(x) - 1) otherwise (BigDL's `ELU(alpha, inplace)`). The gradient of the negative
 * branch is y + alpha, computed from the output (so it also works in place); `alpha` must be positive.
 */
class ELU(val alpha: Double, val inplace: Boolean) extends Pointwise("ELU") {
  require(alpha > 0, s"ELU: alpha must be positive, got $alpha")

  def this(alpha: Double) = this(alpha, false)
  def this() = this(1.0, false)

  private val a = alpha.toFloat

  override protected def inPlace: Boolean = inplace
  override protected val dnn = (DnnOps.Elu, DnnEltwise.elu(a))
  override protected def f(x: Float): Float = if (x > 0f) x else (alpha * math.expm1(x.toDouble)).toFloat
  override protected def df(x: Float, y: Float): Float = if (y > 0f) 1f else y + a

  override def config: Seq[(String, Any)] = Seq("alpha" -> alpha, "inplace" -> inplace)
  override def configDefaults: Seq[(String, Any)] = Seq("alpha" -> 1.0, "inplace" -> false)
}
