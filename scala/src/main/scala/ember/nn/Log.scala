package ember.nn

/** Natural logarithm, elementwise (BigDL's `Log()`); -inf at 0 and NaN below, as in Torch. Gradient 1 / x. */
class Log() extends Pointwise("Log") {
  override protected def f(x: Float): Float = math.log(x.toDouble).toFloat
  override protected def df(x: Float, y: Float): Float = 1f / x
}
