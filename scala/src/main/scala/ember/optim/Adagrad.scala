package ember.optim

import ember.tensor.Tensor

/**
 * Adagrad, following PyTorch's documented update (`torch.optim.Adagrad`, initial accumulator 0, eps 1e-10):
 * {{{
 *   lr   = learningRate / (1 + iteration * learningRateDecay)
 *   g    = grad + weightDecay * w
 *   sum += g * g
 *   w   -= lr * g / (sqrt(sum) + 1e-10)
 * }}}
 */
class Adagrad(val learningRate: Double, val learningRateDecay: Double, val weightDecay: Double) extends OptimMethod {
  require(learningRate >= 0 && !learningRate.isInfinite, s"Adagrad: learningRate must be a finite value >= 0, got $learningRate")
  require(learningRateDecay >= 0, s"Adagrad: learningRateDecay must be >= 0, got $learningRateDecay")
  require(weightDecay >= 0, s"Adagrad: weightDecay must be >= 0, got $weightDecay")

  def this(learningRate: Double) = this(learningRate, 0.0, 0.0)
  def this() = this(1e-3)

  private val Eps = 1e-10f
  private val schedule = new DefaultSchedule(learningRateDecay)
  private var sum: Array[Float] = null // plain arrays keep the method Serializable

  override def learningRate(position: TrainingPosition): Double = schedule.rate(learningRate, position)

  override def step(weights: Tensor, grads: Tensor, position: TrainingPosition): Unit = {
    OptimState.checkSlice("Adagrad", weights, grads, sum)
    val n = weights.nElement
    if (sum == null) sum = new Array[Float](n)
    val lr = learningRate(position).toFloat
    val wd = weightDecay.toFloat
    val (w, wo, g, go, s) = (weights.storage, weights.offset, grads.storage, grads.offset, sum)
    var i = 0
    while (i < n) {
      val d = g(go + i) + wd * w(wo + i)
      s(i) += d * d
      w(wo + i) -= lr * d / (math.sqrt(s(i).toDouble).toFloat + Eps)
      i += 1
    }
  }

  override def freshCopy(): OptimMethod = new Adagrad(learningRate, learningRateDecay, weightDecay)

  override def config: Seq[(String, Any)] =
    Seq("learningRate" -> learningRate, "learningRateDecay" -> learningRateDecay, "weightDecay" -> weightDecay)

  override def state: Map[String, Tensor] = OptimState.entry("sum", sum).toMap

  override def loadState(s: Map[String, Tensor]): Unit = {
    OptimState.checkKeys("Adagrad", s, Set("sum"))
    sum = OptimState.values(s, "sum")
  }

  override def toString: String = OptimState.describe(this)
}
