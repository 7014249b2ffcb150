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
class Adagrad(val learningRate: Double, val learningRateDecay: Double, val weightDecay: Double) extends ElementwiseUpdate {
  require(learningRate >= 0 && !learningRate.isInfinite, s"Adagrad: learningRate must be a finite value >= 0, got $learningRate")
  require(learningRateDecay >= 0, s"Adagrad: learningRateDecay must be >= 0, got $learningRateDecay")
  require(weightDecay >= 0, s"Adagrad: weightDecay must be >= 0, got $weightDecay")

  def this(learningRate: Double) = this(learningRate, 0.0, 0.0)
  def this() = this(1e-3)

  private val Eps = 1e-10f
  private val schedule = new DefaultSchedule(learningRateDecay)
  private var sum: Array[Float] = null // plain arrays keep the method Serializable

  override def learningRate(position: TrainingPosition): Double = schedule.rate(learningRate, position)

  @transient private var rate = 0f // of the update begun by beginRanges

  override def beginRanges(length: Int, position: TrainingPosition): Boolean = {
    OptimMethod.checkRanges("Adagrad", length, sum)
    if (sum == null) sum = new Array[Float](length)
    rate = learningRate(position).toFloat
    true
  }

  override protected def firstState: Array[Float] = sum

  override protected def update(w: Array[Float], wo: Int, g: Array[Float], go: Int, from: Int, until: Int): Unit = {
    val (lr, wd, s) = (rate, weightDecay.toFloat, sum)
    var i = from
    while (i < until) {
      val d = g(go + i) + wd * w(wo + i)
      s(i) += d * d
      w(wo + i) -= lr * d / (math.sqrt(s(i).toDouble).toFloat + Eps)
      i += 1
    }
  }

  override def freshCopy(): OptimMethod = new Adagrad(learningRate, learningRateDecay, weightDecay)

  override def config: Seq[(String, Any)] =
    Seq("learningRate" -> learningRate, "learningRateDecay" -> learningRateDecay, "weightDecay" -> weightDecay)

  override def state: Option[MethodState] = Option(sum).map(_ => Adagrad.State(sum))

  override def loadState(s: MethodState): Unit = {
    val st = OptimState.as[Adagrad.State]("Adagrad", s)
    sum = st.sum.clone()
  }

  override def readState(e: Map[String, Tensor]): Option[MethodState] = {
    OptimState.checkKeys("Adagrad", e, Set("sum"), required = Set("sum"))
    Option(OptimState.values(e, "sum")).map(Adagrad.State(_))
  }

  override def toString: String = OptimState.describe(this)
}

object Adagrad {
  /** Adagrad's state: the running sum of squared gradients. */
  final case class State(sum: Array[Float]) extends MethodState {
    override def vectors: Seq[(String, Array[Float])] = Seq("sum" -> sum)
    override def withVectors(vs: Seq[Array[Float]]): MethodState = State(vs(0))
  }
}
