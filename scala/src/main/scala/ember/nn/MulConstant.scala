package ember.nn

/** Multiplies every element by the constant `scalar` (BigDL's `MulConstant(scalar, inplace)`). */
class MulConstant(val scalar: Double, val inplace: Boolean) extends Pointwise("MulConstant") {
  require(!scalar.isNaN && !scalar.isInfinite, s"MulConstant: scalar must be finite, got $scalar")
  def this(scalar: Double) = this(scalar, false)

  private val s = scalar.toFloat
  override protected def inPlace: Boolean = inplace
  override protected def f(x: Float): Float = x * s
  override protected def df(x: Float, y: Float): Float = s

  override def config: Seq[(String, Any)] = Seq("scalar" -> scalar, "inplace" -> inplace)
  override def configDefaults: Seq[(String, Any)] = Seq("inplace" -> false)
}
