package ember.nn

/** x / (1 + |x|), elementwise (BigDL's `SoftSign()`); the gradient is 1 / (1 + |x|)^2. */
class SoftSign() extends Pointwise("SoftSign") {
  override protected def f(x: Float): Float = x / (1f + math.abs(x))
  override protected def df(x: Float, y: Float): Float = { val d = 1f + math.abs(x); 1f / (d * d) }
}
