package ember.optim

import ember.tensor.Tensor

/**
 * Adadelta (Zeiler 2012), following PyTorch's documented update (`torch.optim.Adadelta`), with BigDL's
 * argument names (`decayRate` is PyTorch's rho, BigDL's default epsilon 1e-10):
 * {{{
 *   v  = decayRate * v + (1 - decayRate) * g * g
 *   d  = sqrt(u + epsilon) / sqrt(v + epsilon) * g
 *   u  = decayRate * u + (1 - decayRate) * d * d
 *   w -= learningRate * d
 * }}}
 * `learningRate` defaults to 1 (BigDL's Adadelta has none, i.e. 1).
 */
class Adadelta(val decayRate: Double, val epsilon: Double, val learningRate: Double) extends ElementwiseUpdate {
  require(decayRate >= 0 && decayRate < 1, s"Adadelta: decayRate must be in [0, 1), got $decayRate")
  require(epsilon > 0 && !epsilon.isInfinite, s"Adadelta: epsilon must be a finite value > 0, got $epsilon")
  require(learningRate >= 0 && !learningRate.isInfinite, s"Adadelta: learningRate must be a finite value >= 0, got $learningRate")

  def this(decayRate: Double, epsilon: Double) = this(decayRate, epsilon, 1.0)
  def this() = this(0.9, 1e-10)

  private var squares: Array[Float] = null // running average of g^2 (plain arrays keep the method Serializable)
  private var deltas: Array[Float] = null  // running average of the squared updates

  override def learningRate(position: TrainingPosition): Double = learningRate

  override def beginRanges(length: Int, position: TrainingPosition): Boolean = {
    OptimMethod.checkRanges("Adadelta", length, squares)
    if (squares == null) { squares = new Array[Float](length); deltas = new Array[Float](length) }
    true
  }

  override protected def firstState: Array[Float] = squares

  override protected def update(w: Array[Float], wo: Int, g: Array[Float], go: Int, from: Int, until: Int): Unit = {
    val (rho, eps, lr, v, u) = (decayRate, epsilon, learningRate, squares, deltas)
    var i = from
    while (i < until) {
      val gi = g(go + i).toDouble
      val vi = rho * v(i) + (1 - rho) * gi * gi
      val d = math.sqrt(u(i) + eps) / math.sqrt(vi + eps) * gi
      v(i) = vi.toFloat
      u(i) = (rho * u(i) + (1 - rho) * d * d).toFloat
      w(wo + i) -= (lr * d).toFloat
      i += 1
    }
  }

  override def freshCopy(): OptimMethod = new Adadelta(decayRate, epsilon, learningRate)

  override def config: Seq[(String, Any)] = Seq("decayRate" -> decayRate, "epsilon" -> epsilon, "learningRate" -> learningRate)

  override def state: Option[MethodState] = Option(squares).map(_ => Adadelta.State(squares, deltas))

  override def loadState(s: MethodState): Unit = {
    val st = OptimState.as[Adadelta.State]("Adadelta", s)
    squares = st.squares.clone(); deltas = st.deltas.clone()
  }

  override def readState(e: Map[String, Tensor]): Option[MethodState] = {
    OptimState.checkKeys("Adadelta", e, Set("squares", "deltas"), required = Set("squares", "deltas"))
    Option(OptimState.values(e, "squares")).map(Adadelta.State(_, OptimState.values(e, "deltas")))
  }

  override def toString: String = OptimState.describe(this)
}

object Adadelta {
  /** Adadelta's state: running averages of squared gradients and of squared updates. */
  final case class State(squares: Array[Float], deltas: Array[Float]) extends MethodState {
    override def vectors: Seq[(String, Array[Float])] = Seq("squares" -> squares, "deltas" -> deltas)
    override def withVectors(vs: Seq[Array[Float]]): MethodState = State(vs(0), vs(1))
  }
}
