package ember.optim

import ember.tensor.Tensor

/**
 * RMSprop, following PyTorch's documented update (`torch.optim.RMSprop`, not centered, no momentum), with
 * BigDL's arguments and learning-rate decay:
 * {{{
 *   lr = learningRate / (1 + iteration * learningRateDecay)
 *   v  = decayRate * v + (1 - decayRate) * g * g
 *   w -= lr * g / (sqrt(v) + epsilon)
 * }}}
 */
class RMSprop(val learningRate: Double, val learningRateDecay: Double, val decayRate: Double, val epsilon: Double)
    extends ElementwiseUpdate {
  require(learningRate >= 0 && !learningRate.isInfinite, s"RMSprop: learningRate must be a finite value >= 0, got $learningRate")
  require(learningRateDecay >= 0, s"RMSprop: learningRateDecay must be >= 0, got $learningRateDecay")
  require(decayRate >= 0 && decayRate < 1, s"RMSprop: decayRate must be in [0, 1), got $decayRate")
  require(epsilon > 0, s"RMSprop: epsilon must be > 0, got $epsilon")

  def this(learningRate: Double, learningRateDecay: Double) = this(learningRate, learningRateDecay, 0.99, 1e-8)
  def this(learningRate: Double) = this(learningRate, 0.0)
  def this() = this(1e-2)

  private val schedule = new DefaultSchedule(learningRateDecay)
  private var meanSquare: Array[Float] = null // plain arrays keep the method Serializable

  override def learningRate(position: TrainingPosition): Double = schedule.rate(learningRate, position)

  @transient private var rate = 0f // of the update begun by beginRanges

  override def beginRanges(length: Int, position: TrainingPosition): Boolean = {
    OptimMethod.checkRanges("RMSprop", length, meanSquare)
    if (meanSquare == null) meanSquare = new Array[Float](length)
    rate = learningRate(position).toFloat
    true
  }

  override protected def firstState: Array[Float] = meanSquare

  override protected def update(w: Array[Float], wo: Int, g: Array[Float], go: Int, from: Int, until: Int): Unit = {
    val (lr, rho, eps, v) = (rate, decayRate.toFloat, epsilon.toFloat, meanSquare)
    var i = from
    while (i < until) {
      val gi = g(go + i)
      v(i) = rho * v(i) + (1 - rho) * gi * gi
      w(wo + i) -= lr * gi / (math.sqrt(v(i).toDouble).toFloat + eps)
      i += 1
    }
  }

  override def freshCopy(): OptimMethod = new RMSprop(learningRate, learningRateDecay, decayRate, epsilon)

  override def config: Seq[(String, Any)] = Seq("learningRate" -> learningRate, "learningRateDecay" -> learningRateDecay,
    "decayRate" -> decayRate, "epsilon" -> epsilon)

  override def state: Option[MethodState] = Option(meanSquare).map(_ => RMSprop.State(meanSquare))

  override def loadState(s: MethodState): Unit = {
    val st = OptimState.as[RMSprop.State]("RMSprop", s)
    meanSquare = st.meanSquare.clone()
  }

  override def readState(e: Map[String, Tensor]): Option[MethodState] = {
    OptimState.checkKeys("RMSprop", e, Set("meanSquare"), required = Set("meanSquare"))
    Option(OptimState.values(e, "meanSquare")).map(RMSprop.State(_))
  }

  override def toString: String = OptimState.describe(this)
}

object RMSprop {
  /** RMSprop's state: the running mean of squared gradients. */
  final case class State(meanSquare: Array[Float]) extends MethodState {
    override def vectors: Seq[(String, Array[Float])] = Seq("meanSquare" -> meanSquare)
    override def withVectors(vs: Seq[Array[Float]]): MethodState = State(vs(0))
  }
}
