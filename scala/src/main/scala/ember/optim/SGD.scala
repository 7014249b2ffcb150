package ember.optim

import ember.tensor.Tensor

/**
 * Stochastic gradient descent with weight decay, momentum, dampening and Nesterov momentum, following
 * PyTorch's documented update (`torch.optim.SGD`), with BigDL's learning-rate decay:
 * {{{
 *   lr  = schedule.rate(learningRate, position)          // default: learningRate / (1 + iteration * learningRateDecay)
 *   g   = grad + weightDecay * w
 *   buf = g                                  on the first step (momentum > 0)
 *   buf = momentum * buf + (1 - dampening) * g   afterwards
 *   g   = nesterov ? g + momentum * buf : buf
 *   w  -= lr * g
 * }}}
 * `dampening` defaults to 0 (PyTorch). BigDL's default, `Double.MaxValue`, is accepted and means "equal to
 * momentum" (BigDL's semantics), so ported BigDL programs keep their behaviour. Nesterov needs momentum > 0
 * and dampening 0. A given `learningRateSchedule` replaces the default decay (learningRateDecay must then
 * be 0, to avoid two silently combined decays).
 */
class SGD(
    val learningRate: Double,
    val learningRateDecay: Double,
    val weightDecay: Double,
    val momentum: Double,
    val dampening: Double,
    val nesterov: Boolean,
    val learningRateSchedule: LearningRateSchedule
) extends OptimMethod {
  require(learningRate >= 0 && !learningRate.isInfinite, s"SGD: learningRate must be a finite value >= 0, got $learningRate")
  require(learningRateDecay >= 0, s"SGD: learningRateDecay must be >= 0, got $learningRateDecay")
  require(weightDecay >= 0, s"SGD: weightDecay must be >= 0, got $weightDecay")
  require(momentum >= 0, s"SGD: momentum must be >= 0, got $momentum")
  require(dampening >= 0, s"SGD: dampening must be >= 0 (or Double.MaxValue for 'same as momentum'), got $dampening")
  require(!nesterov || (momentum > 0 && effectiveDampening == 0),
    s"SGD: nesterov needs momentum > 0 and dampening 0, got momentum=$momentum dampening=$dampening")
  require(learningRateSchedule == null || learningRateDecay == 0,
    s"SGD: give either learningRateDecay ($learningRateDecay) or a learningRateSchedule, not both")

  def this(learningRate: Double, learningRateDecay: Double, weightDecay: Double, momentum: Double,
      dampening: Double, nesterov: Boolean) = this(learningRate, learningRateDecay, weightDecay, momentum, dampening, nesterov, null)
  def this(learningRate: Double, learningRateDecay: Double, weightDecay: Double, momentum: Double) =
    this(learningRate, learningRateDecay, weightDecay, momentum, 0.0, false, null)
  def this(learningRate: Double, learningRateDecay: Double) = this(learningRate, learningRateDecay, 0.0, 0.0)
  def this(learningRate: Double) = this(learningRate, 0.0)
  def this() = this(1e-3)

  /** The dampening actually applied: BigDL's `Double.MaxValue` sentinel means "equal to momentum". */
  def effectiveDampening: Double = if (dampening == Double.MaxValue) momentum else dampening

  private val schedule: LearningRateSchedule =
    if (learningRateSchedule != null) learningRateSchedule else new DefaultSchedule(learningRateDecay)
  private var momentumBuffer: Array[Float] = null // plain arrays keep the method Serializable

  override def learningRate(position: TrainingPosition): Double = schedule.rate(learningRate, position)

  // the update begun by beginRanges (its learning rate, and whether it starts the momentum buffer)
  @transient private var rate = 0f
  @transient private var first = false

  override def step(weights: Tensor, grads: Tensor, position: TrainingPosition): Unit = {
    OptimState.checkSlice("SGD", weights, grads, momentumBuffer)
    val w = weights.storage; val wo = weights.offset; val g = grads.storage; val go = grads.offset; val n = weights.nElement
    beginRanges(n, position)
    if (wo == 0 && go == 0) stepRange(w, g, 0, n)
    else {
      val (lr, wd, mom, damp) = (rate, weightDecay.toFloat, momentum.toFloat, (1.0 - effectiveDampening).toFloat)
      var i = 0
      if (momentum == 0) {
        while (i < n) { w(wo + i) -= lr * (g(go + i) + wd * w(wo + i)); i += 1 }
      } else {
        val b = momentumBuffer
        while (i < n) {
          val d = g(go + i) + wd * w(wo + i)
          val buf = if (first) d else mom * b(i) + damp * d
          b(i) = buf
          w(wo + i) -= lr * (if (nesterov) d + mom * buf else buf)
          i += 1
        }
      }
    }
  }

  override def beginRanges(length: Int, position: TrainingPosition): Boolean = {
    OptimMethod.checkRanges("SGD", length, momentumBuffer)
    rate = learningRate(position).toFloat
    first = momentum > 0 && momentumBuffer == null
    if (first) momentumBuffer = new Array[Float](length)
    true
  }

  override def stepRange(weights: Array[Float], grads: Array[Float], from: Int, until: Int): Unit =
    SGD.stepAligned(weights, grads, momentumBuffer, from, until, rate, weightDecay.toFloat, momentum.toFloat,
      (1.0 - effectiveDampening).toFloat, momentum > 0, first, nesterov)

  override def freshCopy(): OptimMethod =
    new SGD(learningRate, learningRateDecay, weightDecay, momentum, dampening, nesterov, learningRateSchedule)

  override def config: Seq[(String, Any)] = Seq("learningRate" -> learningRate, "learningRateDecay" -> learningRateDecay,
    "weightDecay" -> weightDecay, "momentum" -> momentum, "dampening" -> dampening, "nesterov" -> nesterov,
    "learningRateSchedule" -> learningRateSchedule)

  override def state: Option[MethodState] = Option(momentumBuffer).map(SGD.State(_))

  override def loadState(s: MethodState): Unit = momentumBuffer = OptimState.as[SGD.State]("SGD", s).momentumBuffer.clone()

  override def readState(e: Map[String, Tensor]): Option[MethodState] = {
    OptimState.checkKeys("SGD", e, Set("momentumBuffer"))
    Option(OptimState.values(e, "momentumBuffer")).map(SGD.State(_))
  }

  override def toString: String = OptimState.describe(this)
}

object SGD {

  /** SGD's state: the momentum buffer (present when momentum > 0). */
  final case class State(momentumBuffer: Array[Float]) extends MethodState {
    override def vectors: Seq[(String, Array[Float])] = Seq("momentumBuffer" -> momentumBuffer)
    override def withVectors(vs: Seq[Array[Float]]): MethodState = State(vs.head)
  }

  /**
   * The update of [[SGD.step]] of elements [from, n) for weights and gradients at offset 0 (flat parameter vectors
   * and slices always are): one loop per case, each indexing every array by the same `i`, which C2 (JDK 17) needs
   * to vectorise it; with the offsets and the per-element branches it ran 3-4x slower.
   */
  private[optim] def stepAligned(w: Array[Float], g: Array[Float], b: Array[Float], from: Int, n: Int, lr: Float, wd: Float,
      mom: Float, damp: Float, momentum: Boolean, first: Boolean, nesterov: Boolean): Unit = {
    var i = from
    if (!momentum) {
      while (i < n) { w(i) -= lr * (g(i) + wd * w(i)); i += 1 }
    } else if (first) { // the buffer starts as the first direction (Torch)
      if (nesterov) while (i < n) { val d = g(i) + wd * w(i); b(i) = d; w(i) -= lr * (d + mom * d); i += 1 }
      else while (i < n) { val d = g(i) + wd * w(i); b(i) = d; w(i) -= lr * d; i += 1 }
    } else if (nesterov) {
      while (i < n) { val d = g(i) + wd * w(i); val v = mom * b(i) + damp * d; b(i) = v; w(i) -= lr * (d + mom * v); i += 1 }
    } else {
      while (i < n) { val v = mom * b(i) + damp * (g(i) + wd * w(i)); b(i) = v; w(i) -= lr * v; i += 1 }
    }
  }
}
