package ember.nn

/**
 * Kullback-Leibler divergence between a target distribution `y` (probabilities) and an input of
 * log-probabilities `x` (BigDL / Torch `DistKLDivCriterion`): sum over elements with y > 0 of
 * `y * (log y - x)`, divided by the number of elements when `sizeAverage`.
 */
class DistKLDivCriterion(val sizeAverage: Boolean) extends PointwiseCriterion(sizeAverage) {
  def this() = this(true)

  override protected def checkTarget(y: Array[Float]): Unit = {
    val bad = y.indexWhere(v => !(v >= 0))
    require(bad < 0, s"$name: target value ${if (bad >= 0) y(bad) else 0} at index $bad is not a probability (>= 0)")
  }
  override protected def lossAt(x: Double, y: Double, i: Int): Double = if (y > 0) y * (math.log(y) - x) else 0.0
  override protected def gradAt(x: Double, y: Double, i: Int): Double = if (y > 0) -y else 0.0

  override def config: Seq[(String, Any)] = Seq("sizeAverage" -> sizeAverage)
  override def configDefaults: Seq[(String, Any)] = Seq("sizeAverage" -> true)
}
