package ember.nn

import ember.tensor.dnn.{DnnEltwise, DnnOps}

/**
 * log(1 + exp(beta * x)) / beta, elementwise (BigDL's `SoftPlus(beta)`); linear (y = x) where beta * x > 20,
 * as in Torch, where the two agree to Float32 precision. The gradient is sigmoid(beta * x).
 */
class SoftPlus(val beta: Double) extends Pointwise("SoftPlus") {
  require(beta > 0, s"SoftPlus: beta must be positive, got $beta")

  def this() = this(1.0)

  override protected val dnn = (DnnOps.SoftPlus, DnnEltwise.softPlus(beta.toFloat))

  override protected def f(x: Float): Float = {
    val bx = beta * x
    if (bx > 20) x else (math.log1p(math.exp(bx)) / beta).toFloat
  }
  override protected def df(x: Float, y: Float): Float = {
    val bx = beta * x
    if (bx > 20) 1f else (1.0 / (1.0 + math.exp(-bx))).toFloat
  }

  override def config: Seq[(String, Any)] = Seq("beta" -> beta)
  override def configDefaults: Seq[(String, Any)] = Seq("beta" -> 1.0)
}
