package ember.optim

import ember.tensor.Tensor

/**
 * FTRL-Proximal (McMahan et al. 2013), following TensorFlow's documented `ApplyFtrlV2` update with BigDL's
 * arguments:
 * {{{
 *   g'     = g + 2 * l2Shrinkage * w
 *   n_new  = n + g * g                                  // n starts at initialAccumulatorValue
 *   z     += g' - (n_new^(-p) - n^(-p)) / learningRate * w          // p = learningRatePower (<= 0)
 *   quad   = n_new^(-p) / learningRate + 2 * l2
 *   w      = |z| > l1 ? (sign(z) * l1 - z) / quad : 0
 *   n      = n_new
 * }}}
 * The accumulator `n` and the linear term `z` are the state (elementwise, so the method is sliceable).
 */
class Ftrl(
    val learningRate: Double,
    val learningRatePower: Double,
    val initialAccumulatorValue: Double,
    val l1RegularizationStrength: Double,
    val l2RegularizationStrength: Double,
    val l2ShrinkageRegularizationStrength: Double
) extends ElementwiseUpdate {
  require(learningRate > 0 && !learningRate.isInfinite, s"Ftrl: learningRate must be a finite value > 0, got $learningRate")
  require(learningRatePower <= 0, s"Ftrl: learningRatePower must be <= 0, got $learningRatePower")
  require(initialAccumulatorValue >= 0 && !initialAccumulatorValue.isInfinite,
    s"Ftrl: initialAccumulatorValue must be a finite value >= 0, got $initialAccumulatorValue")
  require(learningRatePower == 0 || initialAccumulatorValue > 0,
    s"Ftrl: initialAccumulatorValue must be > 0 when learningRatePower < 0 (0^$learningRatePower is infinite)")
  require(l1RegularizationStrength >= 0, s"Ftrl: l1RegularizationStrength must be >= 0, got $l1RegularizationStrength")
  require(l2RegularizationStrength >= 0, s"Ftrl: l2RegularizationStrength must be >= 0, got $l2RegularizationStrength")
  require(l2ShrinkageRegularizationStrength >= 0,
    s"Ftrl: l2ShrinkageRegularizationStrength must be >= 0, got $l2ShrinkageRegularizationStrength")

  def this(learningRate: Double, learningRatePower: Double, initialAccumulatorValue: Double, l1: Double, l2: Double) =
    this(learningRate, learningRatePower, initialAccumulatorValue, l1, l2, 0.0)
  def this(learningRate: Double) = this(learningRate, -0.5, 0.1, 0.0, 0.0, 0.0)
  def this() = this(1e-3)

  private var accum: Array[Float] = null  // plain arrays keep the method Serializable
  private var linear: Array[Float] = null

  override def learningRate(position: TrainingPosition): Double = learningRate

  override def beginRanges(length: Int, position: TrainingPosition): Boolean = {
    OptimMethod.checkRanges("Ftrl", length, accum)
    if (accum == null) { accum = Array.fill(length)(initialAccumulatorValue.toFloat); linear = new Array[Float](length) }
    true
  }

  override protected def firstState: Array[Float] = accum

  override protected def update(w: Array[Float], wo: Int, g: Array[Float], go: Int, from: Int, until: Int): Unit = {
    val (lr, p, l1, l2, shrink) = (learningRate, -learningRatePower, l1RegularizationStrength, l2RegularizationStrength,
      l2ShrinkageRegularizationStrength)
    val (acc, z) = (accum, linear)
    var i = from
    while (i < until) {
      val (wi, gi) = (w(wo + i).toDouble, g(go + i).toDouble)
      val nNew = acc(i) + gi * gi
      val sigma = (math.pow(nNew, p) - math.pow(acc(i).toDouble, p)) / lr
      val zi = z(i) + gi + 2 * shrink * wi - sigma * wi
      val quad = math.pow(nNew, p) / lr + 2 * l2
      w(wo + i) = (if (math.abs(zi) > l1) (math.signum(zi) * l1 - zi) / quad else 0.0).toFloat
      z(i) = zi.toFloat
      acc(i) = nNew.toFloat
      i += 1
    }
  }

  override def freshCopy(): OptimMethod = new Ftrl(learningRate, learningRatePower, initialAccumulatorValue,
    l1RegularizationStrength, l2RegularizationStrength, l2ShrinkageRegularizationStrength)

  override def config: Seq[(String, Any)] = Seq("learningRate" -> learningRate, "learningRatePower" -> learningRatePower,
    "initialAccumulatorValue" -> initialAccumulatorValue, "l1RegularizationStrength" -> l1RegularizationStrength,
    "l2RegularizationStrength" -> l2RegularizationStrength,
    "l2ShrinkageRegularizationStrength" -> l2ShrinkageRegularizationStrength)

  override def state: Option[MethodState] = Option(accum).map(_ => Ftrl.State(accum, linear))

  override def loadState(s: MethodState): Unit = {
    val st = OptimState.as[Ftrl.State]("Ftrl", s)
    accum = st.accum.clone(); linear = st.linear.clone()
  }

  override def readState(e: Map[String, Tensor]): Option[MethodState] = {
    OptimState.checkKeys("Ftrl", e, Set("accum", "linear"), required = Set("accum", "linear"))
    Option(OptimState.values(e, "accum")).map(Ftrl.State(_, OptimState.values(e, "linear")))
  }

  override def toString: String = OptimState.describe(this)
}

object Ftrl {
  /** Ftrl's state: accumulated squared gradients and the linear term. */
  final case class State(accum: Array[Float], linear: Array[Float]) extends MethodState {
    override def vectors: Seq[(String, Array[Float])] = Seq("accum" -> accum, "linear" -> linear)
    override def withVectors(vs: Seq[Array[Float]]): MethodState = State(vs(0), vs(1))
  }
}
