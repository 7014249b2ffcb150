package ember.nn

/** Adds the constant `constantScalar` to every element (BigDL's `AddConstant(constant_scalar, inplace)`). */
class AddConstant(val constantScalar: Double, val inplace: Boolean) extends Pointwise("AddConstant") {
  require(!constantScalar.isNaN && !constantScalar.isInfinite, s"AddConstant: constantScalar must be finite, got $constantScalar")
  def this(constantScalar: Double) = this(constantScalar, false)

  private val c = constantScalar.toFloat
  override protected def inPlace: Boolean = inplace
  override protected def f(x: Float): Float = x + c
  override protected def df(x: Float, y: Float): Float = 1f

  override def config: Seq[(String, Any)] = Seq("constantScalar" -> constantScalar, "inplace" -> inplace)
  override def configDefaults: Seq[(String, Any)] = Seq("inplace" -> false)
}
