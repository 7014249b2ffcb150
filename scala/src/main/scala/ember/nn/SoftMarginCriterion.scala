package ember.nn

/**
 * Two-class logistic loss for targets in {-1, 1} (BigDL / Torch `SoftMarginCriterion`): per element
 * `log(1 + exp(-y * x))`; summed, divided by the number of elements when `sizeAverage`.
 */
class SoftMarginCriterion(val sizeAverage: Boolean) extends PointwiseCriterion(sizeAverage) {
  def this() = this(true)

  override protected def checkTarget(y: Array[Float]): Unit = Targets.requireSigns(name, y)
  override protected def lossAt(x: Double, y: Double, i: Int): Double = Targets.softplus(-y * x)
  override protected def gradAt(x: Double, y: Double, i: Int): Double = -y * Targets.sigmoid(-y * x)

  override def config: Seq[(String, Any)] = Seq("sizeAverage" -> sizeAverage)
  override def configDefaults: Seq[(String, Any)] = Seq("sizeAverage" -> true)
}
