package ember.nn

/** sqrt(x), elementwise (BigDL's `Sqrt()`); the gradient 0.5 / sqrt(x) is infinite at 0 and NaN below. */
class Sqrt() extends Pointwise("Sqrt") {
  override protected def f(x: Float): Float = math.sqrt(x.toDouble).toFloat
  override protected def df(x: Float, y: Float): Float = 0.5f / y
}
