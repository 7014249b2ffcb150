package ember.nn

import ember.tensor.dnn.{DnnEltwise, DnnOps}

/**
 * x for x > 0, negval * x otherwise (BigDL's `LeakyReLU(negval, inplace)`). `negval` must be >= 0 so that
 * the sign of the output tells the branch (which is what makes the in-place backward possible).
 */
class LeakyReLU(val negval: Double, val inplace: Boolean) extends Pointwise("LeakyReLU") {
  require(negval >= 0, s"LeakyReLU: negval must be >= 0, got $negval")

  def this(negval: Double) = this(negval, false)
  def this() = this(0.01, false)

  private val slope = negval.toFloat

  override protected def inPlace: Boolean = inplace
  override protected val dnn = (DnnOps.LeakyRelu, DnnEltwise.relu(slope))
  override protected def f(x: Float): Float = if (x > 0f) x else x * slope
  override protected def df(x: Float, y: Float): Float = if (y > 0f) 1f else slope

  override def config: Seq[(String, Any)] = Seq("negval" -> negval, "inplace" -> inplace)
  override def configDefaults: Seq[(String, Any)] = Seq("negval" -> 0.01, "inplace" -> false)
}
