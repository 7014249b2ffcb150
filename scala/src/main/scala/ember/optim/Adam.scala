package ember.optim

import ember.tensor.Tensor

/**
 * Adam (Kingma and Ba), following PyTorch's documented update (`torch.optim.Adam`, no amsgrad), with
 * BigDL's learning-rate decay `lr = learningRate / (1 + iteration * learningRateDecay)`:
 * {{{
 *   t += 1
 *   m  = beta1 * m + (1 - beta1) * g
 *   v  = beta2 * v + (1 - beta2) * g * g
 *   w -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + epsilon)
 * }}}
 * The moments and the step count `t` are the method's state: they are saved in checkpoints and kept across
 * `optimize()` calls (BigDL cleared them, a common complaint).
 */
class Adam(
    val learningRate: Double,
    val learningRateDecay: Double,
    val beta1: Double,
    val beta2: Double,
    val epsilon: Double
) extends ElementwiseUpdate {
  require(learningRate >= 0 && !learningRate.isInfinite, s"Adam: learningRate must be a finite value >= 0, got $learningRate")
  require(learningRateDecay >= 0, s"Adam: learningRateDecay must be >= 0, got $learningRateDecay")
  require(beta1 >= 0 && beta1 < 1, s"Adam: beta1 must be in [0, 1), got $beta1")
  require(beta2 >= 0 && beta2 < 1, s"Adam: beta2 must be in [0, 1), got $beta2")
  require(epsilon > 0, s"Adam: epsilon must be > 0, got $epsilon")

  def this(learningRate: Double, learningRateDecay: Double) = this(learningRate, learningRateDecay, 0.9, 0.999, 1e-8)
  def this(learningRate: Double) = this(learningRate, 0.0)
  def this() = this(1e-3)

  private val schedule = new DefaultSchedule(learningRateDecay)
  private var t = 0L
  private var m: Array[Float] = null // plain arrays keep the method Serializable
  private var v: Array[Float] = null

  override def learningRate(position: TrainingPosition): Double = schedule.rate(learningRate, position)

  // the update begun by beginRanges: its step size and bias correction
  @transient private var stepSize = 0f
  @transient private var invSqrtBc2 = 0f

  override def beginRanges(length: Int, position: TrainingPosition): Boolean = {
    OptimMethod.checkRanges("Adam", length, m)
    if (m == null) { m = new Array[Float](length); v = new Array[Float](length) }
    t += 1
    val bc1 = 1.0 - math.pow(beta1, t.toDouble)
    val bc2 = 1.0 - math.pow(beta2, t.toDouble)
    stepSize = (learningRate(position) / bc1).toFloat
    invSqrtBc2 = (1.0 / math.sqrt(bc2)).toFloat
    true
  }

  override protected def firstState: Array[Float] = m

  override protected def update(w: Array[Float], wo: Int, g: Array[Float], go: Int, from: Int, until: Int): Unit = {
    val (b1, b2, eps, stepSize, invSqrtBc2) = (beta1.toFloat, beta2.toFloat, epsilon.toFloat, this.stepSize, this.invSqrtBc2)
    val (ms, vs) = (m, v)
    var i = from
    while (i < until) {
      val gi = g(go + i)
      val mi = b1 * ms(i) + (1 - b1) * gi
      val vi = b2 * vs(i) + (1 - b2) * gi * gi
      ms(i) = mi; vs(i) = vi
      w(wo + i) -= stepSize * mi / (math.sqrt(vi.toDouble).toFloat * invSqrtBc2 + eps)
      i += 1
    }
  }

  override def freshCopy(): OptimMethod = new Adam(learningRate, learningRateDecay, beta1, beta2, epsilon)

  override def config: Seq[(String, Any)] = Seq("learningRate" -> learningRate, "learningRateDecay" -> learningRateDecay,
    "beta1" -> beta1, "beta2" -> beta2, "epsilon" -> epsilon)

  override def state: Option[MethodState] = Option(m).map(_ => Adam.State(m, v, t))

  override def loadState(s: MethodState): Unit = {
    val st = OptimState.as[Adam.State]("Adam", s)
    m = st.m.clone(); v = st.v.clone(); t = st.step
  }

  override def readState(e: Map[String, Tensor]): Option[MethodState] = {
    OptimState.checkKeys("Adam", e, Set("m", "v", OptimState.StepKey), required = Set("m", "v"))
    Option(OptimState.values(e, "m")).map(Adam.State(_, OptimState.values(e, "v"), OptimState.count(e)))
  }

  override def toString: String = OptimState.describe(this)
}

object Adam {

  /** Adam's state: first and second moment estimates and the update count. */
  final case class State(m: Array[Float], v: Array[Float], step: Long) extends MethodState {
    override def vectors: Seq[(String, Array[Float])] = Seq("m" -> m, "v" -> v)
    override def steps: Option[Long] = Some(step)
    override def withVectors(vs: Seq[Array[Float]]): MethodState = State(vs(0), vs(1), step)
  }
}
