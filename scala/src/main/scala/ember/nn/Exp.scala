package ember.nn

/** exp(x), elementwise (BigDL's `Exp()`); the gradient is the output itself. */
class Exp() extends Pointwise("Exp") {
  override protected def f(x: Float): Float = math.exp(x.toDouble).toFloat
  override protected def df(x: Float, y: Float): Float = y
}
