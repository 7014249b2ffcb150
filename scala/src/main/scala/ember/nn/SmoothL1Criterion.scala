package ember.nn

/**
 * The Huber loss with threshold 1 (BigDL / Torch `SmoothL1Criterion`): per element, with d = x - y,
 * `0.5 d^2` when |d| < 1 and `|d| - 0.5` otherwise; summed, divided by the number of elements when
 * `sizeAverage`.
 */
class SmoothL1Criterion(val sizeAverage: Boolean) extends PointwiseCriterion(sizeAverage) {
  def this() = this(true)

  override protected def lossAt(x: Double, y: Double, i: Int): Double = {
    val d = math.abs(x - y); if (d < 1) 0.5 * d * d else d - 0.5
  }
  override protected def gradAt(x: Double, y: Double, i: Int): Double = {
    val d = x - y; if (math.abs(d) < 1) d else math.signum(d)
  }

  override def config: Seq[(String, Any)] = Seq("sizeAverage" -> sizeAverage)
  override def configDefaults: Seq[(String, Any)] = Seq("sizeAverage" -> true)
}
