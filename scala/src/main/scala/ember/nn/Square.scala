package ember.nn

/** x * x, elementwise (BigDL's `Square()`); the gradient is 2x. */
class Square() extends Pointwise("Square") {
  override protected def f(x: Float): Float = x * x
  override protected def df(x: Float, y: Float): Float = 2f * x
}
