package ember.nn

/** |x|, elementwise (BigDL's `Abs()`); the gradient is sign(x), 0 at 0. */
class Abs() extends Pointwise("Abs") {
  override protected def f(x: Float): Float = math.abs(x)
  override protected def df(x: Float, y: Float): Float = if (x > 0f) 1f else if (x < 0f) -1f else 0f
}
