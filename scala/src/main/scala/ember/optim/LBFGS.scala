package ember.optim

import scala.collection.mutable.ArrayBuffer

import ember.tensor.Tensor

/**
 * Limited-memory BFGS without line search: Torch's `optim.lbfgs` (BigDL's LBFGS) taking one iteration per
 * [[step]], with its history carried across steps. Each step, with g the gradient at the current weights:
 * {{{
 *   if sum|g| <= tolFun: no update (first-order optimality)
 *   if first step:  d = -g,  t = min(1, 1 / sum|g|) * learningRate
 *   else:           y = g - gOld,  s = t * d
 *                   if y.s > 1e-10: remember (s, y) (the last nCorrection pairs), hDiag = y.s / y.y
 *                   d = -H g by the two-loop recursion over the pairs, with H0 = hDiag * I
 *                   t = learningRate
 *   w += t * d;  gOld = g
 * }}}
 * With full-batch gradients and learningRate 1 this is quasi-Newton descent (quadratics converge in about
 * n steps); with noisy mini-batch gradients use a small learningRate.
 *
 * The direction needs dot products over the whole parameter vector, so LBFGS is not sliceable: the
 * distributed optimizer refuses it ([[OptimMethod.requireSliceable]]); use it with the LocalOptimizer.
 */
class LBFGS(val learningRate: Double, val nCorrection: Int, val tolFun: Double) extends OptimMethod {
  require(learningRate > 0 && !learningRate.isInfinite, s"LBFGS: learningRate must be a finite value > 0, got $learningRate")
  require(nCorrection > 0, s"LBFGS: nCorrection (the history size) must be > 0, got $nCorrection")
  require(tolFun >= 0, s"LBFGS: tolFun must be >= 0, got $tolFun")

  def this(learningRate: Double, nCorrection: Int) = this(learningRate, nCorrection, 1e-5)
  def this(learningRate: Double) = this(learningRate, 100)
  def this() = this(1.0)

  private var nIter = 0L
  private var gOld: Array[Float] = null
  private var dir: Array[Float] = null
  private var stepLength = 0.0
  private var hDiag = 1.0
  private val sHistory = ArrayBuffer.empty[Array[Float]] // oldest first
  private val yHistory = ArrayBuffer.empty[Array[Float]]

  override def sliceable: Boolean = false

  override def learningRate(position: TrainingPosition): Double = learningRate

  private def dot(a: Array[Float], b: Array[Float]): Double = {
    var s = 0.0; var i = 0
    while (i < a.length) { s += a(i).toDouble * b(i); i += 1 }
    s
  }

  override def step(weights: Tensor, grads: Tensor, position: TrainingPosition): Unit = {
    OptimState.checkSlice("LBFGS", weights, grads, gOld)
    val n = weights.nElement
    val g = grads.contiguous().toArray
    if (g.map(v => math.abs(v.toDouble)).sum <= tolFun) return
    nIter += 1
    if (nIter == 1) {
      dir = g.map(-_)
      stepLength = math.min(1.0, 1.0 / g.map(v => math.abs(v.toDouble)).sum) * learningRate
    } else {
      val y = Array.tabulate(n)(i => g(i) - gOld(i))
      val s = Array.tabulate(n)(i => (dir(i) * stepLength).toFloat)
      val ys = dot(y, s)
      if (ys > 1e-10) {
        if (sHistory.length == nCorrection) { sHistory.remove(0); yHistory.remove(0) }
        sHistory += s; yHistory += y
        hDiag = ys / dot(y, y)
      }
      dir = twoLoop(g)
      stepLength = learningRate
    }
    gOld = g
    val (w, wo) = (weights.storage, weights.offset)
    var i = 0
    while (i < n) { w(wo + i) = (w(wo + i) + stepLength * dir(i)).toFloat; i += 1 }
  }

  /** -H g by the two-loop recursion (Nocedal and Wright, algorithm 7.4). */
  private def twoLoop(g: Array[Float]): Array[Float] = {
    val k = sHistory.length
    val q = g.map(v => -v.toDouble)
    val rho = Array.tabulate(k)(i => 1.0 / dot(yHistory(i), sHistory(i)))
    val alpha = new Array[Double](k)
    for (i <- k - 1 to 0 by -1) {
      val (s, y) = (sHistory(i), yHistory(i))
      var a = 0.0; var j = 0
      while (j < q.length) { a += s(j) * q(j); j += 1 }
      alpha(i) = a * rho(i)
      j = 0
      while (j < q.length) { q(j) -= alpha(i) * y(j); j += 1 }
    }
    val r = q.map(_ * hDiag)
    for (i <- 0 until k) {
      val (s, y) = (sHistory(i), yHistory(i))
      var b = 0.0; var j = 0
      while (j < r.length) { b += y(j) * r(j); j += 1 }
      b *= rho(i)
      j = 0
      while (j < r.length) { r(j) += s(j) * (alpha(i) - b); j += 1 }
    }
    r.map(_.toFloat)
  }

  override def freshCopy(): OptimMethod = new LBFGS(learningRate, nCorrection, tolFun)

  override def config: Seq[(String, Any)] = Seq("learningRate" -> learningRate, "nCorrection" -> nCorrection, "tolFun" -> tolFun)

  override def state: Option[MethodState] =
    Option(gOld).map(_ => LBFGS.State(gOld, dir, sHistory.toVector, yHistory.toVector, stepLength, hDiag, nIter))

  override def loadState(st: MethodState): Unit = {
    val x = OptimState.as[LBFGS.State]("LBFGS", st)
    require(x.s.length == x.y.length && (x.s ++ x.y).forall(_.length == x.gOld.length) && x.direction.length == x.gOld.length,
      "LBFGS: the state's s and y histories and direction do not match its gradient length")
    gOld = x.gOld.clone(); dir = x.direction.clone(); stepLength = x.stepLength; hDiag = x.hDiag; nIter = x.iterations
    sHistory.clear(); yHistory.clear()
    sHistory ++= x.s.map(_.clone()); yHistory ++= x.y.map(_.clone())
  }

  override def readState(s: Map[String, Tensor]): Option[MethodState] = {
    val required = Set("gOld", "direction", "scalars", OptimState.StepKey)
    OptimState.checkKeys("LBFGS", s, required ++ Set("s", "y"), required)
    if (s.isEmpty) None else {
      require(s.contains("s") == s.contains("y"), s"LBFGS: state must hold both s and y or neither, got ${s.keys.mkString(", ")}")
      val gOld = s("gOld").toArray
      val sc = s("scalars").toArray
      require(sc.length == 8, s"LBFGS: 'scalars' must hold 8 values, got ${sc.length}")
      def rows(name: String): Vector[Array[Float]] = s.get(name).map(_.toArray.grouped(gOld.length).toVector).getOrElse(Vector.empty)
      Some(LBFGS.State(gOld, s("direction").toArray, rows("s"), rows("y"), LBFGS.fromBits(sc.take(4)), LBFGS.fromBits(sc.drop(4)),
        OptimState.decodeCount(s(OptimState.StepKey))))
    }
  }

  override def toString: String = OptimState.describe(this)
}

object LBFGS {

  /**
   * LBFGS's state: the last gradient and direction (n values), the last k pairs s and y, step length, the
   * Hessian scale hDiag and the iteration count. Not sliceable (the method needs the whole vector).
   */
  final case class State(gOld: Array[Float], direction: Array[Float], s: Vector[Array[Float]], y: Vector[Array[Float]],
      stepLength: Double, hDiag: Double, iterations: Long) extends MethodState {
    override def vectors: Seq[(String, Array[Float])] = Seq("gOld" -> gOld, "direction" -> direction)
    override def steps: Option[Long] = Some(iterations)
    override def withVectors(vs: Seq[Array[Float]]): MethodState =
      throw new UnsupportedOperationException("LBFGS needs the whole parameter vector: its state does not slice")

    /**
     * The checkpoint entries: gOld, direction, the count, s and y stacked as [k, n] (absent while k = 0), and
     * step length and hDiag as the exact bits of the Doubles (4 16-bit chunks each, exact in Float).
     */
    override def entries: Map[String, Tensor] = {
      val n = gOld.length
      def stack(rows: Vector[Array[Float]]) = Tensor.fromArray(rows.flatten.toArray, Array(rows.length, n))
      val history = if (s.isEmpty) Map.empty[String, Tensor] else Map("s" -> stack(s), "y" -> stack(y))
      super.entries ++ history + ("scalars" -> Tensor.fromArray(bits(stepLength) ++ bits(hDiag), 8))
    }
  }

  /** The 64 bits of `d` as four 16-bit integers, each exact in a Float. */
  def bits(d: Double): Array[Float] = {
    val b = java.lang.Double.doubleToRawLongBits(d)
    Array.tabulate(4)(i => ((b >>> (16 * i)) & 0xffffL).toFloat)
  }

  def fromBits(a: Array[Float]): Double =
    java.lang.Double.longBitsToDouble((0 until 4).map(i => a(i).toLong << (16 * i)).reduce(_ | _))
}
