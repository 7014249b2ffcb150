package ember.optim

import ember.tensor.Tensor

/**
 * Adamax, the infinity-norm variant of Adam (Kingma and Ba, section 7), following PyTorch's documented update
 * (`torch.optim.Adamax`) with BigDL's defaults (learning rate 0.002, epsilon 1e-38):
 * {{{
 *   t += 1
 *   m  = beta1 * m + (1 - beta1) * g
 *   u  = max(beta2 * u, |g| + epsilon)
 *   w -= learningRate / (1 - beta1^t) * m / u
 * }}}
 */
class Adamax(val learningRate: Double, val beta1: Double, val beta2: Double, val epsilon: Double) extends ElementwiseUpdate {
  require(learningRate >= 0 && !learningRate.isInfinite, s"Adamax: learningRate must be a finite value >= 0, got $learningRate")
  require(beta1 >= 0 && beta1 < 1, s"Adamax: beta1 must be in [0, 1), got $beta1")
  require(beta2 >= 0 && beta2 < 1, s"Adamax: beta2 must be in [0, 1), got $beta2")
  require(epsilon > 0 && !epsilon.isInfinite, s"Adamax: epsilon must be a finite value > 0, got $epsilon")

  def this(learningRate: Double) = this(learningRate, 0.9, 0.999, 1e-38)
  def this() = this(0.002)

  private var t = 0L
  private var m: Array[Float] = null // plain arrays keep the method Serializable
  private var u: Array[Float] = null

  override def learningRate(position: TrainingPosition): Double = learningRate

  @transient private var stepSize = 0.0 // of the update begun by beginRanges

  override def beginRanges(length: Int, position: TrainingPosition): Boolean = {
    OptimMethod.checkRanges("Adamax", length, m)
    if (m == null) { m = new Array[Float](length); u = new Array[Float](length) }
    t += 1
    stepSize = learningRate / (1.0 - math.pow(beta1, t.toDouble))
    true
  }

  override protected def firstState: Array[Float] = m

  override protected def update(w: Array[Float], wo: Int, g: Array[Float], go: Int, from: Int, until: Int): Unit = {
    val (stepSize, ms, us) = (this.stepSize, m, u)
    var i = from
    while (i < until) {
      val gi = g(go + i).toDouble
      val mi = beta1 * ms(i) + (1 - beta1) * gi
      val ui = math.max(beta2 * us(i), math.abs(gi) + epsilon)
      ms(i) = mi.toFloat; us(i) = ui.toFloat
      w(wo + i) -= (stepSize * mi / ui).toFloat
      i += 1
    }
  }

  override def freshCopy(): OptimMethod = new Adamax(learningRate, beta1, beta2, epsilon)

  override def config: Seq[(String, Any)] = Seq("learningRate" -> learningRate, "beta1" -> beta1, "beta2" -> beta2, "epsilon" -> epsilon)

  override def state: Option[MethodState] = Option(m).map(_ => Adamax.State(m, u, t))

  override def loadState(s: MethodState): Unit = {
    val st = OptimState.as[Adamax.State]("Adamax", s)
    m = st.m.clone(); u = st.u.clone(); t = st.step
  }

  override def readState(e: Map[String, Tensor]): Option[MethodState] = {
    OptimState.checkKeys("Adamax", e, Set("m", "u", OptimState.StepKey), required = Set("m", "u"))
    Option(OptimState.values(e, "m")).map(Adamax.State(_, OptimState.values(e, "u"), OptimState.count(e)))
  }

  override def toString: String = OptimState.describe(this)
}

object Adamax {

  /** Adamax's state: first moment estimate, exponentially weighted infinity norm and the update count. */
  final case class State(m: Array[Float], u: Array[Float], step: Long) extends MethodState {
    override def vectors: Seq[(String, Array[Float])] = Seq("m" -> m, "u" -> u)
    override def steps: Option[Long] = Some(step)
    override def withVectors(vs: Seq[Array[Float]]): MethodState = State(vs(0), vs(1), step)
  }
}
