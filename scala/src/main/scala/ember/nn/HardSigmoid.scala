package ember.nn

/**
 * max(0, min(1, 0.2 * x + 0.5)), elementwise (BigDL's and Keras's `HardSigmoid()`); the gradient is 0.2
 * strictly inside (-2.5, 2.5) and 0 outside.
 */
class HardSigmoid() extends Pointwise("HardSigmoid") {
  override protected def f(x: Float): Float = { val v = 0.2f * x + 0.5f; if (v < 0f) 0f else if (v > 1f) 1f else v }
  override protected def df(x: Float, y: Float): Float = if (x > -2.5f && x < 2.5f) 0.2f else 0f
}
